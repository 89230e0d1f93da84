"""Load and validate the intent templates in `intents/`.

Errors name the file, the intent or list, and what is wrong, so a typo in a template is
caught at start-up rather than as a silent miss at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.grammar.templates import Sequence, TemplateError, expand, parse_template, to_regex
from assistant.matching.normalize import normalize
from assistant.yamlfile import load_yaml

TIME = "time"
"""Slot kind filled by the spoken-time parser (`{when}` gives both `when` and `rrule`)."""
WILDCARD = "wildcard"
"""Slot kind that captures free words, such as a reminder's message."""
INTENT_NAMES = (
    "ask_question", "suggest_date", "gratitude_prompt", "start_check_in", "set_reminder",
    "list_reminders", "cancel_reminder", "love_languages", "relationship_tip", "log_date",
    "progress", "repeat", "next", "stop", "help", "yes", "no",
)
MAX_PHRASES_PER_INTENT = 6000
PHRASES_PER_TEMPLATE = 400


class GrammarError(ValueError):
    """The intent files are not valid; the message says which file and what is wrong."""


@dataclass(frozen=True)
class SlotList:
    name: str
    """List name as referenced from intent files."""
    values: dict[str, str]
    """Normalised spoken phrase -> canonical slot value."""


@dataclass(frozen=True)
class Sentence:
    template: str
    """The template as written, for error messages and debugging."""
    phrases: tuple[str, ...]
    """Its normalised expansions with `{slot}` placeholders (sampled when there are many)."""
    pattern: re.Pattern[str]
    """Accepts exactly the template's phrases; run on normalised text plus a trailing space."""
    fixed_slots: dict[str, str] = field(default_factory=dict)
    """Slot values implied by the sentence itself (e.g. `which: all`)."""


@dataclass(frozen=True)
class IntentSpec:
    name: str
    """Intent name from the fixed contract."""
    slots: dict[str, str]
    """Slot name -> list name, or the kinds `time` / `wildcard`."""
    sentences: tuple[Sentence, ...]
    """Every template sentence of the intent."""
    cues: tuple[re.Pattern[str], ...] = ()
    """Phrases that signal the intent wherever they appear in a longer utterance."""

    @property
    def phrases(self) -> list[str]:
        """All expanded phrases of the intent, in file order, without duplicates."""
        return list(dict.fromkeys(p for s in self.sentences for p in s.phrases))


@dataclass(frozen=True)
class Grammar:
    intents: dict[str, IntentSpec]
    """Intent name -> specification."""
    lists: dict[str, SlotList]
    """Slot list name -> values."""

    def vocabulary(self) -> frozenset[str]:
        """Every word a template or slot value can produce."""
        # One split of everything, then drop the placeholders: word by word was slow.
        text = " ".join(p for spec in self.intents.values() for s in spec.sentences for p in s.phrases)
        words = {w for w in set(text.split()) if not w.startswith("{")}
        for slot_list in self.lists.values():
            for phrase in slot_list.values:
                words.update(phrase.split())
        return frozenset(words)


def default_intents_dir() -> Path:
    """The installed copy of `intents/`, or the source checkout's when running from it."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "intent_templates"
    if any(installed.glob("*.yaml")):
        return installed
    return here.parent / "intents"


def _read_yaml(path: Path) -> Any:
    try:
        return load_yaml(path)
    except yaml.YAMLError as exc:
        raise GrammarError(f"{path.name}: not valid YAML: {exc}") from exc


def _load_lists(path: Path, data: Any) -> dict[str, SlotList]:
    if not isinstance(data.get("lists"), dict):
        raise GrammarError(f"{path.name}: expected a mapping 'lists'")
    lists: dict[str, SlotList] = {}
    for name, values in data["lists"].items():
        if not isinstance(values, dict) or not values:
            raise GrammarError(f"{path.name}: list {name}: expected value -> [phrases]")
        table: dict[str, str] = {}
        for value, phrases in values.items():
            if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
                raise GrammarError(f"{path.name}: list {name}: value {value}: phrases must be strings")
            for phrase in [str(value).replace("_", " "), *phrases]:
                norm = normalize(phrase, strip_courtesy=False)
                if norm in table and table[norm] != value:
                    raise GrammarError(
                        f"{path.name}: list {name}: {phrase!r} means both {table[norm]} and {value}"
                    )
                table[norm] = str(value)
        lists[name] = SlotList(name, table)
    return lists


def _load_intent(
    path: Path, data: Any, rules: dict[str, Sequence], lists: dict[str, SlotList]
) -> IntentSpec:
    name = data.get("intent")
    if name not in INTENT_NAMES:
        raise GrammarError(f"{path.name}: unknown intent {name!r}")
    slots = data.get("slots") or {}
    if not isinstance(slots, dict):
        raise GrammarError(f"{path.name}: {name}: 'slots' must map slot -> list")
    for slot, kind in slots.items():
        if kind not in (TIME, WILDCARD) and kind not in lists:
            raise GrammarError(f"{path.name}: {name}: slot {slot} uses unknown list {kind!r}")
    raw = data.get("sentences")
    if not isinstance(raw, list) or not raw:
        raise GrammarError(f"{path.name}: {name}: needs a list of sentences")
    sentences: list[Sentence] = []
    for entry in raw:
        text, fixed = (entry, {}) if isinstance(entry, str) else (entry.get("text"), entry.get("slots") or {})
        if not isinstance(text, str):
            raise GrammarError(f"{path.name}: {name}: a sentence has no text: {entry!r}")
        wildcards = frozenset(k for k, v in slots.items() if v == WILDCARD)
        try:
            tree = parse_template(text)
            phrases = expand(tree, rules, PHRASES_PER_TEMPLATE)
            pattern = re.compile(to_regex(tree, rules, wildcards))
        except (TemplateError, re.error) as exc:
            raise GrammarError(f"{path.name}: {name}: {text!r}: {exc}") from exc
        for phrase in phrases:
            # most phrases have no slot; testing that first skips splitting some 25,000 of them
            for word in phrase.split() if "{" in phrase else ():
                if word.startswith("{") and word[1:-1] not in slots:
                    raise GrammarError(f"{path.name}: {name}: {text!r}: undeclared slot {word}")
        for slot in fixed:
            if slot not in slots:
                raise GrammarError(f"{path.name}: {name}: {text!r}: fixed slot {slot} not declared")
        sentences.append(Sentence(text, tuple(phrases), pattern, {k: str(v) for k, v in fixed.items()}))
    cues = tuple(_compile_cue(path, name, text, rules, slots) for text in data.get("cues") or [])
    spec = IntentSpec(name, {k: str(v) for k, v in slots.items()}, tuple(sentences), cues)
    if len(spec.phrases) > MAX_PHRASES_PER_INTENT:
        raise GrammarError(f"{path.name}: {name}: {len(spec.phrases)} phrases, over {MAX_PHRASES_PER_INTENT}")
    return spec


CUE_GAP = " ... "
"""In a cue, stands for up to CUE_GAP_WORDS words of anything."""
CUE_GAP_WORDS = 5


def _compile_cue(path: Path, name: str, text: Any, rules: dict[str, Sequence],
                 slots: dict[str, str]) -> re.Pattern[str]:
    """A cue is a template searched for inside the utterance; ` ... ` skips a few words."""
    if not isinstance(text, str) or not text.strip():
        raise GrammarError(f"{path.name}: {name}: a cue must be a template string")
    parts: list[str] = []
    try:
        for n, part in enumerate(text.split(CUE_GAP)):
            tree = parse_template(part.strip())
            if n:
                parts.append(f"(?P<gap__{n}>(?:\\S+ ){{0,{CUE_GAP_WORDS}}}?)")
            parts.append(to_regex(tree, rules, frozenset()))
            for phrase in expand(tree, rules, 50):
                for word in phrase.split():
                    if word.startswith("{") and slots.get(word[1:-1]) in (None, WILDCARD):
                        raise GrammarError(f"{path.name}: {name}: cue {text!r}: slot {word} cannot be in a cue")
        return re.compile("(?<![^ ])" + "".join(parts))
    except (TemplateError, re.error) as exc:
        raise GrammarError(f"{path.name}: {name}: cue {text!r}: {exc}") from exc


def load_grammar(directory: Path | None = None) -> Grammar:
    """Read every YAML file in the intents directory and cross-check them."""
    directory = directory or default_intents_dir()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise GrammarError(f"{directory}: no intent files found")
    docs = [(path, _read_yaml(path)) for path in files]
    for path, data in docs:
        if not isinstance(data, dict):
            raise GrammarError(f"{path.name}: expected a mapping at the top")
    lists: dict[str, SlotList] = {}
    rules: dict[str, Sequence] = {}
    for path, data in docs:
        if "lists" in data:
            lists.update(_load_lists(path, data))
        for rule, text in (data.get("rules") or {}).items():
            try:
                rules[rule] = parse_template(str(text))
            except TemplateError as exc:
                raise GrammarError(f"{path.name}: rule <{rule}>: {exc}") from exc
    intents: dict[str, IntentSpec] = {}
    owner: dict[str, str] = {}
    for path, data in docs:
        if "intent" not in data:
            continue
        spec = _load_intent(path, data, rules, lists)
        if spec.name in intents:
            raise GrammarError(f"{path.name}: intent {spec.name} is defined twice")
        intents[spec.name] = spec
        for phrase in spec.phrases:
            other = owner.setdefault(phrase, spec.name)
            if other != spec.name:
                raise GrammarError(f"{path.name}: {phrase!r} belongs to both {other} and {spec.name}")
    missing = [n for n in INTENT_NAMES if n not in intents]
    if missing:
        raise GrammarError(f"{directory}: intents with no templates: {', '.join(missing)}")
    return Grammar(intents, lists)
