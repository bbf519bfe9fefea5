"""The crawler index: the maintained crawler-user-agents list (the `crawler-user-agents` package), made cheap to
check on a cold click. Build output, written to chalicelib/sharing/crawlers.json (gitignored) and read by
chalicelib/sharing/crawlers.py.

    python scripts/crawlers.py    # what `make`, scripts/package.py and the tests' start run

The package itself loads its 545 KB of JSON on import and compiles all its ~1,500 patterns on its first check: about
30 ms of CPU added to a cold click, where the click's whole budget over its floor is a few tens. The index keeps, for
each pattern, the literal text that every match of it contains (found here with Python's own regex parser): at run
time a User-Agent is checked only against the patterns whose literal occurs in it. A pattern with no such literal of
at least three characters is kept apart and always checked.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

# The regex parser of this interpreter (re._parser since 3.11): the one re.compile uses, so the literals found are
# those the compiled pattern requires.
from re import _constants as sre
from re import _parser
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT / "chalicelib" / "sharing" / "crawlers.json"
PACKAGE = "crawler-user-agents"
FORMAT = 1
SHORTEST_KEY = 3  # the run-time index looks literals up by their first three characters

# Patterns of the list that name people, not automation; they count as clicks. Each is dropped from the index, and
# tests/unit/test_crawler_index.py checks that each is still in the list (an upgrade that drops one shows there).
PEOPLE = {
    # Meta's in-app browser (the Facebook app on iOS and Android, since late 2025) ends its User-Agent with
    # "MetaIAB Facebook"; the list calls it a link-preview fetcher, but it is the browser a friend opens the link in
    # from Facebook, our main channel. Meta's previews come as facebookexternalhit and meta-externalagent.
    "MetaIAB Facebook": "Meta's in-app browser in the Facebook app: a person following the link",
}


def listed() -> tuple[str, list[dict[str, Any]]]:
    """The installed list's version and its entries, read from the package's data without importing it."""
    from importlib.resources import files

    data = files("crawleruseragents").joinpath("crawler-user-agents.json").read_text(encoding="utf-8")
    entries: list[dict[str, Any]] = json.loads(data)
    return version(PACKAGE), entries


def _flatten(items: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """A parsed sequence with its case-sensitive groups opened in place: a group is only a part of the sequence."""
    flat: list[tuple[Any, Any]] = []
    for op, av in items:
        if op is sre.SUBPATTERN and not av[1] & re.IGNORECASE:
            flat.extend(_flatten(av[3]))
        else:
            flat.append((op, av))
    return flat


def _alternatives(items: Iterable[tuple[Any, Any]]) -> list[list[str]]:
    """Sets of literals (as lists) such that every match of the sequence contains one literal of each set."""
    found: list[list[str]] = []
    run: list[str] = []

    def close() -> None:
        if run:
            found.append(["".join(run)])
            run.clear()

    for op, av in _flatten(items):
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        close()
        if op is sre.BRANCH:
            keys = [_best(branch) for branch in av[1]]
            if all(keys):
                found.append(sorted({literal for key in keys if key for literal in key}))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            found.extend(_alternatives(av[2]))  # at least one repetition: what its body requires
        # Anything else (a class, a wildcard, an anchor, a case-insensitive group, a look-around) ends the run.
    close()
    return found


def _best(items: Iterable[tuple[Any, Any]]) -> list[str] | None:
    """The set of literals, each at least SHORTEST_KEY long, one of which every match contains: the longest shortest
    literal, then the fewest literals; None when there is none."""
    usable = [key for key in _alternatives(items) if min(len(literal) for literal in key) >= SHORTEST_KEY]
    return max(usable, key=lambda key: (min(len(literal) for literal in key), -len(key)), default=None)


def required_literals(pattern: str) -> list[str] | None:
    """Literals such that every match of the case-sensitive pattern contains one of them, or None."""
    parsed = _parser.parse(pattern)
    if parsed.state.flags & re.IGNORECASE:
        return None
    return _best(parsed.data)


def _check_alone(pattern: str) -> None:
    """The package joins the patterns with `|` and checks them together; the index checks each alone. That is the
    same answer unless a pattern numbers its groups (a backreference) or sets flags for the whole expression."""
    if re.search(r"\\[1-9]|\(\?P=|\(\?[aiLmsux]+\)", pattern):
        raise SystemExit(f"{PACKAGE}: {pattern!r} cannot be checked on its own; the index needs a new rule for it")
    re.compile(pattern)


def build_index(package_version: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The index: each pattern with its required literals, the patterns without, and what was left out."""
    keyed: list[list[Any]] = []
    unkeyed: list[str] = []
    for entry in entries:
        pattern = entry["pattern"]
        if pattern in PEOPLE:
            continue
        _check_alone(pattern)
        literals = required_literals(pattern)
        if literals is None:
            unkeyed.append(pattern)
        else:
            keyed.append([pattern, literals])
    return {
        "format": FORMAT,
        "source": f"{PACKAGE} {package_version}",
        "people": sorted(pattern for pattern in PEOPLE if any(e["pattern"] == pattern for e in entries)),
        "keyed": keyed,
        "unkeyed": unkeyed,
    }


def stale(path: Path = INDEX) -> bool:
    """Missing, of another format or list version, or older than this script."""
    if not path.exists() or path.stat().st_mtime < Path(__file__).stat().st_mtime:
        return True
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return True
    return bool(index.get("format") != FORMAT or index.get("source") != f"{PACKAGE} {version(PACKAGE)}")


def write_index(path: Path = INDEX) -> dict[str, Any]:
    """Build the index from the installed list and write it (compact: it is read on a cold click)."""
    index = build_index(*listed())
    partial = path.with_name(f".{path.name}.{os.getpid()}")  # readers (test workers) never see half a file
    partial.write_text(json.dumps(index, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)
    return index


def main() -> int:
    index = write_index()
    print(
        f"wrote {INDEX.relative_to(ROOT)} from {index['source']}: {len(index['keyed'])} patterns by literal, "
        f"{len(index['unkeyed'])} always checked, {len(index['people'])} left out as people"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
