"""The intent templates: syntax, expansion, regex agreement and validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.grammar.loader import INTENT_NAMES, Grammar, GrammarError, default_intents_dir, load_grammar
from assistant.grammar.templates import TemplateError, expand, parse_template, to_regex


def test_expansion_of_alternatives_optionals_slots_and_rules() -> None:
    rules = {"us": parse_template("(us|the two of us)")}
    phrases = expand(parse_template("(give|ask) <us> [a] [{depth}] question"), rules)
    assert "give us a {depth} question" in phrases
    assert "ask the 2 of us question" in phrases
    assert len(phrases) == 16


def test_regex_accepts_exactly_the_expansions() -> None:
    tree = parse_template("remind (me|us) [to] {message} {when}")
    pattern = to_regex(tree, {}, frozenset({"message"}))
    import re
    m = re.fullmatch(pattern, "remind me to call my sister {when} ")
    assert m is not None and m.group("message__0").strip() == "call my sister"
    assert re.fullmatch(pattern, "remind them to call {when} ") is None


@pytest.mark.parametrize("bad", ["(give|ask", "give us]", "{unclosed", "<rule", "give (us|me))"])
def test_bad_syntax_is_reported(bad: str) -> None:
    with pytest.raises(TemplateError):
        parse_template(bad)


def test_large_templates_are_sampled_but_cover_every_word() -> None:
    tree = parse_template("(a|b|c|d|e|f) (g|h|i|j|k|l) (m|n|o|p|q|r) (s|t|u|v|w|x) [y] [z]")
    phrases = expand(tree, {}, limit=50)
    assert len(phrases) <= 50
    words = {w for p in phrases for w in p.split()}
    assert words == set("abcdefghijklmnopqrstuvwxyz")


def test_every_contract_intent_has_templates(grammar: Grammar) -> None:
    assert set(grammar.intents) == set(INTENT_NAMES)
    for spec in grammar.intents.values():
        assert spec.phrases, spec.name


def test_installed_data_location_is_found() -> None:
    assert any(default_intents_dir().glob("*.yaml"))


def _write(tmp_path: Path, files: dict[str, str]) -> Path:
    for src in default_intents_dir().glob("*.yaml"):
        (tmp_path / src.name).write_text(src.read_text())
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("files, message", [
    ({"help.yaml": "intent: help\nsentences: ['(help']\n"}, "help.yaml: help"),
    ({"help.yaml": "intent: help\nsentences: ['help {nothing}']\n"}, "undeclared slot {nothing}"),
    ({"help.yaml": "intent: help\nslots: {x: nolist}\nsentences: ['help']\n"}, "unknown list 'nolist'"),
    ({"help.yaml": "intent: helping\nsentences: ['help']\n"}, "unknown intent 'helping'"),
    ({"help.yaml": "intent: help\nsentences: ['<nosuchrule>']\n"}, "unknown rule <nosuchrule>"),
    ({"help.yaml": "intent: help\nsentences: ['stop']\n"}, "belongs to both"),
    ({"help.yaml": "intent: help\nsentences: [\n"}, "help.yaml: not valid YAML"),
    ({"help.yaml": "intent: repeat\nsentences: ['help me please']\n"}, "defined twice"),
])
def test_invalid_intent_files_give_clear_errors(tmp_path: Path, files: dict[str, str], message: str) -> None:
    with pytest.raises(GrammarError, match=message.replace("{", r"\{").replace("(", r"\(").replace("[", r"\[")):
        load_grammar(_write(tmp_path, files))
