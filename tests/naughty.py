"""Hostile inputs for the matcher and dialogue: at least 500, built from a base list and mutations."""

from __future__ import annotations

BASE = [
    "", " ", "\t", "\n", "\r\n", "\x00", "\x00\x00give us a question", "\x1b[31mred\x1b[0m", "\x7f\x80\x9f",
    "\u200b", "\u200bgive\u200b us\u200b a\u200b question", "\ufeffhelp", "\u202eevig su a noitseuq",
    "\u0645\u0631\u062d\u0628\u0627", "\u05e9\u05dc\u05d5\u05dd", "\u4f60\u597d\u4e16\u754c", "\u3053\u3093\u306b\u3061\u306f",
    "\ud55c\uad6d\uc5b4", "\u0928\u092e\u0938\u094d\u0924\u0947", "\U0001f600\U0001f60d\U0001f495", "\u2764\ufe0f",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357\u0334",
    "\U0001d57f\U0001d58d\U0001d58a \U0001d596\U0001d586\U0001d58e\U0001d58e", "ＧＩＶＥ ＵＳ Ａ ＱＵＥＳＴＩＯＮ",
    "ǵíṽé ũś á q́úéśt́íóń", "\ud83d", "\udfff", "' OR '1'='1", "'; DROP TABLE reminders; --",
    "\" OR 1=1 --", "1; DELETE FROM history", "remind me to '); DROP TABLE reminders; -- at 8 pm",
    "$(rm -rf /)", "`reboot`", "; ls -la", "| cat /etc/passwd", "&& shutdown now", "${HOME}", "%s%s%s%n",
    "{0}{1}", "{when}", "{message}", "{category}", "<script>alert(1)</script>", "../../../../etc/passwd",
    "C:\\Windows\\System32", "\\\\server\\share", "(((((((((((", ")))))))", "[[[[[", "|||||", "*+?{}^$",
    ".*", "\\d+\\w*", "NaN", "Infinity", "-1", "0", "1e309", "99999999999999999999999999",
    "in 99999999999 days", "in 9999999999999999999999 hours remind me to breathe", "at 99 pm",
    "every day at 25 30", "on february 30th", "on the 31st of april", "at 0 am", "at 12 am",
    "remind me", "remind me to", "remind me at", "remind", "cancel", "cancel the reminder to",
    "remind me to remind me to remind me", "every every every", "in in in in", "at at at",
    "a" * 10_000, "give us a question " * 5000, "x" * 100_000, "🙂" * 50_000,
    "remind me to " + "hug her " * 3000 + "at 8 pm", " ".join(["please"] * 1000),
    "um " * 2000, "7 " * 5000, "seven " * 3000, "twenty " * 2000, "first second " * 1000,
    "null", "None", "undefined", "true", "false", "[]", "{}", "\"\"", "''", "\\", "/", "?", "!!!!", "...",
    "-- -- --", "'", "''''''", "it's'''s", "o'clock o'clock", "p m p m p m", "a m", "8 a m a m",
]

MUTATIONS = [
    lambda s: s,
    lambda s: s.upper(),
    lambda s: "remind me to " + s + " at 8 pm",
    lambda s: "give us a question about " + s,
    lambda s: s + " every sunday at 7 pm",
    lambda s: "cancel the reminder to " + s,
]


def naughty_strings() -> list[str]:
    """Every base string under every mutation, without duplicates."""
    out = dict.fromkeys(m(s) for s in BASE for m in MUTATIONS)
    return list(out)
