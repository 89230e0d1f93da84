"""The `reconnect reminders` commands, and reminders surviving SIGKILL at random moments."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from assistant.storage.database import Store

LONDON = ZoneInfo("Europe/London")
NOW = "2026-11-23T10:00:00"


def run(data: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "assistant", "--data-dir", str(data), "reminders", *args],
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_add_list_cancel(tmp_path: Path) -> None:
    added = json.loads(run(tmp_path, "add", "--now", NOW, "remind me every evening at eight to thank her").stdout)
    assert added == {"id": 1, "when": "2026-11-23T20:00:00", "rrule": "FREQ=DAILY", "message": "thank her"}
    second = json.loads(run(tmp_path, "add", "--now", NOW, "remind us to go on a date friday at seven").stdout)
    assert (second["when"], second["rrule"], second["message"]) == ("2026-11-27T19:00:00", None, "go on a date")
    listed = [json.loads(line) for line in run(tmp_path, "list", "--json").stdout.splitlines()]
    assert [r["id"] for r in listed] == [1, 2]
    assert run(tmp_path, "list", "--now", NOW).stdout.splitlines() == [
        "1  Every day at 8 pm: thank her", "2  Friday at 7 pm: go on a date"]
    assert run(tmp_path, "cancel", "1").stdout.strip() == "Cancelled 1 reminder."
    assert run(tmp_path, "cancel", "1", check=False).returncode == 1
    assert run(tmp_path, "cancel", "all").stdout.strip() == "Cancelled 1 reminder."
    assert run(tmp_path, "list").stdout == ""


def test_add_refuses_what_is_not_a_reminder(tmp_path: Path) -> None:
    for text, reason in (("play some jazz", "doesn't sound like a reminder"),
                         ("remind me to call my sister", "no time"),
                         ("remind me today at 9 am to water the plants", "already passed")):
        result = run(tmp_path, "add", "--now", NOW, text, check=False)
        assert result.returncode == 1 and reason in result.stderr and "Traceback" not in result.stderr
    assert run(tmp_path, "list").stdout == ""


def test_due_delivers_once_and_schedules_the_next(tmp_path: Path) -> None:
    run(tmp_path, "add", "--now", NOW, "remind me every evening at eight to thank her")
    run(tmp_path, "add", "--now", NOW, "in two hours remind me to hug him")
    assert run(tmp_path, "due", "--now", "2026-11-23T11:59:00").stdout == ""
    lines = run(tmp_path, "due", "--now", "2026-11-23T20:00:00", "--json").stdout.splitlines()
    got = [(d["id"], d["when"], d["message"]) for d in map(json.loads, lines)]
    assert got == [(2, "2026-11-23T12:00:00", "hug him"), (1, "2026-11-23T20:00:00", "thank her")]
    assert run(tmp_path, "due", "--now", "2026-11-23T20:00:00").stdout == ""
    assert json.loads(run(tmp_path, "list", "--json").stdout)["when"] == "2026-11-24T20:00:00"


def test_corrupt_database_is_backed_up_and_reported(tmp_path: Path) -> None:
    (tmp_path / "reconnect.db").write_bytes(b"this is not a database, it is a shopping list" * 100)
    result = run(tmp_path, "list")
    assert "could not be read, so it was moved to" in result.stderr
    [backup] = tmp_path.glob("reconnect.db.corrupt-*")
    assert backup.read_bytes().startswith(b"this is not a database")


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


def test_no_reminder_lost_or_delivered_twice_under_sigkill(tmp_path: Path) -> None:
    rng = random.Random(20261123)
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
    for trial in range(60):
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
    assert kills >= 25, "the trial timing no longer kills runs part-way; adjust the delays"

    store = Store.open(tmp_path / "reconnect.db")
    ledger = store.deliveries()
    store.close()
    # the ledger holds every occurrence due by the end exactly once
    for reminder_id, (first, rule) in {**planted, **added}.items():
        covered = sum(d.missed for d in ledger if d.reminder.id == reminder_id)
        assert covered == _expected_occurrences(first, rule, now), reminder_id
    # every delivery was said; a repeat happens only for the line a kill cut off before it was marked said
    said = [d for d, _ in printed]
    assert set(said) == {d.id for d in ledger}
    for delivery_id in set(said):
        copies = [last for d, last in printed if d == delivery_id]
        assert len(copies) == 1 or (len(copies) == 2 and copies[0]), delivery_id
