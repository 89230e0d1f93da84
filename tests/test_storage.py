"""SQLite state: private files, schema version, history rounds, corruption handling, forget."""

from __future__ import annotations

import sqlite3
import stat
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.storage.database import SCHEMA_VERSION, Store, StoreError, forget

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/London"))


def test_new_database_is_private_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data" / "reconnect.db")
    store.add_event("date", NOW)
    mode = stat.S_IMODE((tmp_path / "data" / "reconnect.db").stat().st_mode)
    assert mode == 0o600
    conn = sqlite3.connect(tmp_path / "data" / "reconnect.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_state_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "reconnect.db"
    store = Store.open(path)
    store.mark_used("q-fun-light-001", NOW)
    store.add_reminder("2026-11-23T20:00:00", "FREQ=DAILY", "thank her", NOW)
    store.add_event("check_in", NOW, "weekly")
    store.close()
    again = Store.open(path)
    assert again.used_items(["q-fun-light-001", "q-fun-light-002"]) == {"q-fun-light-001"}
    assert [r.message for r in again.reminders()] == ["thank her"]
    assert [e.detail for e in again.events(["check_in"])] == ["weekly"]
    again.close()


def test_reminders_are_listed_soonest_first_and_cancelled(store: Store) -> None:
    late = store.add_reminder("2026-11-27T19:00:00", None, "go on a date", NOW)
    soon = store.add_reminder("2026-11-23T20:00:00", None, "thank her", NOW)
    assert [r.id for r in store.reminders()] == [soon.id, late.id]
    assert store.cancel_reminders([soon.id]) == 1
    assert store.cancel_reminders([soon.id]) == 0
    assert [r.id for r in store.reminders()] == [late.id]


def test_corrupted_database_is_backed_up_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "reconnect.db"
    path.write_bytes(b"this is not a database" * 100)
    store = Store.open(path)
    assert store.recovered_from is not None
    assert store.recovered_from.read_bytes().startswith(b"this is not a database")
    assert store.reminders() == []
    store.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reconnect.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer Reconnect"):
        Store.open(path)


def test_forget_removes_only_our_files(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "reconnect.db")
    store.add_event("date", NOW)
    store.close()
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "1.wav").write_bytes(b"RIFF")
    (tmp_path / "notes.txt").write_text("mine")
    removed = forget(tmp_path)
    assert {p.name for p in removed} >= {"reconnect.db", "1.wav"}
    assert (tmp_path / "notes.txt").exists()
    assert not (tmp_path / "reconnect.db").exists()
