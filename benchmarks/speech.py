"""`make bench`, speech part: spoken commands on synthesised voices, latency, memory, cold start.

- intent accuracy and out-of-scope rejection: every speakable golden sentence, and every held-out
  one (benchmarks/heldout*, never used to tune the speech thresholds), synthesised with piper
  (natural) and espeak-ng (robotic), through the whole audio path of `parse --audio`
  (pocketsphinx against the intent grammar; what it rejects, a Whisper pass judged by the matcher);
- decode real-time factor and per-utterance decode time;
- end of speech -> first reply sample, from `reconnect listen --audio --events` (p50/p95), with
  peak RSS of that process and its cold start (process start -> listening).

Usage: benchmarks/speech.py [-v] [--sample N]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from speech_eval import score_spoken  # noqa: E402
from speech_fixtures import silence, synth, write_wav  # noqa: E402
from test_sentences import SENTENCE_DIR  # noqa: E402

LATENCY_COMMANDS = [
    "give us a question", "suggest a cheap date at home", "give us a gratitude prompt", "what reminders do we have",
    "how are we doing", "any tips on listening", "tell us about the love languages", "stop",
    "remind me every evening at eight to thank her", "give us a deep question about our dreams",
    "next", "say that again", "suggest a fancy date out", "we went on a date tonight", "how do we apologise well",
    "give us a fun question", "any ideas for a date night in", "remind me on friday at six to book the restaurant",
    "what's a good tip for us", "thank you", "help",
]
"""Commands of the latency run, as a couple might say them in an evening. The reminders need free
words (their messages), so the open-vocabulary worker starts while one is spoken; "help" comes last
because its answer is longer than the gaps."""


DETAILS: list[str] = []
"""Per-command latency lines of the listen run, printed with -v."""


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def listen_run(tmp: Path) -> dict[str, float]:
    """One `reconnect listen --audio` over the commands above; latency, RSS and cold start from its events."""
    audio = silence(0.5)
    for text in LATENCY_COMMANDS:
        # long gaps: every reply finishes before the next command, as in a real conversation
        audio += synth(text) + silence(25.0)
    wav = write_wav(tmp / "session.wav", audio)
    config = tmp / "config.toml"
    config.write_text('wake_phrase = ""\n', encoding="utf-8")
    events = tmp / "events.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "assistant", "--data-dir", str(tmp / "data"), "--config",
                                str(config), "listen", "--audio", str(wav), "--out-wav", str(tmp / "reply.wav"),
                                "--events", str(events)], stdout=subprocess.DEVNULL,
                               stderr=(tmp / "stderr.txt").open("wb"))
    main_peak, worker_peak = 0, 0
    while process.poll() is None:
        # peak resident memory of the assistant itself and of any worker process it started
        main_peak = max(main_peak, _peak_kb(process.pid))
        for child in _children(process.pid):
            worker_peak = max(worker_peak, _peak_kb(child))
        time.sleep(0.1)
    if process.returncode != 0:
        raise SystemExit(f"listen failed: {(tmp / 'stderr.txt').read_text(errors='replace')}")
    log = [json.loads(line) for line in events.read_text().splitlines()]
    latencies = []
    pending_end, heard = None, ""
    for event in log:
        if event["event"] == "end_of_speech":
            pending_end = float(event["t"])
        elif event["event"] in ("transcript", "free_transcript") and event.get("text"):
            heard = f"{event['event']}: {event['text']!r}"
        elif event["event"] == "reply_audio_start" and pending_end is not None:
            latencies.append(1000 * (float(event["t"]) - pending_end))
            DETAILS.append(f"  {latencies[-1]:6.0f} ms  {heard}")
            pending_end = None
    cold = next(float(e["seconds_since_start"]) for e in log if e["event"] == "listening")
    latencies.sort()
    return {"answered": len(latencies), "p50": statistics.median(latencies),
            "p95": latencies[max(0, int(round(0.95 * len(latencies))) - 1)],
            "rss_mb": main_peak / 1024, "worker_mb": worker_peak / 1024, "cold": cold}


def _peak_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except OSError:
        return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


def main() -> int:
    from assistant.app import build_app
    from assistant.settings import Settings
    from assistant.speech.session import AudioParser, SpeechOptions

    sample = int(sys.argv[sys.argv.index("--sample") + 1]) if "--sample" in sys.argv else None
    misses: list[str] = []
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as data:
        app = build_app(Settings(data_dir=Path(data), wake_phrase=""))
        started = time.perf_counter()
        parser = AudioParser(app, SpeechOptions())
        parser.commands.load()  # type: ignore[attr-defined]
        rows.append(("pocketsphinx load (grammar + decoders)", f"{time.perf_counter() - started:.2f} s", ""))
        golden, heldout = (SENTENCE_DIR,), tuple(sorted((ROOT / "benchmarks").glob("heldout*")))
        for voice, target, label, directories in (
                ("piper", ">= 97 %", "golden", golden), ("espeak", ">= 90 %", "golden", golden),
                ("piper", ">= 97 %", "held-out", heldout), ("espeak", ">= 90 %", "held-out", heldout)):
            s = score_spoken(parser, voice, sample, directories=directories)
            misses += [f"{m} [{label}]" for m in s.misses]
            voice = f"{voice}, {label}"
            rows += [
                (f"{voice}: spoken sentences", f"{s.in_scope} in scope, {s.out_scope} out of scope", ""),
                (f"{voice}: intent accuracy", pct(s.accuracy), target),
                (f"{voice}: out-of-scope rejected", pct(s.rejection), ">= 90 %"),
                (f"{voice}: per utterance p50 / real-time factor",
                 f"{s.decode_p50_ms:.0f} ms / {s.real_time_factor:.2f}", ""),
            ]
        app.close()
    with tempfile.TemporaryDirectory() as tmp:
        run = listen_run(Path(tmp))
    rows += [
        ("listen --audio: commands answered", f"{run['answered']:.0f} of {len(LATENCY_COMMANDS)}", ""),
        ("end of speech -> first reply sample p50", f"{run['p50']:.0f} ms", "<= 250 ms"),
        ("end of speech -> first reply sample p95", f"{run['p95']:.0f} ms", "<= 250 ms"),
        ("peak RSS while listening (assistant process)", f"{run['rss_mb']:.0f} MB", "<= 150 MB"),
        ("peak RSS of the free-words worker (while alive)", f"{run['worker_mb']:.0f} MB", ""),
        ("cold start to listening", f"{run['cold']:.2f} s", "<= 1.5 s"),
    ]
    print(f"Reconnect speech - {os.cpu_count()} cores; end-of-speech silence wait not included in latency")
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{width}} | {'value':<34} | target    |")
    print(f"|{'-' * (width + 2)}|{'-' * 36}|-----------|")
    for name, value, target in rows:
        print(f"| {name:<{width}} | {value:<34} | {target:<9} |")
    if "-v" in sys.argv:
        print("\n".join(DETAILS + misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
