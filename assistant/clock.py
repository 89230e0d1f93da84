"""Clocks: everything time-based asks one of these, so tests can fix the time."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The real time in the given zone."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz).replace(microsecond=0)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        """Move forward in absolute time, e.g. advance(minutes=5)."""
        tz = self._now.tzinfo
        self._now = (self._now.astimezone(ZoneInfo("UTC")) + timedelta(**delta)).astimezone(tz)


def local_zone(name: str | None = None) -> ZoneInfo:
    """The configured zone, else $TZ, else the system's /etc/localtime, else UTC."""
    candidates = [name, os.environ.get("TZ", "").lstrip(":") or None]
    try:
        target = Path("/etc/localtime").resolve()
        if "zoneinfo" in target.parts:
            candidates.append("/".join(target.parts[target.parts.index("zoneinfo") + 1 :]))
    except OSError:
        pass
    try:
        candidates.append(Path("/etc/timezone").read_text().strip() or None)
    except OSError:
        pass
    for candidate in candidates:
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def parse_now(text: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 time from the command line; a time without offset is local to `tz`."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    return value.astimezone(tz)
