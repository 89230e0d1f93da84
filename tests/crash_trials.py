"""Reminders under SIGKILL: the real CLI adds and delivers while being killed at random moments.

Shared by the test suite (60 trials) and the benchmark (more).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from assistant.storage.database import Store

LONDON = ZoneInfo("Europe/London")


def _expected_occurrences(first: str, rule: str | None, until: datetime) -> int:
    start = datetime.fromisoformat(first)
    if rule is None:
        return int(start.replace(tzinfo=LONDON) <= until)
    # the first due time counts, then every later occurrence of the rule
    count = int(start.replace(tzinfo=LONDON) <= until)
    for moment in rrulestr(rule, dtstart=start):  # type: ignore[attr-defined]
        if moment <= start:
            continue
        if moment.replace(tzinfo=LONDON) > until:
            return count
        count += 1
    return count


@dataclass(frozen=True)
class CrashReport:
    trials: int
    """Processes started."""
    kills: int
    """Of them, killed with SIGKILL before they finished."""
    deliveries: int
    """Ledger entries at the end."""
    lost: list[str]
    """Reminders whose due occurrences are not all in the ledger, or deliveries never said."""
    repeated: list[int]
    """Deliveries said twice other than the one line a kill cut off before it was marked said."""


def run_crash_trials(tmp_path: Path, trials: int = 60, seed: int = 20261123) -> CrashReport:
    """Add and deliver reminders through the real CLI, SIGKILLing it at random moments."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
    store = Store.open(tmp_path / "reconnect.db")
    planted: dict[int, tuple[str, str | None]] = {}
    for n in range(24):
        first = (start + timedelta(hours=1 + 7 * n, minutes=13 * n % 60)).replace(tzinfo=None)
        rule = ("FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,TH", None)[n % 3]
        reminder = store.add_reminder(first.isoformat(timespec="seconds"), rule, f"task {n}", start)
        planted[reminder.id] = (reminder.when, rule)
    store.close()

    printed: list[tuple[int, bool]] = []  # (delivery id, was it the last line of a killed run)
    added: dict[int, tuple[str, str | None]] = {}
    now = start
    kills = 0
    for trial in range(trials):
        now += timedelta(hours=5)
        if trial % 6 == 5:
            args = ["add", "--now", now.replace(tzinfo=None).isoformat(), "remind me tomorrow at 9 am to stretch"]
        else:
            args = ["due", "--now", now.replace(tzinfo=None).isoformat(), "--json"]
        proc = subprocess.Popen([sys.executable, "-m", "assistant", "--data-dir", str(tmp_path), "reminders", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        head = b""
        if args[0] == "due" and rng.random() < 0.6:
            # kill in the middle of announcing: just after the first line is out. Read byte by
            # byte, unbuffered, so that nothing read ahead is hidden from communicate() below.
            while proc.stdout and not head.endswith(b"\n") and (byte := proc.stdout.read(1)):
                head += byte
            time.sleep(rng.uniform(0, 0.004))
        else:
            time.sleep(rng.uniform(0.02, 0.3) if args[0] == "due" else rng.uniform(0.1, 0.9))
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        out = (head + proc.communicate(timeout=60)[0]).decode("utf-8")
        lines = [line for line in out.split("\n") if line.strip()]
        complete = lines if out.endswith("\n") else lines[:-1]
        for k, line in enumerate(complete):
            record = json.loads(line)
            if args[0] == "add":
                added[record["id"]] = (record["when"], record["rrule"])
            else:
                printed.append((record["delivery"], killed and k == len(complete) - 1))
    final = subprocess.run([sys.executable, "-m", "assistant", "--data-dir", str(tmp_path), "reminders", "due",
                            "--now", now.replace(tzinfo=None).isoformat(), "--json"],
                           capture_output=True, text=True, timeout=60, check=True)
    printed += [(json.loads(line)["delivery"], False) for line in final.stdout.splitlines()]
    store = Store.open(tmp_path / "reconnect.db")
    ledger = store.deliveries()
    store.close()
    lost = []
    # the ledger must hold every occurrence due by the end exactly once
    for reminder_id, (first, rule) in {**planted, **added}.items():
        covered = sum(d.missed for d in ledger if d.reminder.id == reminder_id)
        expected = _expected_occurrences(first, rule, now)
        if covered != expected:
            lost.append(f"reminder {reminder_id}: {covered} occurrences delivered, {expected} due")
    said = [d for d, _ in printed]
    lost += [f"delivery {d.id} never said" for d in ledger if d.id not in said]
    repeated = [d for d in set(said)
                if not (len(copies := [last for x, last in printed if x == d]) == 1
                        or (len(copies) == 2 and copies[0]))]
    return CrashReport(trials, kills, len(ledger), lost, sorted(repeated))
