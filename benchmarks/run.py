"""`make bench`: accuracy and speed of the text core, printed as a table.

Intent accuracy and slot accuracy use the golden sentences in tests/sentences (in-scope
sentences only); the false-accept rate is the share of out-of-scope sentences that came back
as some intent. Latency is per utterance with the grammar and the whole catalogue loaded.
"""

from __future__ import annotations

import platform
import resource
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_sentences import CASES, comparable  # noqa: E402

ZONE = ZoneInfo("Europe/London")


def main() -> int:
    started = time.perf_counter()
    from assistant.catalogue.loader import load_catalogue
    from assistant.grammar.loader import load_grammar
    from assistant.matching.matcher import Matcher

    grammar = load_grammar()
    matcher = Matcher(grammar)
    try:
        catalogue = load_catalogue()
    except Exception as exc:  # noqa: BLE001
        print("catalogue:", exc); catalogue = type("C", (), {"items": ()})()
    cold = time.perf_counter() - started

    in_scope = correct = slot_cases = slot_correct = out_scope = false_accepts = 0
    misses: list[str] = []
    latencies: list[float] = []
    for _ in range(3):
        latencies.clear()
        for case in CASES:
            text, intent, slots, now = case.values
            when = datetime.fromisoformat(now).replace(tzinfo=ZONE)
            t0 = time.perf_counter()
            match = matcher.recognize_best(text, when)
            latencies.append((time.perf_counter() - t0) * 1000)
    for case in CASES:
        text, intent, slots, now = case.values
        match = matcher.recognize_best(text, datetime.fromisoformat(now).replace(tzinfo=ZONE))
        if intent == "unknown":
            out_scope += 1
            if match.intent != "unknown":
                false_accepts += 1
                misses.append(f"  false accept: {text!r} -> {match.intent}")
            continue
        in_scope += 1
        if match.intent == intent:
            correct += 1
            if slots:
                slot_cases += 1
                if comparable(dict(match.slots)) == comparable(slots):
                    slot_correct += 1
                else:
                    misses.append(f"  slots: {text!r} -> {dict(match.slots)} (want {slots})")
        else:
            misses.append(f"  intent: {text!r} -> {match.intent} (want {intent})")

    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("golden sentences", f"{len(CASES)} ({in_scope} in scope, {out_scope} out of scope)", ""),
        ("intent accuracy", f"{100 * correct / in_scope:.1f} %", ">= 98 %"),
        ("out-of-scope false accepts", f"{100 * false_accepts / out_scope:.1f} %", "<= 3 %"),
        ("slot accuracy", f"{100 * slot_correct / max(slot_cases, 1):.1f} % of {slot_cases}", ""),
        ("match latency p50", f"{p50:.2f} ms", ""),
        ("match latency p99", f"{p99:.2f} ms", "<= 2 ms"),
        ("grammar + catalogue load", f"{cold:.2f} s", ""),
        ("catalogue items", str(len(catalogue.items)), ""),
        ("peak RSS", f"{rss_mb:.0f} MB", ""),
    ]
    print(f"Reconnect text core - {platform.machine()}, {platform.python_version()}, "
          f"{__import__('os').cpu_count()} cores")
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{width}} | {'value':<40} | target |")
    print(f"|{'-' * (width + 2)}|{'-' * 42}|--------|")
    for name, value, target in rows:
        print(f"| {name:<{width}} | {value:<40} | {target:<6} |")
    if misses and "-v" in sys.argv:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
