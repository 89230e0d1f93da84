"""Choosing catalogue items so that none repeats until its pool is used up, across restarts."""

from __future__ import annotations

import random
from datetime import datetime

from assistant.catalogue.model import Item
from assistant.storage.database import Store


class ItemPicker:
    """Picks unused items from a pool, starting a new round when the pool is exhausted."""

    def __init__(self, store: Store, rng: random.Random) -> None:
        self._store = store
        self._rng = rng

    def pick(self, pool: list[Item], now: datetime, avoid: str | None = None) -> Item | None:
        """A random item of `pool` not said since the pool's last round; None if the pool is empty.

        `avoid` keeps the item just said from coming straight back when a round restarts.
        """
        if not pool:
            return None
        ids = [item.id for item in pool]
        used = self._store.used_items(ids)
        fresh = [item for item in pool if item.id not in used]
        if not fresh:
            self._store.reset_items(ids)
            fresh = [item for item in pool if item.id != avoid] or pool
        choice = self._rng.choice(fresh)
        self._store.mark_used(choice.id, now)
        return choice
