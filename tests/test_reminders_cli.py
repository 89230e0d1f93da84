"""The `reconnect reminders` commands, and reminders surviving SIGKILL at random moments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from crash_trials import run_crash_trials

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


def test_no_reminder_lost_or_delivered_twice_under_sigkill(tmp_path: Path) -> None:
    report = run_crash_trials(tmp_path, trials=60)
    assert report.kills >= 25, "the trial timing no longer kills runs part-way; adjust the delays"
    assert report.lost == [] and report.repeated == []
    assert report.deliveries > 50
