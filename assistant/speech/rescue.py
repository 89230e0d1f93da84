"""Choosing what was said when the command grammar refused an utterance and an open engine heard it.

Two recognisers agreeing: the grammar's refused best guess against the open engine's words.

The command grammar refuses an utterance when its words fit the audio worse than free phones
do, which happens to real commands in a voice the acoustic model knows badly. The open engine
then hears the same audio with its whole vocabulary; when its words are not a command the text
matcher knows, it usually misheard a word or two of one ("give us a relationship too"). When
the grammar's guess and those words differ only where they sound alike, two engines that share
nothing heard the same command, and it is taken. Where the open engine heard other words in
place of the guess's ("check in for my flight" against "check in for us") the guess stays refused.

When neither the open engine's best reading nor the guess will do, a reading the open engine
found nearly as likely ("say that again" behind "date that again") may be understood.

Sounds are compared on a rough spelling-to-sound key: voiced and unvoiced consonants merged,
vowels after the first letter dropped. Pure text, no dictionary, a few microseconds a word.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.matching.normalize import normalize
from assistant.messages import Transcript

SPAN_SIMILARITY = 0.3
"""Least sound similarity of every stretch where the two word sequences differ."""
WHOLE_SIMILARITY = 0.7
"""Least sound similarity of the two utterances as a whole.

Both were chosen on the spoken golden sentences (piper and espeak-ng voices): with them the
espeak-ng commands heard right went from 384 to 394 of 438 and piper's from 428 to 429, while
out-of-scope sentences refused fell from 107 to 106 (espeak-ng) and 103 to 100 (piper) of 107."""

_SOUND_RULES = tuple((re.compile(pattern), replacement) for pattern, replacement in (
    (r"[^a-z0-9]", ""), ("ph", "f"), ("ck", "k"), ("gh", ""), ("th", "0"), ("sh", "x"), ("ch", "x"),
    ("wh", "w"), ("c(?=[eiy])", "s"), ("c", "k"), ("q", "k"), ("x", "ks"), ("z", "s"), ("v", "f"),
    ("d", "t"), ("b", "p"), ("g", "k"), ("j", "k"), ("(?<=.)[aeiouyhw]", ""), ("^[aeiouy]", "a"),
    (r"(.)\1+", r"\1"),
))


def sound_key(word: str) -> str:
    """A rough key of how `word` sounds: "tip" and "deep" share one, "us" and "time" do not."""
    key = word.lower()
    for pattern, replacement in _SOUND_RULES:
        key = pattern.sub(replacement, key)
    return key


def _similarity(a: list[str], b: list[str]) -> float:
    x, y = "".join(map(sound_key, a)), "".join(map(sound_key, b))
    if not x and not y:
        return 1.0
    return difflib.SequenceMatcher(None, x, y, autojunk=False).ratio()


def agree(guess: str, heard: str) -> bool:
    """Whether the words `guess` and `heard` (both normalised) could be one utterance misheard."""
    a, b = guess.split(), heard.split()
    if not a or not b or _similarity(a, b) < WHOLE_SIMILARITY:
        return False
    stretches = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return all(_similarity(a[i1:i2], b[j1:j2]) >= SPAN_SIMILARITY
               for op, i1, i2, j1, j2 in stretches if op != "equal")


@dataclass(frozen=True)
class Understood:
    """The words chosen to act on after the grammar refused an utterance, and where they came from."""

    words: str
    """Normalised words, "" when nothing heard was understood."""
    source: str
    """"free" (the open engine's best reading), "guess" (the grammar's refused guess, which the
    open engine's words agree with), "alternative" (a near-best reading of the open engine), or ""."""


def understood(free: Transcript, guess: str, understands: Callable[[str], bool]) -> Understood:
    """What to act on when the grammar refused an utterance (`guess` is its nearest command) and an
    open engine heard it as `free`; `understands(words)` says whether the text matcher knows them.

    In order, the first that is understood: the open engine's best reading; the grammar's guess,
    when the two agree; the open engine's near-best alternatives. Otherwise nothing.
    """
    heard = normalize(free.text, strip_courtesy=False)
    if heard and understands(heard):
        return Understood(heard, "free")
    nearest = normalize(guess, strip_courtesy=False)
    if agree(nearest, heard) and understands(nearest):
        return Understood(nearest, "guess")
    for alternative in free.alternatives:
        words = normalize(alternative, strip_courtesy=False)
        if words and understands(words):
            return Understood(words, "alternative")
    return Understood("", "")
