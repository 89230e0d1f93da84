"""Turning times, recurrences and lists into short sentences a voice can say."""

from __future__ import annotations

from datetime import datetime

from assistant.matching.numbers import ordinal_suffix

DAY_NAMES = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
             "SA": "Saturday", "SU": "Sunday"}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")


def clock_time(moment: datetime) -> str:
    """8 pm, 8:30 am, noon, midnight."""
    if moment.hour == 12 and moment.minute == 0:
        return "noon"
    if moment.hour == 0 and moment.minute == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour} {suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d} {suffix}"


def day_phrase(moment: datetime, now: datetime) -> str:
    """today, tomorrow, yesterday, Friday, or December 1st."""
    days = (moment.date() - now.date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    if 1 < abs(days) < 7:
        return moment.strftime("%A")
    return f"{MONTH_NAMES[moment.month - 1]} {ordinal_suffix(moment.day)}"


def moment_phrase(moment: datetime, now: datetime) -> str:
    """"today at noon", "yesterday at 8 pm", "Friday at 7:30 pm"."""
    return f"{day_phrase(moment, now)} at {clock_time(moment)}"


def _rule_parts(rrule: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in rrule.split(";") if "=" in part)


def schedule_phrase(when: datetime, rrule: str | None, now: datetime) -> str:
    """How a reminder's timing is said: "Every day at 8 pm", "Friday at 7 pm"."""
    at = f"at {clock_time(when)}"
    if rrule is None:
        said = moment_phrase(when, now)
        return f"{said[0].upper()}{said[1:]}"
    parts = _rule_parts(rrule)
    freq = parts.get("FREQ", "")
    interval = int(parts.get("INTERVAL", "1"))
    if freq == "DAILY":
        return f"Every other day {at}" if interval == 2 else f"Every day {at}"
    if freq == "WEEKLY":
        days = parts.get("BYDAY", "").split(",") if parts.get("BYDAY") else []
        if days == ["MO", "TU", "WE", "TH", "FR"]:
            return f"Every weekday {at}"
        if days == ["SA", "SU"]:
            return f"Every weekend day {at}"
        if days:
            return f"Every {join_words([DAY_NAMES[d] for d in days])} {at}"
        return f"Every week on {when.strftime('%A')} {at}"
    if freq == "MONTHLY":
        return f"Every month on the {ordinal_suffix(when.day)} {at}"
    return f"Repeating, next on {day_phrase(when, now)} {at}"


def join_words(words: list[str], last: str = "and") -> str:
    """a, b and c."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def ensure_sentence(text: str) -> str:
    """Text ending with sentence punctuation, so joined replies read naturally."""
    text = text.strip()
    return text if not text or text[-1] in ".?!" else text + "."


def count_phrase(count: int, noun: str) -> str:
    """"no check-ins", "1 check-in", "3 check-ins"."""
    if count == 0:
        return f"no {noun}s"
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
