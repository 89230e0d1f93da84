"""The grammar's refused guess against the open engine's words: same command misheard, or other words."""

from __future__ import annotations

import pytest

from assistant.messages import Transcript
from assistant.speech.rescue import Understood, agree, sound_key, understood


@pytest.mark.parametrize(("guess", "heard"), [
    ("give us a relationship tip", "give us a relationship too"),
    ("do you have a conversation starter for us", "do you have a conversation started for us"),
    ("no we're good", "know we're good"),
    ("give us a tip about communication", "give us a deep amount communication"),
    ("give us a question", "give us a question"),
])
def test_misheard_words_that_sound_alike_agree(guess: str, heard: str) -> None:
    assert agree(guess, heard)


@pytest.mark.parametrize(("guess", "heard"), [
    ("check in for us", "check in for my flight"),         # other words where the guess had "us"
    ("how are we doing for us", "how are we doing for time"),
    ("what's the interrupt rule", "what's the weather tomorrow"),
    ("tell me the marriage tip", "tell me the news"),
    ("give us a question", ""),
    ("", "give us a question"),
])
def test_other_words_do_not_agree(guess: str, heard: str) -> None:
    assert not agree(guess, heard)


def test_sound_keys_merge_voicing_and_drop_inner_vowels() -> None:
    assert sound_key("tip") == sound_key("dip") == "tp"
    assert sound_key("phone") == sound_key("fun") == "fn"
    assert sound_key("Us") == "as" and sound_key("time") == "tm"
    assert sound_key("") == ""


def test_what_is_understood_comes_from_the_best_reading_then_the_guess_then_an_alternative() -> None:
    known = {"give us a relationship tip", "say that again", "give us a question"}.__contains__
    assert understood(Transcript("Give us a question."), "", known) == Understood("give us a question", "free")
    assert understood(Transcript("give us a relationship too"), "give us a relationship tip", known) \
        == Understood("give us a relationship tip", "guess")
    assert understood(Transcript("date that again", alternatives=("data again", "say that again")), "", known) \
        == Understood("say that again", "alternative")
    assert understood(Transcript("check in for my flight", alternatives=("check in for my flights",)),
                      "check in for us", known) == Understood("", "")
    # a guess that agrees but is no command the matcher knows is not worth answering
    assert understood(Transcript("give us a relationship too"), "give us a relationship tip", set().__contains__) \
        == Understood("", "")
