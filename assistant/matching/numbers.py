"""Spoken numbers to digits, so that "eight thirty", "8:30" and "8 30" all read the same."""

from __future__ import annotations

UNITS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}


def ordinal_suffix(n: int) -> str:
    """The written ordinal of n: 1st, 2nd, 3rd, 11th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def words_to_digits(tokens: list[str]) -> list[str]:
    """Replace number words with digits, combining only what is one number when spoken.

    "twenty five" is 25 and "twenty first" is 21st, but "eight thirty" stays two numbers
    (8 30) because that is how clock times are said.
    """
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok in TENS:
            value = TENS[tok]
            if nxt in UNITS and 0 < UNITS[nxt] < 10:
                out.append(str(value + UNITS[nxt]))
                i += 2
                continue
            if nxt in ORDINALS and ORDINALS[nxt] < 10:
                out.append(ordinal_suffix(value + ORDINALS[nxt]))
                i += 2
                continue
            out.append(str(value))
        elif tok in UNITS or tok == "a" and nxt == "hundred":
            if nxt == "hundred":
                out.append(str(100 * (UNITS.get(tok, 1))))
                i += 2
                continue
            out.append(str(UNITS[tok]))
        elif tok == "hundred":
            out.append("100")
        elif tok in ORDINALS:
            out.append(ordinal_suffix(ORDINALS[tok]))
        else:
            out.append(tok)
        i += 1
    return out
