"""Hostile input must never crash the matcher or the dialogue."""

from __future__ import annotations

import pytest

from assistant.dialogue.engine import Dialogue
from assistant.matching.matcher import Matcher
from naughty import naughty_strings

STRINGS = naughty_strings()


def test_there_are_enough_hostile_inputs() -> None:
    assert len(STRINGS) >= 500


def test_matcher_never_raises(matcher: Matcher) -> None:
    for text in STRINGS:
        match = matcher.recognize_best(text)
        assert 0.0 <= match.score <= 1.0
        assert match.intent in matcher.grammar.intents or match.intent == "unknown"


def test_dialogue_never_raises_and_always_answers(dialogue: Dialogue) -> None:
    for text in STRINGS:
        replies = dialogue.handle(text)
        assert replies, repr(text[:80])
        assert all(isinstance(r.text, str) and r.text for r in replies)


@pytest.mark.parametrize("text", ["'; DROP TABLE reminders; --", "$(rm -rf /)", "{message}"])
def test_hostile_reminder_text_is_stored_as_plain_text(dialogue: Dialogue, text: str) -> None:
    dialogue.handle(f"remind me to {text} at 8 pm")
    dialogue.handle("yes")
    assert dialogue.store.reminders(), "the reminder table must survive"
