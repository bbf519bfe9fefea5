"""The maintained crawler-user-agents list, checked through the index scripts/crawlers.py builds from it."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

INDEX = Path(__file__).resolve().with_name("crawlers.json")
KEY = 3  # literals are looked up by their first three characters (each is at least that long)


class CrawlerIndex:
    """Answers as the list's own `is_crawler` does (case-sensitive patterns), but a User-Agent is matched only against
    the patterns whose required literal occurs in it, each compiled the first time it is needed."""

    def __init__(self, keyed: list[tuple[str, list[str]]], unkeyed: list[str]) -> None:
        self._patterns = [pattern for pattern, _ in keyed]
        self._by_start: dict[str, list[tuple[str, int]]] = {}
        for number, (_, literals) in enumerate(keyed):
            for literal in literals:
                self._by_start.setdefault(literal[:KEY], []).append((literal, number))
        self._compiled: dict[int, re.Pattern[str]] = {}
        self._unkeyed = "|".join(unkeyed)
        self._unkeyed_compiled: re.Pattern[str] | None = None

    def candidates(self, user_agent: str) -> list[int]:
        """The patterns whose literal occurs in the User-Agent, in the list's order: the only ones that can match."""
        found: set[int] = set()
        by_start = self._by_start
        for start in range(len(user_agent) - KEY + 1):
            for literal, number in by_start.get(user_agent[start : start + KEY], ()):
                if number not in found and user_agent.startswith(literal, start):
                    found.add(number)
        return sorted(found)

    def _pattern(self, number: int) -> re.Pattern[str]:
        compiled = self._compiled.get(number)
        if compiled is None:
            compiled = self._compiled[number] = re.compile(self._patterns[number])
        return compiled

    def is_crawler(self, user_agent: str) -> bool:
        if any(self._pattern(number).search(user_agent) for number in self.candidates(user_agent)):
            return True
        if not self._unkeyed:
            return False
        if self._unkeyed_compiled is None:
            self._unkeyed_compiled = re.compile(self._unkeyed)
        return self._unkeyed_compiled.search(user_agent) is not None


@lru_cache(maxsize=1)
def crawler_index() -> CrawlerIndex:
    """Read once per container. The index is build output (`make`, scripts/package.py): a package without it must
    fail loudly, not count every bot as a friend."""
    index: dict[str, Any] = json.loads(INDEX.read_text(encoding="utf-8"))
    return CrawlerIndex([(pattern, literals) for pattern, literals in index["keyed"]], index["unkeyed"])


def is_listed_crawler(user_agent: str) -> bool:
    """Whether the maintained list names this User-Agent as a crawler (but the patterns that name people)."""
    return crawler_index().is_crawler(user_agent)
