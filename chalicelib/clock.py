"""The one clock the domain reads: now, the ISO forms we store, and a shop's local day."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "UTC"


def now() -> datetime:
    """The current moment, aware and in UTC: every module asks here, so a test (or a replay) sets time once."""
    return datetime.now(UTC)


def iso(value: datetime | None = None) -> str:
    """A moment as stored: UTC to the second, `2026-11-24T09:30:00Z` (now when not given)."""
    return (value or now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(value: datetime | None = None) -> str:
    """A moment to the microsecond, for sort keys that must keep the order things happened in within a second."""
    return (value or now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(value: datetime | str) -> datetime:
    """A stored ISO moment (or a datetime) as an aware datetime."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def local_day(value: datetime | str, tz: str = DEFAULT_TIMEZONE) -> str:
    """The day (YYYY-MM-DD) a moment falls on in a shop's time zone: what counters and reports are keyed by."""
    return parse(value).astimezone(zone(tz)).strftime("%Y-%m-%d")


def today(tz: str = DEFAULT_TIMEZONE) -> str:
    return local_day(now(), tz)
