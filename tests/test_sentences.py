"""Golden sentences: what couples say, and what it must mean (tests/sentences/*.yaml)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from assistant.matching.matcher import Matcher
from assistant.matching.normalize import normalize

SENTENCE_DIR = Path(__file__).parent / "sentences"
DEFAULT_NOW = "2026-11-23T10:00:00"
ZONE = ZoneInfo("Europe/London")


def load_cases(directory: Path = SENTENCE_DIR) -> list[Any]:
    cases = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        now = str(data.get("now") or DEFAULT_NOW)
        for entry in data["sentences"]:
            if isinstance(entry, str):
                entry = {"text": entry}
            expected = {str(k): str(v) for k, v in (entry.get("slots") or {}).items()}
            cases.append(pytest.param(str(entry["text"]), str(data["intent"]), expected, now,
                                      id=f"{path.stem}:{entry['text'][:50]}"))
    return cases


CASES = load_cases()


def comparable(slots: dict[str, str]) -> dict[str, str]:
    # Free words are compared the way the matcher reads them (case, punctuation, numbers).
    return {k: normalize(v) if k in ("message", "which") else v for k, v in slots.items()}


@pytest.mark.parametrize("text, intent, slots, now", CASES)
def test_golden_sentence(matcher: Matcher, text: str, intent: str, slots: dict[str, str], now: str) -> None:
    match = matcher.recognize_best(text, datetime.fromisoformat(now).replace(tzinfo=ZONE))
    assert (match.intent, comparable(dict(match.slots))) == (intent, comparable(slots))


def test_golden_files_cover_every_intent_and_slot_value(matcher: Matcher) -> None:
    seen_intents = {case.values[1] for case in CASES}
    assert set(matcher.grammar.intents) | {"unknown"} <= seen_intents
    seen_values = {(case.values[1], k, v) for case in CASES for k, v in case.values[2].items()}
    for name, spec in matcher.grammar.intents.items():
        for slot, list_name in spec.slots.items():
            if list_name in matcher.grammar.lists:
                for value in set(matcher.grammar.lists[list_name].values.values()):
                    assert (name, slot, value) in seen_values, (name, slot, value)
    assert len(CASES) >= 400
    assert sum(1 for case in CASES if case.values[1] == "unknown") >= 60
