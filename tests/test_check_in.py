"""The hands-free check-in with a fake clock: timed turns, controls, resume, and privacy."""

from __future__ import annotations

import random
from pathlib import Path

from assistant.catalogue.model import Catalogue
from assistant.clock import FakeClock
from assistant.dialogue.engine import Dialogue
from assistant.matching.matcher import Matcher
from assistant.messages import Reply
from assistant.storage.database import Store


def heard(dialogue: Dialogue) -> list[str]:
    said: list[Reply] = []
    dialogue.tick(said.append)
    return [r.text for r in said]


def say(dialogue: Dialogue, text: str) -> str:
    return " ".join(r.text for r in dialogue.handle(text))


def to_first_turn(dialogue: Dialogue, catalogue: Catalogue, kind: str = "daily") -> str:
    text = say(dialogue, f"start our {kind} check-in")
    steps = catalogue.scripts[kind].steps
    for step in steps[1:]:
        if dialogue.activity.step.role == "turn":  # type: ignore[union-attr]
            break
        text = say(dialogue, "next")
    assert dialogue.activity.step.role == "turn"  # type: ignore[union-attr]
    return text


def test_turn_is_timed_with_a_warning_and_moves_on(dialogue: Dialogue, clock: FakeClock,
                                                   catalogue: Catalogue) -> None:
    opening = to_first_turn(dialogue, catalogue)
    assert "Take about 2 minutes" in opening and "Sam" in opening
    index = dialogue.activity.index  # type: ignore[union-attr]
    clock.advance(seconds=89)
    assert heard(dialogue) == []
    clock.advance(seconds=1)
    assert heard(dialogue) == ["Thirty seconds left."]
    clock.advance(seconds=29)
    assert heard(dialogue) == []
    clock.advance(seconds=1)
    texts = heard(dialogue)
    assert texts[0] == "Time's up. Thank you, Sam."
    assert dialogue.activity.index == index + 1  # type: ignore[union-attr]


def test_more_time_pause_and_resume(dialogue: Dialogue, clock: FakeClock, catalogue: Catalogue) -> None:
    to_first_turn(dialogue, catalogue)
    clock.advance(seconds=100)
    assert say(dialogue, "can we have a bit more time") == "Okay, one more minute."
    clock.advance(seconds=49)  # 149 s of 180
    assert heard(dialogue) == []
    clock.advance(seconds=1)
    assert heard(dialogue) == ["Thirty seconds left."]
    assert say(dialogue, "pause") == "Paused. Say resume when you're ready."
    clock.advance(minutes=10)
    assert heard(dialogue) == []
    assert say(dialogue, "resume") == "Carrying on."
    clock.advance(seconds=29)
    assert heard(dialogue) == []
    clock.advance(seconds=1)
    assert heard(dialogue)[0].startswith("Time's up.")


def test_skip_repeat_and_what_partners_say(dialogue: Dialogue, clock: FakeClock, catalogue: Catalogue,
                                          store: Store) -> None:
    opening = to_first_turn(dialogue, catalogue)
    # what a partner says in a turn is theirs: no answer, and nothing kept
    assert dialogue.handle("honestly work was awful and I felt invisible at the meeting") == []
    assert say(dialogue, "repeat") == opening
    index = dialogue.activity.index  # type: ignore[union-attr]
    say(dialogue, "skip")
    assert dialogue.activity.index == index + 1  # type: ignore[union-attr]
    store.close()
    data = b"".join(p.read_bytes() for p in Path(store.path).parent.glob("reconnect.db*"))
    assert b"invisible" not in data and b"meeting" not in data


def test_stop_then_resume_the_same_day(tmp_path: Path, matcher: Matcher, catalogue: Catalogue,
                                       clock: FakeClock) -> None:
    store = Store.open(tmp_path / "reconnect.db")
    dialogue = Dialogue(matcher, catalogue, store, clock, ("Sam", "Alex"), random.Random(3))
    to_first_turn(dialogue, catalogue, "weekly")
    say(dialogue, "next")
    index = dialogue.activity.index  # type: ignore[union-attr]
    assert "resume our check-in" in say(dialogue, "stop")
    store.close()
    clock.advance(hours=2)
    store = Store.open(tmp_path / "reconnect.db")
    dialogue = Dialogue(matcher, catalogue, store, clock, ("Sam", "Alex"), random.Random(3))
    assert say(dialogue, "resume our check-in").startswith("Welcome back. Picking up where you left off.")
    assert dialogue.activity.index == index  # type: ignore[union-attr]
    say(dialogue, "stop")
    clock.advance(days=1)
    assert say(dialogue, "resume our check-in").startswith("There's no check-in to pick up today.")
    store.close()


def test_whole_daily_check_in_hands_free(dialogue: Dialogue, clock: FakeClock, catalogue: Catalogue,
                                         store: Store) -> None:
    say(dialogue, "start our daily check-in")
    # nobody says anything but "next" between untimed steps; the turns run on their timers
    for _ in range(5000):
        if dialogue.activity is None:
            break
        if dialogue.activity.step.role == "turn":  # type: ignore[union-attr]
            clock.advance(seconds=1)
            heard(dialogue)
        else:
            say(dialogue, "next")
    assert dialogue.activity is None
    assert [e.detail for e in store.events(["check_in"])] == ["daily"]


def test_turn_length_from_config(matcher: Matcher, catalogue: Catalogue, store: Store, clock: FakeClock) -> None:
    dialogue = Dialogue(matcher, catalogue, store, clock, ("Sam", "Alex"), random.Random(1), turn_seconds=60)
    assert "Take about a minute" in to_first_turn(dialogue, catalogue)
    clock.advance(seconds=60)
    assert heard(dialogue)[0].startswith("Time's up.")
