"""Sentence templates in the style of hassil/Rhasspy: `(a|b)` alternatives, `[x]` optional,
`{slot}` slot references and `<rule>` shared sub-templates.

A template expands to a finite list of phrases. Each phrase is a tuple of tokens where a
token is either a normalised word sequence or a slot placeholder such as `{category}`. The
same expansion feeds the text matcher and the speech grammars.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from typing import Union

from assistant.matching.normalize import normalize


class TemplateError(ValueError):
    """A template that cannot be parsed or expanded; the message says where."""


@dataclass(frozen=True)
class Word:
    text: str
    """Literal words as written in the template."""


@dataclass(frozen=True)
class SlotRef:
    name: str
    """The slot this position fills, e.g. `category`."""


@dataclass(frozen=True)
class RuleRef:
    name: str
    """A named sub-template from the rules file, e.g. `<us>`."""


@dataclass(frozen=True)
class Sequence:
    items: tuple["Node", ...]
    """Nodes spoken one after another."""


@dataclass(frozen=True)
class Alternative:
    options: tuple[Sequence, ...]
    """Exactly one option is spoken; an empty Sequence makes the group optional."""


Node = Union[Word, SlotRef, RuleRef, Sequence, Alternative]


def _tokenize(template: str) -> list[str]:
    tokens: list[str] = []
    i, n = 0, len(template)
    while i < n:
        ch = template[i]
        if ch in "()[]|":
            tokens.append(ch)
            i += 1
        elif ch in "{<":
            close = "}" if ch == "{" else ">"
            j = template.find(close, i)
            if j < 0:
                raise TemplateError(f"unclosed {ch!r} at column {i + 1} in {template!r}")
            name = template[i + 1 : j].strip()
            if not name.replace("_", "").isalnum():
                raise TemplateError(f"bad name {name!r} in {template!r}")
            tokens.append(ch + name + close)
            i = j + 1
        elif ch.isspace():
            i += 1
        else:
            j = i
            while j < n and template[j] not in "()[]|{<" and not template[j].isspace():
                j += 1
            tokens.append(template[i:j])
            i = j
    return tokens


def parse_template(template: str) -> Sequence:
    """Parse a template string into a tree; raises TemplateError on bad syntax."""
    tokens = _tokenize(template)
    pos = 0

    def parse_alternative(closer: str | None) -> Alternative:
        nonlocal pos
        options: list[Sequence] = []
        items: list[Node] = []
        while True:
            if pos >= len(tokens):
                if closer is not None:
                    raise TemplateError(f"missing {closer!r} in {template!r}")
                options.append(Sequence(tuple(items)))
                return Alternative(tuple(options))
            tok = tokens[pos]
            pos += 1
            if tok == "|":
                options.append(Sequence(tuple(items)))
                items = []
            elif tok in ")]":
                if tok != closer:
                    raise TemplateError(f"unexpected {tok!r} in {template!r}")
                options.append(Sequence(tuple(items)))
                return Alternative(tuple(options))
            elif tok in "([":
                inner = parse_alternative(")" if tok == "(" else "]")
                if tok == "[":
                    inner = Alternative(inner.options + (Sequence(()),))
                items.append(inner)
            elif tok.startswith("{"):
                items.append(SlotRef(tok[1:-1]))
            elif tok.startswith("<"):
                items.append(RuleRef(tok[1:-1]))
            else:
                items.append(Word(tok))

    top = parse_alternative(None)
    if len(top.options) == 1:
        return top.options[0]
    return Sequence((top,))


Phrase = tuple[str, ...]
"""Expanded tokens: plain words, or `{slot}` placeholders."""


def _count(node: Node, rules: dict[str, Sequence], depth: int = 0) -> int:
    if depth > 20:
        raise TemplateError("rules nest too deeply (a rule refers to itself?)")
    if isinstance(node, (Word, SlotRef)):
        return 1
    if isinstance(node, RuleRef):
        if node.name not in rules:
            raise TemplateError(f"unknown rule <{node.name}>")
        return _count(rules[node.name], rules, depth + 1)
    if isinstance(node, Alternative):
        return sum(_count(o, rules, depth + 1) for o in node.options)
    total = 1
    for item in node.items:
        total *= _count(item, rules, depth + 1)
    return total


def _expand_all(node: Node, rules: dict[str, Sequence]) -> list[Phrase]:
    if isinstance(node, Word):
        return [(node.text,)]
    if isinstance(node, SlotRef):
        return [("{" + node.name + "}",)]
    if isinstance(node, RuleRef):
        return _expand_all(rules[node.name], rules)
    if isinstance(node, Alternative):
        return [p for option in node.options for p in _expand_all(option, rules)]
    result: list[Phrase] = [()]
    for item in node.items:
        result = [a + b for a, b in itertools.product(result, _expand_all(item, rules))]
    return result


# A template flattened for sampling: rules inlined, each step a token or a group of options.
_Flat = list[Union[str, tuple["_Flat", ...]]]


def _flatten(node: Node, rules: dict[str, Sequence], out: _Flat) -> _Flat:
    if isinstance(node, Word):
        out.append(node.text)
    elif isinstance(node, SlotRef):
        out.append("{" + node.name + "}")
    elif isinstance(node, RuleRef):
        _flatten(rules[node.name], rules, out)
    elif isinstance(node, Alternative):
        out.append(tuple(_flatten(option, rules, []) for option in node.options))
    else:
        for item in node.items:
            _flatten(item, rules, out)
    return out


def _expand_one(flat: _Flat, pick: int, salt: list[int], out: list[str]) -> list[str]:
    # Walks the template choosing one option per group; different `pick` values rotate every
    # group through its options, so a few hundred samples use every word of the template.
    # `salt` counts the groups met so far, in template order, along the chosen path.
    for step in flat:
        if isinstance(step, str):
            out.append(step)
        else:
            salt[0] += 1
            _expand_one(step[(pick * (salt[0] * 7 + 1) + pick // (salt[0] + 1)) % len(step)], pick, salt, out)
    return out


@functools.lru_cache(maxsize=65536)
def _normalize_run(words: str) -> str:
    return normalize(words, strip_courtesy=False)


def _render(tokens: Phrase) -> str:
    text = " ".join(tokens)
    if "{" not in text:
        # No slot, so one run: most phrases, and the loop below costs more than the cache hit.
        return _normalize_run(text)
    words: list[str] = []
    run: list[str] = []
    for tok in tokens:
        if tok.startswith("{"):
            if run:
                words.append(_normalize_run(" ".join(run)))
                run = []
            words.append(tok)
        else:
            run.append(tok)
    if run:
        words.append(_normalize_run(" ".join(run)))
    return " ".join(w for w in words if w)


def expand(template: Sequence, rules: dict[str, Sequence], limit: int = 400) -> list[str]:
    """Phrases a template produces, normalised, with `{slot}` placeholders kept.

    Every phrase when there are at most `limit`; otherwise a deterministic sample of
    `limit` phrases in which every alternative of every group appears.
    """
    if _count(template, rules) <= limit:
        token_lists = _expand_all(template, rules)
    else:
        flat = _flatten(template, rules, [])
        token_lists = [tuple(_expand_one(flat, pick, [0], [])) for pick in range(limit)]
    # Samples repeat; rendering each distinct one once gives the same phrases in the same order.
    phrases = dict.fromkeys(_render(tokens) for tokens in dict.fromkeys(token_lists))
    return [p for p in phrases if p]


def to_regex(template: Sequence, rules: dict[str, Sequence], wildcards: frozenset[str]) -> str:
    """A regular expression that accepts exactly the phrases of `template`.

    It runs against normalised text with a trailing space. Wildcard slots become lazy
    named groups `<slot>__<n>` (numbered because a name may appear in several branches).
    """
    counter = itertools.count()

    def build(node: Node) -> str:
        if isinstance(node, Word):
            words = normalize(node.text, strip_courtesy=False)
            return "".join(re.escape(w) + " " for w in words.split())
        if isinstance(node, SlotRef):
            if node.name in wildcards:
                return f"(?P<{node.name}__{next(counter)}>(?:\\S+ )+?)"
            return re.escape("{" + node.name + "}") + " "
        if isinstance(node, RuleRef):
            return build(rules[node.name])
        if isinstance(node, Alternative):
            return "(?:" + "|".join(build(o) for o in node.options) + ")"
        return "".join(build(item) for item in node.items)

    return build(template)
