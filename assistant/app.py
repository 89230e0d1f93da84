"""Wiring: build the matcher, catalogue, store and dialogue from settings.

These factories are the seams tests replace; nothing here runs at import time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from assistant.catalogue.loader import load_catalogue
from assistant.catalogue.model import Catalogue
from assistant.clock import Clock, SystemClock, local_zone
from assistant.dialogue.engine import Dialogue
from assistant.grammar.loader import load_grammar
from assistant.matching.classifier import train_fallback
from assistant.matching.matcher import Matcher
from assistant.settings import Settings
from assistant.storage.database import DB_NAME, Store


@dataclass
class App:
    settings: Settings
    """What the app was built from."""
    clock: Clock
    """The time source every component shares."""
    matcher: Matcher
    """Text to intent."""
    catalogue: Catalogue
    """All spoken content."""
    store: Store
    """Local state on disk."""
    dialogue: Dialogue
    """The conversation state machine."""

    def close(self) -> None:
        self.store.close()


def make_matcher(settings: Settings) -> Matcher:
    grammar = load_grammar()
    return Matcher(grammar, settings.match, train_fallback(grammar))


def make_clock(settings: Settings) -> Clock:
    return SystemClock(local_zone(settings.timezone))


def build_app(settings: Settings, clock: Clock | None = None, rng: random.Random | None = None) -> App:
    clock = clock or make_clock(settings)
    matcher = make_matcher(settings)
    catalogue = load_catalogue()
    store = Store.open(settings.data_dir / DB_NAME)
    dialogue = Dialogue(matcher, catalogue, store, clock, settings.partners, rng,
                        settings.quiet_hours, settings.turn_seconds)
    return App(settings, clock, matcher, catalogue, store, dialogue)
