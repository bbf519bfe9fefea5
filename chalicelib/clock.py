"""The one clock the domain reads: now, the ISO forms we store, and a shop's local day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "UTC"
# How far the clock runs from real time: zero except while a replay (the demo month `make run` seeds)
# plays events on the days they happened. Nothing in the deployed service sets it.
_offset = timedelta(0)


def now() -> datetime:
    """The current moment, aware and in UTC: every module asks here, so a test (or a replay) sets time once."""
    moment = datetime.now(UTC)
    return moment + _offset if _offset else moment


def epoch() -> int:
    """Now in whole seconds since 1970: what expiry stamps (`exp`, DynamoDB TTL) are written in."""
    return int(now().timestamp())


def run_from(moment: datetime | None) -> None:
    """Run the clock on from `moment` (it keeps ticking from there); None brings back real time.

    For a replay in one local process: every thread reads the same clock, so the server it drives
    counts each event on the day it is played at.
    """
    global _offset
    _offset = timedelta(0) if moment is None else moment - datetime.now(UTC)


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
