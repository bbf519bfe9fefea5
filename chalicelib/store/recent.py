"""Items that rarely change (a shop, a product page), kept in the container for a bounded time.

A share link's click reads its shop and product on every visit, though an owner changes them a few
times a year. A warm container keeps what it read for `TTL_SECONDS`, so a click waits on two database
round trips (its code, then its one transaction) instead of three. A write through the same container
forgets the item at once; another container sees the change within `TTL_SECONDS` (docs/features.md says so).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

TTL_SECONDS = 60.0
MAX_ITEMS = 2048  # a container serves a handful of shops; past this, the oldest entries go first

Key = tuple[str, str]
Item = dict[str, Any]


class RecentItems:
    """Items by key with the moment they were read; an absent item is kept as None (it stays absent)."""

    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._items: dict[Key, tuple[float, Item | None]] = {}

    def fresh(self, key: Key) -> tuple[bool, Item | None]:
        """(known, item): known is False when the key was never read here or its reading is too old."""
        entry = self._items.get(key)
        if entry is None or self.clock() - entry[0] > self.ttl:
            return False, None
        return True, entry[1]

    def keep(self, key: Key, item: Item | None) -> None:
        if len(self._items) >= MAX_ITEMS:
            for old in list(self._items)[: MAX_ITEMS // 4]:  # dicts keep insertion order: oldest first
                del self._items[old]
        self._items.pop(key, None)
        self._items[key] = (self.clock(), item)

    def forget(self, key: Key) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()

    def snapshot(self) -> dict[Key, tuple[float, Item | None]]:
        """Each kept item with its age in seconds: a replay starts from this state (bench/handler_time.py)."""
        import copy  # only replays need it, not a click

        now = self.clock()
        return {key: (now - read, copy.deepcopy(item)) for key, (read, item) in self._items.items()}

    def restore(self, snapshot: dict[Key, tuple[float, Item | None]]) -> None:
        """Keep exactly what a snapshot held, each item as old as it was then."""
        import copy

        now = self.clock()
        self._items = {key: (now - age, copy.deepcopy(item)) for key, (age, item) in snapshot.items()}
