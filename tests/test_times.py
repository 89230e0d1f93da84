"""Spoken-time parsing against a fixed "now", including DST changes and month/year ends."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.matching.normalize import normalize
from assistant.matching.times import find_time

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)


def parse(text: str, now: datetime = MONDAY) -> tuple[str, str | None]:
    found = find_time(normalize(text), now)
    assert found is not None, text
    return found.when_iso, found.rrule


@pytest.mark.parametrize("text, when, rrule", [
    ("at eight pm", "2026-11-23T20:00:00", None),
    ("eight thirty p m", "2026-11-23T20:30:00", None),
    ("8:30 p.m.", "2026-11-23T20:30:00", None),
    ("7 30 am", "2026-11-24T07:30:00", None),
    ("at noon", "2026-11-23T12:00:00", None),
    ("at midnight", "2026-11-24T00:00:00", None),
    ("tonight at nine", "2026-11-23T21:00:00", None),
    ("tomorrow morning at nine", "2026-11-24T09:00:00", None),
    ("tomorrow at 6 in the evening", "2026-11-24T18:00:00", None),
    ("friday at seven", "2026-11-27T19:00:00", None),
    ("on friday at 7 am", "2026-11-27T07:00:00", None),
    ("monday at nine", "2026-11-30T21:00:00", None),
    ("in two hours", "2026-11-23T12:00:00", None),
    ("in 30 minutes", "2026-11-23T10:30:00", None),
    ("in an hour", "2026-11-23T11:00:00", None),
    ("in half an hour", "2026-11-23T10:30:00", None),
    ("in an hour and a half", "2026-11-23T11:30:00", None),
    ("in three days", "2026-11-26T10:00:00", None),
    ("on december first", "2026-12-01T09:00:00", None),
    ("on 12 december at 8 pm", "2026-12-12T20:00:00", None),
    ("the 3rd of january", "2027-01-03T09:00:00", None),
    ("every friday evening", "2026-11-27T19:00:00", "FREQ=WEEKLY;BYDAY=FR"),
    ("on the twenty first of january", "2027-01-21T09:00:00", None),
    ("on november the 2nd", "2027-11-02T09:00:00", None),
    ("every evening at eight", "2026-11-23T20:00:00", "FREQ=DAILY"),
    ("every day at 7 30 am", "2026-11-24T07:30:00", "FREQ=DAILY"),
    ("every sunday at 7 pm", "2026-11-29T19:00:00", "FREQ=WEEKLY;BYDAY=SU"),
    ("every weekday at quarter to seven in the morning", "2026-11-24T06:45:00",
     "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
    ("every monday at 8", "2026-11-23T20:00:00", "FREQ=WEEKLY;BYDAY=MO"),
    ("every night", "2026-11-23T21:00:00", "FREQ=DAILY"),
    ("every other day at 9 am", "2026-11-24T09:00:00", "FREQ=DAILY;INTERVAL=2"),
    ("every month", "2026-11-24T09:00:00", "FREQ=MONTHLY"),
    ("at eight", "2026-11-23T20:00:00", None),
    ("at 11", "2026-11-23T11:00:00", None),
    ("at half past six", "2026-11-23T18:30:00", None),
    ("this evening", "2026-11-23T19:00:00", None),
])
def test_spoken_times(text: str, when: str, rrule: str | None) -> None:
    assert parse(text) == (when, rrule)


@pytest.mark.parametrize("text", ["give us 5 questions", "in the morning", "what a day", "", "play 2 songs"])
def test_no_time(text: str) -> None:
    assert find_time(normalize(text), MONDAY) is None


def test_bare_hour_already_passed_today_rolls_to_evening_then_tomorrow() -> None:
    late = datetime(2026, 11, 23, 21, 15, tzinfo=LONDON)
    assert parse("at eight", late) == ("2026-11-24T08:00:00", None)
    assert parse("at noon", late) == ("2026-11-24T12:00:00", None)


def test_month_end_and_year_end() -> None:
    nov_30 = datetime(2026, 11, 30, 22, 0, tzinfo=LONDON)
    assert parse("tomorrow at 9 am", nov_30) == ("2026-12-01T09:00:00", None)
    new_years_eve = datetime(2026, 12, 31, 23, 30, tzinfo=LONDON)
    assert parse("in an hour", new_years_eve) == ("2027-01-01T00:30:00", None)
    assert parse("tomorrow morning", new_years_eve) == ("2027-01-01T09:00:00", None)
    assert parse("on december first", new_years_eve) == ("2027-12-01T09:00:00", None)
    leap = datetime(2028, 2, 28, 12, 0, tzinfo=LONDON)
    assert parse("tomorrow at noon", leap) == ("2028-02-29T12:00:00", None)


def test_spring_forward_relative_time_counts_real_hours() -> None:
    # 2027-03-14 02:00 New York jumps to 03:00: two real hours after 01:30 is 04:30 local.
    before = datetime(2027, 3, 14, 1, 30, tzinfo=NEW_YORK)
    assert parse("in two hours", before) == ("2027-03-14T04:30:00", None)


def test_spring_forward_wall_time_that_does_not_exist_moves_forward() -> None:
    before = datetime(2027, 3, 13, 12, 0, tzinfo=NEW_YORK)
    assert parse("tomorrow at 2 30 am", before) == ("2027-03-14T03:30:00", None)


def test_fall_back_keeps_wall_clock_for_daily_reminders() -> None:
    # London leaves summer time on 2027-10-31; "every day at 8 pm" stays at 8 pm local.
    before = datetime(2027, 10, 30, 21, 0, tzinfo=LONDON)
    when, rrule = parse("every day at 8 pm", before)
    assert (when, rrule) == ("2027-10-31T20:00:00", "FREQ=DAILY")
    found = find_time(normalize("every day at 8 pm"), before)
    assert found is not None and found.when.utcoffset().total_seconds() == 0


def test_fall_back_relative_time_counts_real_hours() -> None:
    # 2027-10-31 01:30 BST; two real hours later the clocks show 02:30 GMT.
    before = datetime(2027, 10, 31, 1, 30, tzinfo=LONDON)
    assert parse("in two hours", before) == ("2027-10-31T02:30:00", None)
