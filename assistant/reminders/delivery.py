"""Saying due reminders: collect them into the ledger, word them, mark them said.

Collecting is one transaction (see `Store.deliver_due`), so an occurrence is recorded once
whatever happens. Saying comes after; an occurrence is marked said only once it has been
handed to the speaker, so a crash in between repeats at most that one announcement at the
next start rather than losing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast
from zoneinfo import ZoneInfo

from assistant.clock import Clock
from assistant.dialogue.phrasing import count_phrase, ensure_sentence, moment_phrase
from assistant.messages import Reply
from assistant.reminders.schedule import advance, aware, is_due
from assistant.settings import QuietHours
from assistant.storage.database import Delivery, Store

LATE_AFTER = timedelta(minutes=5)
"""An occurrence said later than this is introduced as missed rather than as on time."""


@dataclass(frozen=True)
class Announcement:
    delivery: Delivery
    """The ledger entry being said."""
    replies: tuple[Reply, ...]
    """What to say."""


class ReminderDesk:
    """Finds due reminders and words them; the caller says them and confirms with `said`."""

    def __init__(self, store: Store, clock: Clock, quiet_hours: QuietHours | None = None,
                 gratitude_prompt: Callable[[], str] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.quiet_hours = quiet_hours
        self.gratitude_prompt = gratitude_prompt
        self._started = clock.now()

    @property
    def tz(self) -> ZoneInfo:
        return cast(ZoneInfo, self.clock.now().tzinfo)

    def quiet_now(self) -> bool:
        return self.quiet_hours is not None and self.quiet_hours.contains(self.clock.now().hour)

    def collect(self) -> int:
        """Record every reminder due now; quiet hours hold them back until they end."""
        if self.quiet_now():
            return 0
        now, tz = self.clock.now(), self.tz
        if not any(is_due(r, now, tz) for r in self.store.reminders()):
            return 0  # the usual tick: a read, no write lock taken every second
        return self.store.deliver_due(lambda r: is_due(r, now, tz), lambda r: advance(r, now, tz), now)

    def pending(self) -> list[Announcement]:
        """Collected occurrences not yet said, worded, oldest first."""
        if self.quiet_now():
            return []
        return [Announcement(d, tuple(self._word(d))) for d in self.store.unannounced()]

    def said(self, announcement: Announcement) -> None:
        self.store.mark_announced(announcement.delivery.id)

    def run(self, say: Callable[[Reply], None]) -> int:
        """Collect, say and confirm everything due; returns how many were said."""
        self.collect()
        done = 0
        for announcement in self.pending():
            for reply in announcement.replies:
                say(reply)
            self.said(announcement)
            done += 1
        return done

    def _word(self, delivery: Delivery) -> list[Reply]:
        now, tz = self.clock.now(), self.tz
        reminder = delivery.reminder
        occurrence = aware(delivery.occurrence, tz)
        if reminder.kind == "gratitude" and self.gratitude_prompt is not None:
            body = f"Time for your gratitude moment. {self.gratitude_prompt()}"
        else:
            body = f"Reminder: {ensure_sentence(reminder.message)}"
        if now - occurrence > LATE_AFTER:
            prefix = "While I was off" if occurrence < self._started else "From earlier"
            times = f", and {count_phrase(delivery.missed - 1, 'more time')} since" if delivery.missed > 1 else ""
            body = f"{prefix}, this came due {moment_phrase(occurrence, now)}{times}. {body}"
        return [Reply(body, chime=True, clip=reminder.clip)]
