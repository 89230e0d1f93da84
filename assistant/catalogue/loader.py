"""Load and validate the content catalogue; every error names the file, the item and the problem."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from assistant.catalogue.model import (
    Catalogue, CheckInScript, CheckInStep, Item, LoveLanguage, QuizChoice, QuizItem,
)
from assistant.yamlfile import load_yaml

MAX_WORDS = 35
SPEAKABLE = re.compile(r"[A-Za-z0-9 ,.?!';:{}-]+")
PLACEHOLDER = re.compile(r"\{(\w*)\}")
ID = re.compile(r"[a-z0-9-]+")
THEMES = frozenset(
    "quality_time communication gratitude appreciation listening affection goals dreams empathy "
    "shared_interests trust apology forgiveness humour fun self_care stress love_languages positivity "
    "check_in counseling memories feelings intimacy values".split()
)
CATEGORIES = ("fun", "memories", "dreams", "feelings", "appreciation", "intimacy", "values")
DEPTHS = ("light", "deep")
BUDGETS = ("free", "low", "splurge")
SETTINGS = ("home", "outdoors", "out")
DURATIONS = ("short", "evening", "half_day", "full_day", "overnight")
ENERGIES = ("low", "medium", "high")
TOPICS = ("communication", "listening", "gratitude", "affection", "trust", "apology", "forgiveness",
          "stress", "quality_time", "counseling", "positivity", "fun", "goals", "self_care")
LANGUAGES = ("words_of_affirmation", "quality_time", "acts_of_service", "receiving_gifts", "physical_touch")
ROLES = ("intro", "rules", "prompt", "turn", "paraphrase", "swap", "close")
SPEAKERS = ("none", "first", "second", "both")

# Which attributes each kind of item carries, and their allowed values.
ATTRIBUTES: dict[str, dict[str, tuple[str, ...]]] = {
    "question": {"category": CATEGORIES, "depth": DEPTHS},
    "date": {"budget": BUDGETS, "setting": SETTINGS, "duration": DURATIONS, "energy": ENERGIES},
    "gratitude": {},
    "tip": {"topic": TOPICS},
}


class CatalogueError(ValueError):
    """The content files are not valid; the message names file, item and problem."""


def default_content_dir() -> Path:
    """The packaged content directory."""
    return Path(__file__).resolve().parent.parent / "content"


def check_text(where: str, text: Any) -> str:
    """Return `text` if it can be spoken as is, else raise CatalogueError naming `where`."""
    if not isinstance(text, str) or not text.strip():
        raise CatalogueError(f"{where}: text is missing")
    if not SPEAKABLE.fullmatch(text):
        bad = sorted(set(re.sub(r"[A-Za-z0-9 ,.?!';:{}-]", "", text)))
        raise CatalogueError(f"{where}: text has characters a voice would mangle: {''.join(bad)!r}")
    words = len(text.split())
    if words > MAX_WORDS:
        raise CatalogueError(f"{where}: text has {words} words (at most {MAX_WORDS})")
    for name in PLACEHOLDER.findall(text):
        if name not in ("first", "second"):
            raise CatalogueError(f"{where}: unknown placeholder {{{name}}}")
    return text.strip()


def _items(path: Path, kind: str, data: dict[str, Any]) -> list[Item]:
    raw = data.get("items")
    if not isinstance(raw, list):
        raise CatalogueError(f"{path.name}: expected a list 'items'")
    out: list[Item] = []
    for n, entry in enumerate(raw, 1):
        if not isinstance(entry, dict):
            raise CatalogueError(f"{path.name}: item {n}: expected a mapping")
        item_id = entry.get("id")
        if not isinstance(item_id, str) or not ID.fullmatch(item_id):
            raise CatalogueError(f"{path.name}: item {n}: bad id {item_id!r}")
        where = f"{path.name}: {item_id}"
        text = check_text(where, entry.get("text"))
        theme = entry.get("theme")
        if theme not in THEMES:
            raise CatalogueError(f"{where}: unknown theme {theme!r}")
        tags = entry.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise CatalogueError(f"{where}: tags must be a list of words")
        attrs: dict[str, str] = {}
        for attr, allowed in ATTRIBUTES[kind].items():
            value = entry.get(attr)
            if value not in allowed:
                raise CatalogueError(f"{where}: {attr} is {value!r}, expected one of {', '.join(allowed)}")
            attrs[attr] = str(value)
        out.append(Item(item_id, kind, text, str(theme), tuple(tags), attrs))
    return out


def _languages(path: Path, data: dict[str, Any]) -> tuple[str, list[LoveLanguage], str, list[QuizItem]]:
    intro = check_text(f"{path.name}: intro", data.get("intro"))
    languages: list[LoveLanguage] = []
    for entry in data.get("languages") or []:
        lang_id = entry.get("id")
        where = f"{path.name}: {lang_id}"
        if lang_id not in LANGUAGES:
            raise CatalogueError(f"{where}: unknown love language")
        ideas = [check_text(f"{where}: idea {i}", t) for i, t in enumerate(entry.get("ideas") or [], 1)]
        if len(ideas) < 3:
            raise CatalogueError(f"{where}: needs at least 3 ideas")
        name = check_text(f"{where}: name", entry.get("name"))
        languages.append(LoveLanguage(lang_id, name, check_text(where, entry.get("text")), tuple(ideas)))
    if sorted(lang.id for lang in languages) != sorted(LANGUAGES):
        raise CatalogueError(f"{path.name}: needs each of the five love languages exactly once")
    quiz_data = data.get("quiz") or {}
    quiz_intro = check_text(f"{path.name}: quiz intro", quiz_data.get("intro"))
    quiz: list[QuizItem] = []
    for entry in quiz_data.get("items") or []:
        where = f"{path.name}: {entry.get('id')}"
        choices = []
        for side in ("first", "second"):
            choice = entry.get(side) or {}
            if choice.get("language") not in LANGUAGES:
                raise CatalogueError(f"{where}: {side} has unknown language {choice.get('language')!r}")
            choices.append(QuizChoice(check_text(f"{where}: {side}", choice.get("text")), choice["language"]))
        if choices[0].language == choices[1].language:
            raise CatalogueError(f"{where}: both answers count for the same language")
        quiz.append(QuizItem(str(entry.get("id")), choices[0], choices[1]))
    if len(quiz) < 15:
        raise CatalogueError(f"{path.name}: the quiz needs at least 15 items, has {len(quiz)}")
    return intro, languages, quiz_intro, quiz


def _scripts(path: Path, data: dict[str, Any]) -> dict[str, CheckInScript]:
    scripts: dict[str, CheckInScript] = {}
    for entry in data.get("scripts") or []:
        script_id = entry.get("id")
        steps: list[CheckInStep] = []
        for step in entry.get("steps") or []:
            where = f"{path.name}: {step.get('id')}"
            if step.get("role") not in ROLES:
                raise CatalogueError(f"{where}: role {step.get('role')!r}, expected one of {', '.join(ROLES)}")
            if step.get("speaker") not in SPEAKERS:
                raise CatalogueError(f"{where}: speaker {step.get('speaker')!r}, expected one of {', '.join(SPEAKERS)}")
            seconds = step.get("seconds", 0)
            if not isinstance(seconds, int) or seconds < 0 or (step["role"] == "turn") != (seconds > 0):
                raise CatalogueError(f"{where}: seconds must be positive for a turn and 0 otherwise")
            steps.append(CheckInStep(str(step.get("id")), step["role"], step["speaker"], seconds,
                                     check_text(where, step.get("text"))))
        if not steps:
            raise CatalogueError(f"{path.name}: script {script_id!r} has no steps")
        scripts[str(script_id)] = CheckInScript(str(script_id), str(entry.get("title")),
                                                int(entry.get("minutes", 0)), tuple(steps))
    return scripts


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Read and validate every content file."""
    directory = directory or default_content_dir()
    items: list[Item] = []
    love: tuple[str, list[LoveLanguage], str, list[QuizItem]] | None = None
    scripts: dict[str, CheckInScript] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = load_yaml(path)
        except yaml.YAMLError as exc:
            raise CatalogueError(f"{path.name}: not valid YAML: {exc}") from exc
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind in ATTRIBUTES:
            items.extend(_items(path, str(kind), data))
        elif kind == "love_languages":
            love = _languages(path, data)
        elif kind == "check_in":
            scripts.update(_scripts(path, data))
        else:
            raise CatalogueError(f"{path.name}: unknown kind {kind!r}")
    duplicates = [i for i, n in Counter(item.id for item in items).items() if n > 1]
    if duplicates:
        raise CatalogueError(f"{directory.name}: duplicate ids: {', '.join(sorted(duplicates))}")
    if love is None:
        raise CatalogueError(f"{directory}: no love_languages file")
    for needed in ("daily", "weekly"):
        if needed not in scripts:
            raise CatalogueError(f"{directory}: no {needed} check-in script")
    return Catalogue(tuple(items), love[0], tuple(love[1]), love[2], tuple(love[3]), scripts)
