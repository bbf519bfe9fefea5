"""Profanity in review text: a word-list lookup in time linear in the text.

The word list is better-profanity's (data only). Its own matcher compares every word of a text with
every listed word through character-variant objects: about a second for a 360-word review, several for
the longest one we accept. Here both the list and the text are folded to one canonical spelling (case,
look-alike digits and symbols: 4/@ -> a, 3 -> e, 1/l/! -> i, 0 -> o, $/5 -> s, 7/+ -> t, v -> u; letters
spelled out with dots or dashes), so each word and each run of up to four words is one set lookup. A
word masked with `*` is matched against the listed words of its length.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

_FOLD = str.maketrans(
    {"4": "a", "@": "a", "3": "e", "1": "i", "l": "i", "!": "i", "0": "o", "$": "s", "5": "s", "7": "t", "+": "t"}
    | {"v": "u"}
)
_WORD = re.compile(r"[\w@$*!+'-]+")
_SPELLED = re.compile(r"(?<![\w@$!+])(?:[\w@$!+][.\-_]){2,}[\w@$!+]?")  # s.h.i.t, f-u-c-k
_MAX_PHRASE = 4


def fold(word: str) -> str:
    return word.lower().strip("'-_!").translate(_FOLD)


@lru_cache(maxsize=1)
def _lists() -> tuple[frozenset[str], dict[int, tuple[str, ...]]]:
    text = files("better_profanity").joinpath("profanity_wordlist.txt").read_text(encoding="utf-8")
    entries = {" ".join(fold(w) for w in line.split()) for line in text.splitlines() if line.strip()}
    by_length: dict[int, list[str]] = {}
    for entry in entries:
        by_length.setdefault(len(entry), []).append(entry)
    return frozenset(entries), {n: tuple(words) for n, words in by_length.items()}


def _masked(word: str, by_length: dict[int, tuple[str, ...]]) -> bool:
    if word.strip("*") == "" or len(word) < 3:
        return False
    pattern = re.compile("".join("[a-z]" if c == "*" else re.escape(c) for c in word))
    return any(pattern.fullmatch(entry) for entry in by_length.get(len(word), ()))


def contains_profanity(text: str) -> bool:
    listed, by_length = _lists()
    words = [fold(w) for w in _WORD.findall(text)]
    words = [w for w in words if w]
    words += [fold(re.sub(r"[.\-_]", "", spelled)) for spelled in _SPELLED.findall(text)]
    for start, word in enumerate(words):
        if word in listed:
            return True
        if ("-" in word or "_" in word) and any(part in listed for part in re.split(r"[-_]+", word) if part):
            return True
        if "*" in word and _masked(word, by_length):
            return True
        for size in range(2, _MAX_PHRASE + 1):
            if start + size <= len(words) and " ".join(words[start : start + size]) in listed:
                return True
    return False
