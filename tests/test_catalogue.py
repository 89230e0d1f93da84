"""The content catalogue: enough of everything, well-formed, and loud about mistakes."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from assistant.catalogue.loader import (
    CATEGORIES, LANGUAGES, MAX_WORDS, TOPICS, CatalogueError, default_content_dir, load_catalogue,
)
from assistant.catalogue.model import Catalogue


def test_questions_cover_every_category_and_depth(catalogue: Catalogue) -> None:
    questions = catalogue.pool("question")
    assert len(questions) >= 300
    per = Counter((q.attrs["category"], q.attrs["depth"]) for q in questions)
    for category in CATEGORIES:
        assert per[(category, "light")] + per[(category, "deep")] >= 25
        assert per[(category, "light")] and per[(category, "deep")]
    assert all(q.text.endswith("?") for q in questions)


def test_dates_cover_every_budget_and_setting(catalogue: Catalogue) -> None:
    dates = catalogue.pool("date")
    assert len(dates) >= 120
    combos = Counter((d.attrs["budget"], d.attrs["setting"]) for d in dates)
    assert len(combos) == 9 and min(combos.values()) >= 10
    assert {d.attrs["duration"] for d in dates} >= {"short", "evening", "overnight"}


def test_gratitude_and_tips(catalogue: Catalogue) -> None:
    assert len(catalogue.pool("gratitude")) >= 80
    tips = catalogue.pool("tip")
    assert len(tips) >= 40
    assert {t.attrs["topic"] for t in tips} == set(TOPICS)
    tags = Counter(tag for t in tips for tag in t.tags)
    for required in ("five_to_one", "seven_seven_seven", "hundred_percent", "apologising_well",
                     "when_to_see_counsellor"):
        assert tags[required], required


def test_love_languages_and_quiz(catalogue: Catalogue) -> None:
    assert sorted(lang.id for lang in catalogue.languages) == sorted(LANGUAGES)
    assert all(len(lang.ideas) >= 3 for lang in catalogue.languages)
    assert len(catalogue.quiz) >= 15
    # every language can win: each appears as an answer several times
    answers = Counter(c.language for item in catalogue.quiz for c in (item.first, item.second))
    assert set(answers) == set(LANGUAGES) and min(answers.values()) >= 4


def test_check_in_scripts(catalogue: Catalogue) -> None:
    daily, weekly = catalogue.scripts["daily"], catalogue.scripts["weekly"]
    assert daily.minutes <= 15 < weekly.minutes
    for script in (daily, weekly):
        roles = [s.role for s in script.steps]
        assert roles[0] == "intro" and roles[-1] == "close" and "turn" in roles
        speakers = {s.speaker for s in script.steps if s.role == "turn"}
        assert {"first", "second"} <= speakers
    weekly_text = " ".join(s.text for s in weekly.steps).lower()
    assert "paraphrase" in {s.role for s in weekly.steps}
    assert "appreciat" in weekly_text and "feel more loved this week" in weekly_text


def test_every_text_is_speakable(catalogue: Catalogue) -> None:
    texts = [i.text for i in catalogue.items] + [s.text for sc in catalogue.scripts.values() for s in sc.steps]
    assert all(len(t.split()) <= MAX_WORDS for t in texts)
    assert not [t for t in texts if "{" in t and not set(re.findall(r"\{(\w+)\}", t)) <= {"first", "second"}]
    repeated = [t for t, n in Counter(i.text.lower() for i in catalogue.items).items() if n > 1]
    assert repeated == []


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    return target


def _corrupt(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("file, old, new, message", [
    ("gratitude.yaml", "theme: gratitude", "theme: sadness", "unknown theme 'sadness'"),
    ("dates-out.yaml", "budget: splurge", "budget: huge", "budget is 'huge'"),
    ("tips.yaml", "topic: trust", "topic: jealousy", "topic is 'jealousy'"),
    ("gratitude.yaml", "id: g-002", "id: g-001", "duplicate ids: g-001"),
    ("gratitude.yaml", "id: g-003", "id: G 3", "bad id 'G 3'"),
])
def test_invalid_content_names_file_item_and_problem(content_copy: Path, file: str, old: str, new: str,
                                                     message: str) -> None:
    _corrupt(content_copy / file, old, new)
    with pytest.raises(CatalogueError, match=message) as info:
        load_catalogue(content_copy)
    assert file in str(info.value) or "duplicate" in str(info.value)


def test_unspeakable_and_long_texts_are_rejected(content_copy: Path) -> None:
    path = content_copy / "gratitude.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    first_text = next(i for i, line in enumerate(lines) if line.strip().startswith("text:"))
    indent = lines[first_text][: len(lines[first_text]) - len(lines[first_text].lstrip())]
    lines[first_text] = f"{indent}text: Say thanks & mean it"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"gratitude.yaml: g-001: text has characters .*'&'"):
        load_catalogue(content_copy)
    lines[first_text] = f"{indent}text: {' '.join(['word'] * 40)}"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CatalogueError, match="g-001: text has 40 words"):
        load_catalogue(content_copy)


def test_missing_script_and_broken_yaml(content_copy: Path) -> None:
    (content_copy / "tips.yaml").write_text("kind: tip\nitems: [oops", encoding="utf-8")
    with pytest.raises(CatalogueError, match="tips.yaml: not valid YAML"):
        load_catalogue(content_copy)
    (content_copy / "tips.yaml").unlink()
    (content_copy / "check_ins.yaml").unlink()
    with pytest.raises(CatalogueError, match="no daily check-in script"):
        load_catalogue(content_copy)
