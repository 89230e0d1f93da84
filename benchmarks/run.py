"""`make bench`: accuracy and speed of the text core, printed as a table.

Two sentence sets are scored: the golden sentences in tests/sentences (the test suite
asserts every one of them, and the templates were tuned against them) and a held-out set
in benchmarks/heldout that was written separately and never used for tuning, so its
figure is the honest estimate of accuracy on new phrasings. Intent and slot accuracy
count in-scope sentences; the false-accept rate is the share of out-of-scope sentences
that came back as some intent. Latency is per utterance with the grammar and the whole
catalogue loaded. `-v` lists every miss.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_sentences import SENTENCE_DIR, comparable, load_cases  # noqa: E402

ZONE = ZoneInfo("Europe/London")
HELDOUT_DIRS = sorted((ROOT / "benchmarks").glob("heldout*"))


@dataclass
class Score:
    in_scope: int = 0
    correct: int = 0
    slot_cases: int = 0
    slot_correct: int = 0
    out_scope: int = 0
    false_accepts: int = 0
    misses: list[str] = field(default_factory=list)


def score(matcher: object, cases: list, label: str) -> Score:
    result = Score()
    for case in cases:
        text, intent, slots, now = case.values
        match = matcher.recognize_best(text, datetime.fromisoformat(now).replace(tzinfo=ZONE))  # type: ignore[attr-defined]
        if intent == "unknown":
            result.out_scope += 1
            if match.intent != "unknown":
                result.false_accepts += 1
                result.misses.append(f"  {label} false accept: {text!r} -> {match.intent}")
            continue
        result.in_scope += 1
        if match.intent != intent:
            result.misses.append(f"  {label} intent: {text!r} -> {match.intent} (want {intent})")
            continue
        result.correct += 1
        if slots:
            result.slot_cases += 1
            if comparable(dict(match.slots)) == comparable(slots):
                result.slot_correct += 1
            else:
                result.misses.append(f"  {label} slots: {text!r} -> {dict(match.slots)} (want {slots})")
    return result


def pct(part: int, whole: int) -> str:
    return f"{100 * part / max(whole, 1):.1f} %"


def main() -> int:
    started = time.perf_counter()
    from assistant.catalogue.loader import load_catalogue
    from assistant.grammar.loader import load_grammar
    from assistant.matching.classifier import train_fallback
    from assistant.matching.matcher import Matcher

    grammar = load_grammar()
    matcher = Matcher(grammar, fallback=train_fallback(grammar))
    catalogue = load_catalogue()
    cold = time.perf_counter() - started

    golden = load_cases(SENTENCE_DIR)
    sets = [("golden", golden)] + [(d.name, load_cases(d)) for d in HELDOUT_DIRS]
    latencies: list[float] = []
    for _ in range(3):
        latencies.clear()
        for case in [c for _, cases in sets for c in cases]:
            text, _, _, now = case.values
            when = datetime.fromisoformat(now).replace(tzinfo=ZONE)
            t0 = time.perf_counter()
            matcher.recognize_best(text, when)
            latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rows: list[tuple[str, str, str]] = []
    misses: list[str] = []
    for label, cases in sets:
        s = score(matcher, cases, label)
        misses += s.misses
        rows += [
            (f"{label}: sentences", f"{len(cases)} ({s.in_scope} in scope, {s.out_scope} out of scope)", ""),
            (f"{label}: intent accuracy", pct(s.correct, s.in_scope), ">= 98 %"),
            (f"{label}: false accepts", pct(s.false_accepts, s.out_scope), "<= 3 %"),
            (f"{label}: slot accuracy", f"{pct(s.slot_correct, s.slot_cases)} of {s.slot_cases}", ""),
        ]
    rows += [
        ("match latency p50", f"{p50:.2f} ms", ""),
        ("match latency p99", f"{p99:.2f} ms", "<= 2 ms"),
        ("grammar + catalogue load", f"{cold:.2f} s", ""),
        ("catalogue items", str(len(catalogue.items)), ""),
        ("peak RSS", f"{rss_mb:.0f} MB", ""),
    ]
    print(f"Reconnect text core - {platform.machine()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} cores")
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{width}} | {'value':<40} | target  |")
    print(f"|{'-' * (width + 2)}|{'-' * 42}|---------|")
    for name, value, target in rows:
        print(f"| {name:<{width}} | {value:<40} | {target:<7} |")
    if misses and "-v" in sys.argv:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
