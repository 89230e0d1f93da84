"""Turning one recognised request into a complete reminder, or a clear reason why not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assistant.matching.normalize import normalize
from assistant.messages import IntentMatch
from assistant.reminders.schedule import check_rrule

EXAMPLE = "remind me every evening at eight to thank her"


def reminder_kind(message: str) -> str:
    """gratitude for the daily gratitude ritual (a fresh prompt is spoken), else say (the message)."""
    return "gratitude" if "gratitude" in normalize(message) else "say"


class ReminderInputError(ValueError):
    """The words do not make a reminder; the message says what is missing."""


@dataclass(frozen=True)
class NewReminder:
    when: datetime
    """First occurrence, timezone-aware."""
    rrule: str | None
    """How it repeats, if it does."""
    message: str
    """What to say."""

    @property
    def local_when(self) -> str:
        """The first occurrence as stored: local wall-clock time."""
        return self.when.replace(tzinfo=None).isoformat(timespec="seconds")


def reminder_from_match(match: IntentMatch, now: datetime) -> NewReminder:
    if match.intent != "set_reminder":
        raise ReminderInputError(f"That doesn't sound like a reminder. Try: {EXAMPLE}.")
    if "when" not in match.slots:
        raise ReminderInputError(f"That reminder has no time I can follow. Try: {EXAMPLE}.")
    message = (match.slots.get("message") or "").strip()
    if not message:
        raise ReminderInputError("What should I remind you about? Say it after the time, e.g. "
                                 "remind me tomorrow at nine to call my sister.")
    when = datetime.fromisoformat(match.slots["when"]).replace(tzinfo=now.tzinfo)
    rrule = match.slots.get("rrule")
    if rrule:
        check_rrule(rrule, when)
    elif when <= now:
        raise ReminderInputError("That time has already passed.")
    return NewReminder(when, rrule, message)
