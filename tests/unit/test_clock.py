"""The one clock: the ISO forms we store and a shop's local day, whatever zone the moment came in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib import clock


@pytest.mark.parametrize(
    ("moment", "tz", "day"),
    [
        ("2026-11-24T23:30:00Z", "UTC", "2026-11-24"),
        ("2026-11-24T23:30:00Z", "Europe/Berlin", "2026-11-25"),
        ("2026-11-25T03:00:00Z", "America/Los_Angeles", "2026-11-24"),
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "Europe/Berlin", "2026-03-29"),  # the night clocks go forward
        ("2026-11-24T10:14:35-05:00", "UTC", "2026-11-24"),
    ],
)
def test_a_moment_falls_on_the_shops_local_day(moment, tz, day):
    assert clock.local_day(moment, tz) == day


def test_stored_moments_are_utc_to_the_second_and_sort_stamps_to_the_microsecond():
    moment = datetime(2026, 11, 24, 9, 30, 5, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert clock.iso(moment) == "2026-11-24T08:30:05Z"
    assert clock.stamp(moment) == "2026-11-24T08:30:05.123456Z"
    assert clock.parse(clock.iso(moment)) == moment.replace(microsecond=0)


def test_every_module_reads_the_one_clock(monkeypatch):
    # Given the clock set to a moment
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)
    # Then what the domain stores and counts by follows it
    from chalicelib.shops.service import now_iso
    from chalicelib.store.keys import sort_stamp

    assert now_iso() == "2030-01-02T03:04:05Z"
    assert sort_stamp() == "2030-01-02T03:04:05.000000Z"
    assert clock.today("Asia/Tokyo") == "2030-01-02"


def test_a_replay_runs_the_clock_from_a_moment_and_brings_real_time_back():
    # Given the clock run from a day last month (what the demo seed does before each event)
    moment = datetime(2026, 10, 3, 15, 0, tzinfo=UTC)
    try:
        clock.run_from(moment)
        # Then the domain's now, expiry stamps and day follow it, and it keeps ticking from there
        first = clock.now()
        assert timedelta(0) <= first - moment < timedelta(seconds=5)
        assert clock.epoch() - int(moment.timestamp()) < 5
        assert clock.today("America/Denver") == "2026-10-03"
        assert clock.now() >= first
    finally:
        clock.run_from(None)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
