"""Local persistence in one SQLite file: selection history, reminders and ritual events.

The file is private (mode 0600), written in WAL mode, and carries a schema version with
forward migrations. A file that is not a readable database is moved aside, never
silently overwritten, and the caller is told where the copy went.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from assistant.messages import Reminder

SCHEMA_VERSION = 2
MIGRATIONS: dict[int, str] = {
    1: """
        CREATE TABLE history (item_id TEXT PRIMARY KEY, used_at TEXT NOT NULL);
        CREATE TABLE reminders (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            due TEXT NOT NULL,
            rrule TEXT,
            message TEXT NOT NULL,
            created TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        );
        CREATE INDEX events_kind_at ON events (kind, at);
    """,
    # Deliveries are the ledger that makes reminders exactly-once: an occurrence is written
    # here in the same transaction that moves its reminder on, and `announced` flips only
    # after it was said, so a crash in between announces it at the next start.
    2: """
        ALTER TABLE reminders ADD COLUMN kind TEXT NOT NULL DEFAULT 'say';
        ALTER TABLE reminders ADD COLUMN clip TEXT;
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            reminder_id INTEGER NOT NULL REFERENCES reminders (id),
            occurrence TEXT NOT NULL,
            missed INTEGER NOT NULL DEFAULT 1,
            delivered_at TEXT NOT NULL,
            announced INTEGER NOT NULL DEFAULT 0,
            UNIQUE (reminder_id, occurrence)
        );
        CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
}


class StoreError(RuntimeError):
    """The database could not be opened or used; the message says what to do."""


@dataclass(frozen=True)
class Event:
    kind: str
    """What happened: date, night_away, trip, check_in, gratitude, tip, quiz."""
    detail: str
    """Extra context, e.g. the check-in kind or tip topic; never what partners said."""
    at: datetime
    """When, timezone-aware."""


@dataclass(frozen=True)
class Delivery:
    id: int
    """Ledger row id."""
    occurrence: str
    """The due time delivered, ISO local wall-clock time."""
    missed: int
    """How many occurrences this delivery stands for (more than 1 after time off)."""
    delivered_at: str
    """When it was recorded, ISO 8601 with offset."""
    reminder: Reminder
    """The reminder, as it is now."""


_REMINDER_COLUMNS = "id, due, rrule, message, created, kind, clip"
_REMINDER_COLUMNS_R = "r.id, r.due, r.rrule, r.message, r.created, r.kind, r.clip"


class Store:
    """The assistant's state on disk. Open with `Store.open(path)`."""

    def __init__(self, conn: sqlite3.Connection, path: Path, recovered_from: Path | None) -> None:
        self._conn = conn
        self.path = path
        self.recovered_from = recovered_from
        """Where a corrupted earlier file was moved, if that happened while opening."""

    @classmethod
    def open(cls, path: Path) -> "Store":
        """Open or create the database at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        backup: Path | None = None
        try:
            conn = cls._connect(path)
        except sqlite3.DatabaseError:
            backup = path.with_name(f"{path.name}.corrupt-{datetime.now():%Y%m%d-%H%M%S}")
            os.replace(path, backup)
            for suffix in ("-wal", "-shm"):
                side = path.with_name(path.name + suffix)
                if side.exists():
                    os.replace(side, backup.with_name(backup.name + suffix))
            conn = cls._connect(path)
        return cls(conn, path, backup)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        conn = sqlite3.connect(path, isolation_level=None, timeout=10)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{path} was written by a newer Reconnect (schema {version}); please upgrade")
            for target in range(version + 1, SCHEMA_VERSION + 1):
                conn.execute("BEGIN IMMEDIATE")
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={target}")
                conn.execute("COMMIT")
        except sqlite3.DatabaseError:
            conn.close()
            raise
        for suffix in ("", "-wal", "-shm"):
            side = Path(str(path) + suffix)
            if side.exists():
                os.chmod(side, 0o600)
        return conn

    def close(self) -> None:
        self._conn.close()

    # selection history -------------------------------------------------------------
    def used_items(self, ids: Iterable[str]) -> set[str]:
        """Which of `ids` have been said since their pool was last reset."""
        wanted = list(ids)
        used: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            used.update(r[0] for r in self._conn.execute(
                f"SELECT item_id FROM history WHERE item_id IN ({marks})", chunk))
        return used

    def mark_used(self, item_id: str, at: datetime) -> None:
        self._conn.execute("INSERT OR REPLACE INTO history (item_id, used_at) VALUES (?, ?)",
                           (item_id, at.isoformat()))

    def reset_items(self, ids: Iterable[str]) -> None:
        """Start a new round for a pool: its items may be said again."""
        with self._transaction():
            self._conn.executemany("DELETE FROM history WHERE item_id = ?", [(i,) for i in ids])

    # events -------------------------------------------------------------------------
    def add_event(self, kind: str, at: datetime, detail: str = "") -> None:
        self._conn.execute("INSERT INTO events (kind, detail, at) VALUES (?, ?, ?)",
                           (kind, detail, at.isoformat()))

    def events(self, kinds: Iterable[str], since: datetime | None = None) -> list[Event]:
        kinds = list(kinds)
        marks = ",".join("?" * len(kinds))
        rows = self._conn.execute(
            f"SELECT kind, detail, at FROM events WHERE kind IN ({marks}) ORDER BY at, id", kinds)
        out = [Event(k, d, datetime.fromisoformat(a)) for k, d, a in rows]
        return [e for e in out if since is None or e.at >= since]

    # reminders ----------------------------------------------------------------------
    def add_reminder(self, due: str, rrule: str | None, message: str, created: datetime,
                     kind: str = "say", clip: str | None = None) -> Reminder:
        cur = self._conn.execute(
            "INSERT INTO reminders (due, rrule, message, created, kind, clip) VALUES (?, ?, ?, ?, ?, ?)",
            (due, rrule, message, created.isoformat(), kind, clip))
        return Reminder(int(cur.lastrowid or 0), due, rrule, message, created.isoformat(), kind, clip)

    def reminders(self) -> list[Reminder]:
        """Active reminders, soonest first."""
        rows = self._conn.execute(
            f"SELECT {_REMINDER_COLUMNS} FROM reminders WHERE active = 1 ORDER BY due, id")
        return [Reminder(*row) for row in rows]

    def deliver_due(self, is_due: Callable[[Reminder], bool],
                    advance: Callable[[Reminder], tuple[str | None, int]], at: datetime) -> int:
        """Record every due occurrence in the ledger and move its reminder on, atomically.

        `advance` gives a due reminder's next due time (None when it is over) and how many
        occurrences this delivery covers. Returns how many deliveries were recorded.
        """
        count = 0
        with self._transaction():
            rows = self._conn.execute(
                f"SELECT {_REMINDER_COLUMNS} FROM reminders WHERE active = 1 ORDER BY due, id").fetchall()
            for reminder in (Reminder(*row) for row in rows):
                if not is_due(reminder):
                    continue
                next_due, missed = advance(reminder)
                count += self._conn.execute(
                    "INSERT OR IGNORE INTO deliveries (reminder_id, occurrence, missed, delivered_at) "
                    "VALUES (?, ?, ?, ?)", (reminder.id, reminder.when, missed, at.isoformat())).rowcount
                if next_due is None:
                    self._conn.execute("UPDATE reminders SET active = 0 WHERE id = ?", (reminder.id,))
                else:
                    self._conn.execute("UPDATE reminders SET due = ? WHERE id = ?", (next_due, reminder.id))
        return count

    def unannounced(self) -> list[Delivery]:
        """Deliveries recorded but not yet said, oldest first."""
        rows = self._conn.execute(
            f"SELECT d.id, d.occurrence, d.missed, d.delivered_at, {_REMINDER_COLUMNS_R} FROM deliveries d "
            "JOIN reminders r ON r.id = d.reminder_id WHERE d.announced = 0 ORDER BY d.occurrence, d.id")
        return [Delivery(i, o, m, a, Reminder(*rest)) for i, o, m, a, *rest in rows]

    def mark_announced(self, delivery_id: int) -> None:
        self._conn.execute("UPDATE deliveries SET announced = 1 WHERE id = ?", (delivery_id,))

    def deliveries(self) -> list[Delivery]:
        """The whole ledger, oldest first."""
        rows = self._conn.execute(
            f"SELECT d.id, d.occurrence, d.missed, d.delivered_at, {_REMINDER_COLUMNS_R} FROM deliveries d "
            "JOIN reminders r ON r.id = d.reminder_id ORDER BY d.occurrence, d.id")
        return [Delivery(i, o, m, a, Reminder(*rest)) for i, o, m, a, *rest in rows]

    # small persistent state ---------------------------------------------------------
    def get_state(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str | None) -> None:
        if value is None:
            self._conn.execute("DELETE FROM state WHERE key = ?", (key,))
        else:
            self._conn.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, value))

    def cancel_reminders(self, ids: Iterable[int]) -> int:
        with self._transaction():
            return sum(self._conn.execute("UPDATE reminders SET active = 0 WHERE id = ? AND active = 1",
                                          (i,)).rowcount for i in ids)

    def _transaction(self) -> "_Tx":
        return _Tx(self._conn)


class _Tx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type else "COMMIT")


DB_NAME = "reconnect.db"
OWNED = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + ".corrupt-*", "clips/*")
"""Everything Reconnect writes in its data directory; nothing else there is touched."""


def forget(data_dir: Path) -> list[Path]:
    """Delete every file Reconnect keeps in `data_dir`; returns what was removed."""
    removed: list[Path] = []
    for pattern in OWNED:
        for path in sorted(data_dir.glob(pattern)):
            if path.is_file() or path.is_symlink():
                path.unlink()
                removed.append(path)
    for folder in (data_dir / "clips", data_dir):
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty (the user keeps other files there) or already gone
    return removed
