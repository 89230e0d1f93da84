"""Shared fixtures: the real grammar and catalogue (loaded once), fake clocks, temp stores."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.catalogue.loader import load_catalogue
from assistant.catalogue.model import Catalogue
from assistant.clock import FakeClock
from assistant.dialogue.engine import Dialogue
from assistant.grammar.loader import Grammar, load_grammar
from assistant.matching.classifier import train_fallback
from assistant.matching.matcher import Matcher
from assistant.storage.database import Store

LONDON = ZoneInfo("Europe/London")
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)


@pytest.fixture(scope="session")
def grammar() -> Grammar:
    return load_grammar()


@pytest.fixture(scope="session")
def matcher(grammar: Grammar) -> Matcher:
    return Matcher(grammar, fallback=train_fallback(grammar))


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_10AM)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "reconnect.db")
    yield s
    s.close()


@pytest.fixture
def dialogue(matcher: Matcher, catalogue: Catalogue, store: Store, clock: FakeClock) -> Dialogue:
    return Dialogue(matcher, catalogue, store, clock, ("Sam", "Alex"), random.Random(7))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
