"""When reminders fall due: local wall-clock times, RFC 5545 recurrences, DST.

Due times are stored as local wall-clock time without an offset ("2026-03-29T20:00:00"), so
"every day at 8 pm" stays at 8 pm across a DST change; they are compared with the present
by attaching the zone only at the moment of comparison.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from assistant.messages import Reminder

MAX_COUNTED = 10_000
"""Occurrences counted after a long time off; beyond this the count is not worth the time."""


class RecurrenceError(ValueError):
    """A recurrence rule that cannot be understood."""


def wall(moment: datetime, tz: ZoneInfo) -> datetime:
    """`moment` as naive local wall-clock time in `tz`."""
    return moment.astimezone(tz).replace(tzinfo=None)


def aware(local: str | datetime, tz: ZoneInfo) -> datetime:
    """A stored local time as an aware instant. In a spring-forward gap the earlier offset
    applies, so 01:30 on that night happens at 02:30 summer time rather than never."""
    value = datetime.fromisoformat(local) if isinstance(local, str) else local
    return value.replace(tzinfo=tz)


def check_rrule(rule: str, start: datetime) -> None:
    """Raise RecurrenceError unless `rule` is a recurrence dateutil can follow."""
    try:
        rrulestr(rule, dtstart=start.replace(tzinfo=None))
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(f"I can't follow the repeat rule {rule!r}: {exc}") from exc


def is_due(reminder: Reminder, now: datetime, tz: ZoneInfo) -> bool:
    return aware(reminder.when, tz) <= now


def advance(reminder: Reminder, now: datetime, tz: ZoneInfo) -> tuple[str | None, int]:
    """The reminder's next due time after `now` (None for a finished one-off) and how many
    occurrences, its current due time included, one delivery stands for."""
    if not reminder.rrule:
        return None, 1
    start = datetime.fromisoformat(reminder.when)
    rule = rrulestr(reminder.rrule, dtstart=start)
    missed = 1  # the current due time is an occurrence even when the rule would not produce it
    for occurrence in rule:
        if occurrence <= start:
            continue
        if aware(occurrence, tz) > now:
            return occurrence.isoformat(timespec="seconds"), missed
        missed += 1
        if missed >= MAX_COUNTED:
            upcoming = rule.after(wall(now, tz))
            return (upcoming.isoformat(timespec="seconds") if upcoming else None), missed
    return None, missed
