"""Reminders and rituals with a fake clock: when they fire, exactly once, DST, quiet hours, time off."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.catalogue.model import Catalogue
from assistant.clock import FakeClock
from assistant.dialogue.engine import Dialogue
from assistant.matching.matcher import Matcher
from assistant.messages import Reminder, Reply
from assistant.reminders.delivery import ReminderDesk
from assistant.reminders.schedule import advance, aware
from assistant.settings import QuietHours
from assistant.storage.database import Store

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


def heard(dialogue: Dialogue) -> list[str]:
    said: list[Reply] = []
    dialogue.tick(said.append)
    return [r.text for r in said]


def say(dialogue: Dialogue, text: str) -> str:
    return " ".join(r.text for r in dialogue.handle(text))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def make(store: Store, clock: FakeClock, matcher: Matcher, catalogue: Catalogue,
         quiet: QuietHours | None = None) -> Dialogue:
    return Dialogue(matcher, catalogue, store, clock, ("Sam", "Alex"), random.Random(1), quiet)


def test_reminder_fires_at_the_right_instant_and_once(dialogue: Dialogue, clock: FakeClock) -> None:
    say(dialogue, "remind me every evening at eight to thank her")
    say(dialogue, "yes")
    clock.advance(hours=9, minutes=59, seconds=59)
    assert heard(dialogue) == []
    clock.advance(seconds=1)
    assert heard(dialogue) == ["Reminder: thank her."]
    assert heard(dialogue) == []
    clock.advance(hours=23, minutes=59)
    assert heard(dialogue) == []
    clock.advance(minutes=1)
    assert heard(dialogue) == ["Reminder: thank her."]


def test_one_off_reminder_is_done_after_delivery(dialogue: Dialogue, clock: FakeClock, store: Store) -> None:
    say(dialogue, "in two hours remind me to hug him")
    say(dialogue, "yes")
    clock.advance(hours=2)
    assert heard(dialogue) == ["Reminder: hug him."]
    assert store.reminders() == []
    assert "don't have any reminders" in say(dialogue, "what reminders do we have")


def test_announcement_has_a_chime_and_the_recorded_clip(dialogue: Dialogue, clock: FakeClock) -> None:
    dialogue.handle("remind me at six pm to call my sister", clip="clip-1.wav")
    dialogue.handle("yes")
    clock.advance(hours=8)
    said: list[Reply] = []
    dialogue.tick(said.append)
    assert [(r.chime, r.clip) for r in said] == [(True, "clip-1.wav")]


@pytest.mark.parametrize("start, expected_utc", [
    # spring forward on 28 March 2027: 8 pm stays 8 pm on the wall, an hour earlier in UTC
    ("2027-03-27T20:00:00", ["2027-03-27T20:00:00", "2027-03-28T19:00:00", "2027-03-29T19:00:00"]),
    # fall back on 31 October 2027
    ("2027-10-30T20:00:00", ["2027-10-30T19:00:00", "2027-10-31T20:00:00", "2027-11-01T20:00:00"]),
])
def test_daily_reminder_keeps_wall_clock_time_across_dst(start: str, expected_utc: list[str]) -> None:
    reminder = Reminder(1, start, "FREQ=DAILY", "thank her")
    fired = []
    for _ in expected_utc:
        due = aware(reminder.when, LONDON)
        fired.append(due.astimezone(UTC).replace(tzinfo=None).isoformat())
        next_due, missed = advance(reminder, due, LONDON)
        assert missed == 1 and next_due
        reminder = Reminder(1, next_due, reminder.rrule, reminder.message)
    assert fired == expected_utc


def test_reminder_in_the_spring_forward_gap_fires_once_an_hour_late() -> None:
    reminder = Reminder(1, "2027-03-28T01:30:00", "FREQ=DAILY", "take the pill")
    due = aware(reminder.when, LONDON)
    assert due.astimezone(UTC).isoformat() == "2027-03-28T01:30:00+00:00"  # 02:30 summer time
    assert advance(reminder, due, LONDON) == ("2027-03-29T01:30:00", 1)


def test_reminder_in_the_repeated_fall_back_hour_fires_once(store: Store) -> None:
    clock = FakeClock(at("2027-10-31T00:00:00"))
    store.add_reminder("2027-10-31T01:30:00", None, "check the oven", clock.now())
    desk = ReminderDesk(store, clock)
    said: list[Reply] = []
    for _ in range(12):  # every 15 minutes through both 01:30s
        clock.advance(minutes=15)
        desk.run(said.append)
    assert [r.text for r in said] == ["Reminder: check the oven."]


def test_weekly_reminder_reschedules_to_the_same_weekday(store: Store) -> None:
    clock = FakeClock(at("2026-11-29T19:00:00"))  # a Sunday
    store.add_reminder("2026-11-29T19:00:00", "FREQ=WEEKLY;BYDAY=SU", "weekly check-in", clock.now())
    ReminderDesk(store, clock).run(lambda r: None)
    assert store.reminders()[0].when == "2026-12-06T19:00:00"


def test_quiet_hours_hold_reminders_until_they_end(store: Store, matcher: Matcher, catalogue: Catalogue) -> None:
    clock = FakeClock(at("2026-11-23T22:30:00"))
    store.add_reminder("2026-11-23T23:00:00", None, "lock the back door", clock.now())
    dialogue = make(store, clock, matcher, catalogue, QuietHours(22, 7))
    clock.advance(hours=1)
    assert heard(dialogue) == []
    clock.advance(hours=7, minutes=30)  # 07:30
    assert heard(dialogue) == ["From earlier, this came due yesterday at 11 pm. Reminder: lock the back door."]
    assert heard(dialogue) == []


def test_missed_while_off_is_announced_once_at_next_start(tmp_path: Path, matcher: Matcher,
                                                          catalogue: Catalogue) -> None:
    clock = FakeClock(at("2026-11-23T10:00:00"))
    store = Store.open(tmp_path / "reconnect.db")
    store.add_reminder("2026-11-23T20:00:00", "FREQ=DAILY", "thank her", clock.now())
    store.add_reminder("2026-11-24T09:00:00", None, "book the restaurant", clock.now())
    store.close()
    clock.advance(days=2, hours=1)  # off until Wednesday 11:00
    store = Store.open(tmp_path / "reconnect.db")
    texts = heard(make(store, clock, matcher, catalogue))
    assert texts == [
        "While I was off, this came due Monday at 8 pm, and 1 more time since. Reminder: thank her.",
        "While I was off, this came due yesterday at 9 am. Reminder: book the restaurant.",
    ]
    store.close()
    store = Store.open(tmp_path / "reconnect.db")
    assert heard(make(store, clock, matcher, catalogue)) == []
    assert store.reminders()[0].when == "2026-11-25T20:00:00"
    assert sum(d.missed for d in store.deliveries()) == 3
    store.close()


def test_daily_gratitude_ritual_speaks_a_fresh_prompt(dialogue: Dialogue, clock: FakeClock,
                                                      catalogue: Catalogue) -> None:
    assert say(dialogue, "remind us every evening at eight to do our gratitude prompt").endswith("Shall I set it?")
    assert "fresh gratitude prompt" in say(dialogue, "yes")
    prompts = {i.text for i in catalogue.pool("gratitude")}
    spoken = []
    for _ in range(2):
        clock.advance(days=1) if spoken else clock.advance(hours=10)
        [text] = heard(dialogue)
        assert text.startswith("Time for your gratitude moment. ")
        spoken.append(text.removeprefix("Time for your gratitude moment. "))
    assert set(spoken) <= prompts and spoken[0] != spoken[1]
    assert "2 gratitude prompts this week" in say(dialogue, "how are we doing")


def test_unparseable_recurrence_says_so(dialogue: Dialogue, store: Store) -> None:
    text = say(dialogue, "remind me every blue moon at 8 pm to buy flowers")
    assert text.startswith("I can't work out how often")
    assert store.reminders() == []


def test_date_nudge_at_most_once_a_day(store: Store, matcher: Matcher, catalogue: Catalogue) -> None:
    clock = FakeClock(at("2026-11-01T12:00:00"))
    dialogue = make(store, clock, matcher, catalogue, QuietHours(22, 7))
    store.add_event("date", at("2026-11-01T20:00:00"))
    clock.advance(days=7)
    assert heard(dialogue) == []
    clock.advance(days=2)  # 10 November, 12:00: nine days since
    [nudge] = heard(dialogue)
    assert nudge.startswith("It's been 9 days since your last date.") and nudge.endswith("Would you like an idea?")
    assert heard(dialogue) == []
    assert say(dialogue, "yes").startswith("How about this:")
    say(dialogue, "no thanks")
    clock.advance(hours=11)  # 23:00, quiet hours, next day
    assert heard(dialogue) == []
    clock.advance(hours=9)  # 08:00 next day
    assert len(heard(dialogue)) == 1
