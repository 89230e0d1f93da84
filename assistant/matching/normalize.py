"""Text normalisation shared by templates, utterances and slot values.

Everything the matcher compares goes through `normalize`, so a template and a spoken
sentence that differ only in case, punctuation, contractions, number spelling or filler
words come out identical.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.matching.numbers import ORDINALS, TENS, UNITS, words_to_digits

CONTRACTIONS: dict[str, str] = {
    "what's": "what is", "that's": "that is", "it's": "it is", "let's": "let us",
    "there's": "there is", "here's": "here is", "how's": "how is", "who's": "who is",
    "where's": "where is", "when's": "when is", "we're": "we are", "you're": "you are",
    "they're": "they are", "i'm": "i am", "i've": "i have", "we've": "we have",
    "you've": "you have", "i'd": "i would", "we'd": "we would", "you'd": "you would",
    "i'll": "i will", "we'll": "we will", "you'll": "you will", "don't": "do not",
    "doesn't": "does not", "didn't": "did not", "can't": "can not", "cannot": "can not",
    "won't": "will not", "isn't": "is not", "aren't": "are not", "wasn't": "was not",
    "haven't": "have not", "hasn't": "has not", "shouldn't": "should not",
    "couldn't": "could not", "wouldn't": "would not", "o'clock": "oclock", "gonna": "going to",
    "wanna": "want to", "gotta": "got to", "gimme": "give me", "lemme": "let me",
    "ya": "you", "y'all": "you all", "ma'am": "madam",
}

# Sounds and politeness that carry no meaning for a command.
FILLERS: frozenset[str] = frozenset(
    {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "hm", "mm", "mmm", "please", "pls",
     "plz", "kindly", "really", "just", "maybe", "actually", "perhaps", "quickly", "basically"}
)

# Openers a couple puts before the actual request; only stripped at the start.
_LEADING = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|so|well|alright|all right|oh|and|right|now|reconnect)\s+)*"
    r"(?:(?:can|could|would|will) you\s+(?:maybe\s+|just\s+)?)?"
)
_TRAILING = re.compile(r"(?:\s+(?:now|for us|for me|then|ok|okay|right now))+$")

_AMPM = re.compile(r"\b(\d{1,2})\s*([ap])\s*\.?\s*m\b\.?")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_GLUED = re.compile(r"\b(\d+)(am|pm|st|nd|rd|th)\b")
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

MAX_CHARS = 2000
"""Longer input is cut: no one speaks 2,000 characters to a voice assistant in one breath."""

# Lowercase words, single-spaced, no digits: the shape of almost every template expansion.
_PLAIN = re.compile(r"[a-z]+(?: [a-z]+)*")
# The words of such text that `_rewrite` would change, drop or read together with a neighbour.
_REWRITTEN = frozenset(CONTRACTIONS) | FILLERS | UNITS.keys() | TENS.keys() | ORDINALS.keys() | {"hundred"}


def normalize(text: str, *, strip_courtesy: bool = True) -> str:
    """Return the canonical lowercase form of `text` used for all matching."""
    # Plain text comes through `_rewrite` unchanged. Loading the grammar normalises some
    # 20,000 template phrases, nearly all plain, and `_rewrite` was a third of start-up.
    plain = len(text) <= MAX_CHARS and _PLAIN.fullmatch(text) is not None and _REWRITTEN.isdisjoint(text.split())
    if plain and not strip_courtesy:
        return text
    if not plain:
        text = _rewrite(text)
    if strip_courtesy:
        text = _LEADING.sub("", text)
        text = _TRAILING.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _rewrite(text: str) -> str:
    # Everything but the courtesy words: case, punctuation, contractions, fillers, numbers, times.
    text = _CONTROL.sub(" ", unicodedata.normalize("NFKC", text[: MAX_CHARS * 2]))
    text = text[:MAX_CHARS].lower().replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("-", " ").replace("_", " ").replace("/", " ").replace("&", " and ")
    text = _CLOCK.sub(r"\1 \2", text)
    text = _NON_WORD.sub(" ", text)
    tokens: list[str] = []
    for tok in text.split():
        tok = tok.strip("'")
        expanded = CONTRACTIONS.get(tok)
        if expanded is not None:
            tokens.extend(expanded.split())
            continue
        if tok.endswith("'s"):
            tok = tok[:-2]
        tok = tok.replace("'", "")
        if tok and tok not in FILLERS:
            tokens.append(tok)
    text = " ".join(words_to_digits(tokens))
    text = _GLUED.sub(r"\1 \2", text)
    text = _AMPM.sub(r"\1 \2m", text)
    # ordinals were split by _GLUED; glue them back ("1 st" -> "1st")
    return re.sub(r"\b(\d+) (st|nd|rd|th)\b", r"\1\2", text)
