"""Spoken times for reminders: "eight thirty p m", "friday at seven", "every sunday at 7 pm".

Works on normalised text (numbers already digits, "p m" already "pm") relative to an
injected `now`, and returns the first occurrence as a local datetime plus an RFC 5545 RRULE
when the time repeats. Ambiguous hours follow what a person means when they say them:
a bare hour today is its next occurrence; on another day or in a repetition it is the
evening one ("friday at seven" is 7 pm).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
MAX_AHEAD = timedelta(days=3660)
"""Relative times further out than ten years are not reminders anyone means."""
PART_OF_DAY_HOUR = {"morning": 9, "afternoon": 15, "evening": 19, "night": 21, "tonight": 21}

_WD = "|".join(WEEKDAYS)
_MON = "|".join(MONTHS) + "|sept"
_ORD = r"(?P<d>[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_PART = r"(?P<pod>morning|afternoon|evening|night)"
_HOUR_MIN = r"(?P<h>[01]?\d|2[0-3])(?: (?P<m>[0-5]\d)| oh (?P<m2>[1-9]))?"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("relative", re.compile(
        r"\bin (?:(?P<n>\d+)|(?P<a>a|an|1)|(?P<few>a few|a couple of|a couple)) "
        r"(?P<unit>minute|minutes|min|mins|hour|hours|day|days|week|weeks)(?P<half> and a half)?\b")),
    ("relative_half", re.compile(r"\bin (?:half an hour|a half hour|half hour)\b")),
    ("recur", re.compile(
        rf"\b(?:every (?:single )?(?P<every>day|morning|afternoon|evening|night|weekday|weekend|week|month|"
        rf"other day|(?:{_WD})(?: (?P<rpod>morning|afternoon|evening|night))?)|(?P<adv>daily|nightly|weekly|monthly)|each (?P<each>day|morning|afternoon|"
        rf"evening|night|week)|on (?P<plural>(?:{_WD}))s|on weekdays|weekday mornings|weeknights)\b")),
    ("date", re.compile(
        rf"\b(?:on )?(?:the )?(?:(?P<mon>{_MON}) (?:the )?{_ORD}|{_ORD.replace('<d>', '<d2>')} (?:of )?(?P<mon2>{_MON}))\b")),
    ("day", re.compile(
        rf"\b(?:the day after tomorrow|tomorrow(?: {_PART})?|today|tonight|this {_PART.replace('<pod>', '<pod3>')}|"
        rf"(?:on |this |next |this coming |coming )?(?P<wd>{_WD})(?: {_PART.replace('<pod>', '<pod2>')})?|"
        rf"next week|this weekend|next month)\b")),
    ("clock", re.compile(
        rf"\b(?:(?:at|by|around|about|for|from) )?(?:{_HOUR_MIN} (?P<ampm>am|pm|oclock)(?: (?P<ampm2>am|pm))?"
        rf"|(?:noon|midday|midnight|(?:half|quarter) past (?P<hp>1[0-2]|[1-9])|quarter to (?P<ht>1[0-2]|[1-9])))\b")),
    ("clock_at", re.compile(rf"\b(?:at|by|around) {_HOUR_MIN}\b")),
    ("part", re.compile(r"\b(?:in the (?P<pod>morning|afternoon|evening)|at night)\b")),
]


@dataclass(frozen=True)
class TimeMatch:
    spans: tuple[tuple[int, int], ...]
    """Character spans of the time words in the normalised text."""
    when: datetime
    """First occurrence, timezone-aware in the local zone."""
    rrule: str | None
    """RFC 5545 recurrence rule when the time repeats."""

    @property
    def when_iso(self) -> str:
        """Local wall-clock time as ISO 8601 without offset, e.g. 2026-11-23T20:00:00."""
        return self.when.replace(tzinfo=None).isoformat(timespec="seconds")


@dataclass
class _Parts:
    relative: timedelta | None = None
    day: date | None = None
    weekday: int | None = None
    hour: int | None = None
    minute: int = 0
    ampm: str | None = None
    pod: str | None = None
    freq: str | None = None
    byday: tuple[int, ...] = ()
    interval: int = 1
    today_said: bool = False


def _local(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    # A wall time that does not exist (spring forward) moves forward by the gap.
    naive = datetime.combine(day, time(hour % 24, minute))
    return naive.replace(tzinfo=tz).astimezone(timezone.utc).astimezone(tz)


def _find(text: str) -> list[tuple[str, re.Match[str]]]:
    found: list[tuple[str, re.Match[str]]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        matches = list(pattern.finditer(text))
        if kind == "recur" and len(matches) > 1:
            # One recurrence per reminder: "every tuesday" says it, the "weekly" in
            # "our weekly check in" is part of the message.
            explicit = [m for m in matches if not m.group("adv")]
            matches = explicit[:1] or matches[:1]
        for m in matches:
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            found.append((kind, m))
            taken.append(m.span())
    return sorted(found, key=lambda item: item[1].start())


def _apply(kind: str, m: re.Match[str], parts: _Parts, now: datetime) -> None:
    g = m.groupdict()
    if kind == "relative":
        n = min(int(g["n"]), 10**6) if g["n"] else (1 if g["a"] else (2 if "couple" in (g["few"] or "") else 3))
        unit = g["unit"].rstrip("s")
        unit = {"min": "minute"}.get(unit, unit)
        amount = n + (0.5 if g["half"] else 0)
        parts.relative = timedelta(**{unit + "s": amount})
    elif kind == "relative_half":
        parts.relative = timedelta(minutes=30)
    elif kind == "recur":
        word = g["every"] or g["adv"] or g["each"] or g["plural"] or m.group(0)
        if word in ("day", "daily", "other day"):
            parts.freq = "DAILY"
            parts.interval = 2 if word == "other day" else 1
        elif word in ("morning", "afternoon", "evening", "night", "nightly"):
            parts.freq = "DAILY"
            parts.pod = "night" if word == "nightly" else word
        elif word in ("week", "weekly"):
            parts.freq = "WEEKLY"
        elif word in ("month", "monthly"):
            parts.freq = "MONTHLY"
        elif word == "weekend":
            parts.freq, parts.byday = "WEEKLY", (5, 6)
        elif "weekday" in word or word in ("on weekdays", "weeknights"):
            parts.freq, parts.byday = "WEEKLY", (0, 1, 2, 3, 4)
            if word == "weekday mornings":
                parts.pod = "morning"
            elif word == "weeknights":
                parts.pod = "evening"
        elif word.split()[0] in WEEKDAYS:
            parts.freq, parts.byday = "WEEKLY", (WEEKDAYS.index(word.split()[0]),)
            if g.get("rpod"):
                parts.pod = g["rpod"]
    elif kind == "date":
        month = g["mon"] or g["mon2"]
        day_num = int(g["d"] or g["d2"])
        month_num = 9 if month == "sept" else MONTHS.index(month) + 1
        year = now.year
        try:
            candidate = date(year, month_num, day_num)
            if candidate < now.date():
                candidate = date(year + 1, month_num, day_num)
        except ValueError:
            return
        parts.day = candidate
    elif kind == "day":
        said = m.group(0)
        pod = g.get("pod") or g.get("pod2") or g.get("pod3")
        if pod:
            parts.pod = pod
        if "day after tomorrow" in said:
            parts.day = now.date() + timedelta(days=2)
        elif said.startswith("tomorrow"):
            parts.day = now.date() + timedelta(days=1)
        elif said in ("today", "tonight") or said.startswith("this ") and pod:
            parts.day = now.date()
            parts.today_said = True
            if said == "tonight":
                parts.pod = "tonight"
        elif said == "next week":
            parts.day = now.date() + timedelta(days=7 - now.weekday())
        elif said == "this weekend":
            parts.day = now.date() + timedelta(days=(5 - now.weekday()) % 7)
        elif said == "next month":
            parts.day = date(now.year + now.month // 12, now.month % 12 + 1, 1)
        elif g.get("wd"):
            parts.weekday = WEEKDAYS.index(g["wd"])
    elif kind in ("clock", "clock_at"):
        said = m.group(0)
        if said.endswith("noon") or said.endswith("midday"):
            parts.hour, parts.ampm = 12, "pm"
        elif said.endswith("midnight"):
            parts.hour, parts.ampm = 0, "am"
        elif g.get("hp"):
            parts.hour, parts.minute = int(g["hp"]), 30 if "half" in said else 15
        elif g.get("ht"):
            parts.hour, parts.minute = int(g["ht"]) - 1 or 12, 45
        else:
            parts.hour = int(g["h"])
            parts.minute = int(g["m"] or g["m2"] or 0)
            ampm = g.get("ampm2") or g.get("ampm")
            if ampm in ("am", "pm"):
                parts.ampm = ampm
    elif kind == "part":
        parts.pod = g.get("pod") or "night"


def _hour24(parts: _Parts, prefer_evening: bool, now: datetime, day: date, tz: ZoneInfo) -> tuple[int, int]:
    if parts.hour is None:
        return PART_OF_DAY_HOUR.get(parts.pod or "", 9), 0
    hour, minute = parts.hour, parts.minute
    if hour > 12:
        return hour, minute
    if parts.ampm == "am":
        return (0 if hour == 12 else hour), minute
    if parts.ampm == "pm" or parts.pod in ("afternoon", "evening", "night", "tonight"):
        if parts.pod == "night" and hour == 12:
            return 0, minute
        return (hour if hour == 12 else hour + 12), minute
    if parts.pod == "morning":
        return (0 if hour == 12 else hour), minute
    if hour == 0 or hour == 12:
        return hour, minute
    if prefer_evening:
        return hour + 12, minute
    # Today with no am/pm: the next time the clock shows that hour.
    morning = _local(day, hour, minute, tz)
    return (hour, minute) if morning > now else (hour + 12, minute)


def _rrule(parts: _Parts) -> str | None:
    if parts.freq is None:
        return None
    rule = f"FREQ={parts.freq}"
    if parts.interval > 1:
        rule += f";INTERVAL={parts.interval}"
    if parts.byday:
        rule += ";BYDAY=" + ",".join(RRULE_DAYS[d] for d in parts.byday)
    return rule


def _resolve(parts: _Parts, now: datetime) -> datetime:
    tz = now.tzinfo if isinstance(now.tzinfo, ZoneInfo) else ZoneInfo("UTC")
    if parts.relative is not None:
        return (now.astimezone(timezone.utc) + parts.relative).astimezone(tz).replace(microsecond=0)
    today = now.date()
    if parts.freq is not None:
        hour, minute = _hour24(parts, True, now, today, tz)
        day = parts.day or today
        for offset in range(0, 400):
            candidate_day = day + timedelta(days=offset)
            if parts.byday and candidate_day.weekday() not in parts.byday:
                continue
            if parts.weekday is not None and candidate_day.weekday() != parts.weekday:
                continue
            candidate = _local(candidate_day, hour, minute, tz)
            if candidate > now:
                return candidate
        return _local(day, hour, minute, tz)
    if parts.weekday is not None:
        ahead = (parts.weekday - today.weekday()) % 7 or 7
        day = today + timedelta(days=ahead)
        hour, minute = _hour24(parts, True, now, day, tz)
        return _local(day, hour, minute, tz)
    if parts.day is not None and not parts.today_said:
        hour, minute = _hour24(parts, True, now, parts.day, tz)
        return _local(parts.day, hour, minute, tz)
    hour, minute = _hour24(parts, False, now, today, tz)
    candidate = _local(today, hour, minute, tz)
    if candidate <= now and not parts.today_said:
        # "at noon" said after noon, or "at 8 am" said at nine: the next one is tomorrow.
        tomorrow = today + timedelta(days=1)
        hour, minute = _hour24(parts, False, now, tomorrow, tz)
        candidate = _local(tomorrow, hour, minute, tz)
    return candidate


def find_time(text: str, now: datetime) -> TimeMatch | None:
    """Find the spoken time in normalised `text`; None when it names no time at all."""
    found = _find(text)
    if not found:
        return None
    kinds = {kind for kind, _ in found}
    if kinds == {"part"}:
        return None  # "in the morning" alone is how people talk, not a reminder time
    parts = _Parts()
    for kind, m in found:
        _apply(kind, m, parts, now)
    if kinds <= {"date"} and parts.day is None:
        return None
    if parts.relative is not None and parts.relative > MAX_AHEAD:
        return None
    try:
        when = _resolve(parts, now)
    except (OverflowError, ValueError):
        return None  # a date past the calendar's end: not a time anyone means
    return TimeMatch(tuple(m.span() for _, m in found), when, _rrule(parts))


_PAST = re.compile(
    rf"\b(?:(?P<yesterday>yesterday|last night)|(?P<n>\d+) days ago|(?P<week>last week)|"
    rf"(?P<weekend>last weekend|at the weekend|on the weekend)|(?:on |last )(?P<wd>{_WD}))\b")


def find_past_day(text: str, now: datetime) -> datetime | None:
    """When something already happened: "last night", "3 days ago", "on saturday"; None if unsaid."""
    m = _PAST.search(text)
    if m is None:
        return None
    if m.group("yesterday"):
        days = 1
    elif m.group("n"):
        days = min(int(m.group("n")), 3650)
    elif m.group("week"):
        days = 7
    else:
        target = 5 if m.group("weekend") else WEEKDAYS.index(m.group("wd"))
        days = (now.weekday() - target) % 7 or 7
    return now - timedelta(days=days)
