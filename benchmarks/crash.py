"""`make bench`, reminders part: many SIGKILL trials against the real CLI (the test suite runs 60).

Usage: benchmarks/crash.py [TRIALS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from crash_trials import run_crash_trials  # noqa: E402


def main() -> int:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        report = run_crash_trials(Path(tmp), trials=trials, seed=7)
    seconds = time.perf_counter() - started
    print("Reminders under SIGKILL")
    print("| measure | value |")
    print("|---|---|")
    for name, value in (("CLI runs", report.trials), ("killed part-way", report.kills),
                        ("deliveries in the ledger", report.deliveries),
                        ("occurrences lost", len(report.lost)), ("said twice (beyond the cut line)",
                                                                 len(report.repeated)),
                        ("wall time", f"{seconds:.0f} s")):
        print(f"| {name} | {value} |")
    for line in report.lost:
        print("  lost:", line)
    return 0 if not report.lost and not report.repeated else 1


if __name__ == "__main__":
    sys.exit(main())
