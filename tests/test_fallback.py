"""The naive Bayes fallback: rescues unfamiliar phrasings, never overrides the rules, fails loudly on bad data."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.grammar.loader import Grammar, GrammarError
from assistant.matching.classifier import NaiveBayes, read_out_of_scope, train_fallback
from assistant.matching.matcher import Matcher


def test_fallback_understands_a_phrasing_no_template_has(grammar: Grammar, matcher: Matcher) -> None:
    text = "time for a heart to heart talk"
    assert Matcher(grammar).recognize_best(text).intent == "unknown"
    assert matcher.recognize_best(text).intent == "ask_question"


def test_fallback_stays_quiet_on_function_words_and_chatter(matcher: Matcher) -> None:
    for text in ("tell me a joke", "we need to go", "is it", "let's go to bed", "pass the salt please"):
        assert matcher.recognize_best(text).intent == "unknown", text


def test_naive_bayes_prefers_the_class_its_words_came_from() -> None:
    nb = NaiveBayes([("give us a question", "ask_question"), ("suggest a date", "suggest_date"),
                     ("turn on the lights", "unknown")])
    assert nb.guess("a question please").intent == "ask_question"
    assert nb.guess("lights on").intent == "unknown"
    assert nb.guess("zzz qqq").intent == "unknown"  # no known word: nothing to go on


def test_out_of_scope_file_is_checked(tmp_path: Path, grammar: Grammar) -> None:
    assert read_out_of_scope(tmp_path / "missing.yaml") == []
    bad = tmp_path / "out_of_scope.yaml"
    bad.write_text("out_of_scope: play some jazz\n", encoding="utf-8")
    with pytest.raises(GrammarError, match="out_of_scope.yaml: expected a list"):
        train_fallback(grammar, tmp_path)
