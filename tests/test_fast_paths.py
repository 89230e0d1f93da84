"""Start-up shortcuts give exactly what the long way gives: same normal forms, same template sample."""

from __future__ import annotations

import random
import re

import pytest

from assistant.grammar.loader import Grammar, default_intents_dir
from assistant.grammar.templates import (
    Alternative, Node, Phrase, RuleRef, Sequence, SlotRef, Word, _expand_one, _flatten, parse_template,
)
from assistant.matching import normalize as normalize_module
from assistant.matching.normalize import normalize
from assistant.yamlfile import load_yaml

# Words the shortcut must leave to the full pipeline, mixed with ones it may pass through.
TRICKY = ("a hundred", "twenty", "one", "first", "hundred", "please", "just", "um", "gonna", "cannot", "ya",
          "hey", "can you", "now", "for us", "okay", "right now", "reconnect", "so", "a", "p", "m", "st", "th")
PLAIN = ("give", "us", "date", "night", "idea", "the", "question", "remind", "me", "tonight", "of", "check", "in")


def _long_way(text: str, strip_courtesy: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(normalize_module, "_PLAIN", re.compile(r"(?!)"))  # nothing counts as plain
        return normalize(text, strip_courtesy=strip_courtesy)


def test_plain_text_shortcut_agrees_with_the_full_pipeline(grammar: Grammar,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    texts = [" ".join(rng.choice(TRICKY + PLAIN) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    texts += [p for spec in grammar.intents.values() for p in spec.phrases[:200]]
    texts += ["give us " * 300, "hey okay give us a tip now", "a hundred ideas", "twenty one questions", ""]
    for text in texts:
        for strip in (True, False):
            assert normalize(text, strip_courtesy=strip) == _long_way(text, strip, monkeypatch), (text, strip)


def _reference_sample(node: Node, rules: dict[str, Sequence], pick: int, salt: list[int]) -> Phrase:
    # The original recursive walk: the faster one must pick the same options, or every
    # sampled phrase, and the classifier trained on them, silently changes.
    if isinstance(node, Word):
        return (node.text,)
    if isinstance(node, SlotRef):
        return ("{" + node.name + "}",)
    if isinstance(node, RuleRef):
        return _reference_sample(rules[node.name], rules, pick, salt)
    if isinstance(node, Alternative):
        salt[0] += 1
        option = node.options[(pick * (salt[0] * 7 + 1) + pick // (salt[0] + 1)) % len(node.options)]
        return _reference_sample(option, rules, pick, salt)
    out: Phrase = ()
    for item in node.items:
        out += _reference_sample(item, rules, pick, salt)
    return out


def test_template_sample_matches_the_reference_walk() -> None:
    docs = [load_yaml(path) for path in sorted(default_intents_dir().glob("*.yaml"))]
    rules = {name: parse_template(str(text)) for doc in docs for name, text in (doc.get("rules") or {}).items()}
    templates = [e if isinstance(e, str) else e["text"] for doc in docs for e in doc.get("sentences") or []]
    assert len(templates) > 100
    for text in templates:
        tree = parse_template(text)
        flat = _flatten(tree, rules, [])
        for pick in range(0, 400, 7):
            assert tuple(_expand_one(flat, pick, [0], [])) == _reference_sample(tree, rules, pick, [0]), text
