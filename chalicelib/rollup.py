"""Due work: fold each clicked link's sharded click counters into its advocate's record and score.

Clicks are counted as they arrive on write-sharded items (a viral link must not make one hot item);
their owner's click total and the click part of the score are set from those shards here, for the
codes listed under each day with clicks (ROLLUP#<day>). Setting (not adding) makes a repeated run harmless.

A pass walks one day's codes in key order. A run that stops because its budget is spent leaves a cursor
(the pass's start and the last code rolled), and the next run goes on after that code instead of starting
over, so a long list gets through however small each run's budget. Each day gets one stretch of its pass
per run: the pass in progress first, then the days whose last pass ended longest ago, so no day waits for
another to be walked twice. A completed pass clears the cursor and the next one starts from the first code,
which picks up clicks counted after their code was rolled. A day is walked until a pass that began after
it was over everywhere has completed; then its every click is in and it is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib import clock, scoring
from chalicelib.budget import Budget
from chalicelib.store import keys, rollups
from chalicelib.store.advocates import ClickScore, credit_op, stored_score
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from collections.abc import Iterator

    from chalicelib.store.table import Table

# A day's codes are listed for as long as its click markers live (from its first click): a day still
# open after two more days of runs has nothing left to walk.
DAYS_BACK = keys.MARK_TTL_SECONDS // 86400
CURSOR_TTL_SECONDS = 7 * 86400


@dataclass(frozen=True)
class DayCursor:
    """Where the roll-up of one day stands."""

    day: date
    pass_started: datetime | None = None  # the pass in progress began then; None: the next pass starts afresh
    last_code: str | None = None  # the last code that pass rolled
    last_pass_started: datetime | None = None  # the last completed pass began then
    last_pass_ended: datetime | None = None

    @classmethod
    def from_item(cls, day: date, item: dict[str, Any] | None) -> DayCursor:
        item = item or {}

        def moment(name: str) -> datetime | None:
            return datetime.fromisoformat(item[name]) if item.get(name) else None

        return cls(
            day=day,
            pass_started=moment("pass_started"),
            last_code=item.get("last_code") or None,
            last_pass_started=moment("last_pass_started"),
            last_pass_ended=moment("last_pass_ended"),
        )

    def closed(self, today: date) -> bool:
        """Over everywhere, and a pass that began after that has completed: every click is rolled."""
        return (
            self.day < today - timedelta(days=1)
            and self.last_pass_started is not None
            and self.last_pass_started >= over_everywhere(self.day)
        )

    def waiting_since(self) -> tuple[int, datetime, date]:
        """Walk order: a pass in progress first, then the day whose last pass ended longest ago (or never)."""
        if self.pass_started is not None:
            return (0, self.pass_started, self.day)
        return (1, self.last_pass_ended or datetime.min.replace(tzinfo=timezone.utc), self.day)


def over_everywhere(day: date) -> datetime:
    """When a shop's local `day` has ended in every time zone, with room for clicks still in flight.

    Shops count clicks on their own day: the last zone (UTC-12) ends it at noon UTC the next day. Once the
    day is older than yesterday in UTC, twelve more hours have passed."""
    return datetime.combine(day + timedelta(days=2), time.min, tzinfo=timezone.utc)


def code_clicks(table: Table, code: str) -> tuple[int, Decimal]:
    """A code's counted clicks and their score weight, from all of its shards."""
    clicks = 0
    weight = Decimal(0)
    for shard in range(keys.CODE_SHARDS):
        cursor = None
        while True:
            items, cursor = table.query(keys.code_stat_partition(code, shard), limit=400, cursor=cursor)
            for item in items:
                count = int(item.get("clicks", 0))
                if count:
                    day = date.fromisoformat(keys.day_of_sort_key(item[keys.SK]))
                    noon = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
                    clicks += count
                    weight += scoring.weight_at("click", noon, count)
            if cursor is None:
                break
    return clicks, weight


def roll_up_clicks(table: Table, now: datetime | None = None, budget: Budget | None = None) -> int:
    """Roll up the codes clicked on each day not yet closed, going on from where the last run stopped.

    Returns how many codes were rolled. `now` is when this run began (naive means UTC)."""
    budget = budget or Budget.unlimited()
    moment = now or clock.now()
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    today = moment.date()
    # Days are the shops' own: one either side of UTC's covers every time zone; older days get their last pass.
    days = [today + timedelta(days=offset) for offset in range(-DAYS_BACK, 2)]
    cursors = _read_cursors(table, days)
    done = 0
    for cursor in sorted((c for c in cursors if not c.closed(today)), key=DayCursor.waiting_since):
        rolled, finished = _roll_up_day(table, cursor, moment, budget)
        done += rolled
        if not finished:
            break
    return done


def _read_cursors(table: Table, days: list[date]) -> list[DayCursor]:
    found = {
        item[keys.PK]: item for item in table.get_many([keys.rollup_cursor_key(d.isoformat()) for d in days], True)
    }
    return [DayCursor.from_item(d, found.get(keys.rollup_cursor_key(d.isoformat())[keys.PK])) for d in days]


def _roll_up_day(table: Table, cursor: DayCursor, moment: datetime, budget: Budget) -> tuple[int, bool]:
    """One stretch of the day's pass: on from its cursor until the end (True) or the budget is spent."""
    started = cursor.pass_started or moment
    position = cursor.last_code
    done = 0
    failed = 0
    finished = False
    try:
        for entry in _codes_after(table, cursor.day, cursor.last_code):
            if budget.spent():
                break
            try:
                _roll_up_one(table, entry["shop_id"], entry["customer_id"], entry[keys.SK])
            except Exception:  # noqa: BLE001 - one code must not stop the day: the day's next pass rolls it again
                from chalicelib.observability import logger

                logger.exception("code not rolled up", extra={"code": entry[keys.SK], "day": cursor.day.isoformat()})
                failed += 1
            else:
                done += 1
            position = entry[keys.SK]
        else:
            finished = True
    finally:
        # Also when reading the day failed: what was rolled stays rolled. Concurrent runs may repeat work, never
        # skip it: each write states only what its own run did ("every code up to here rolled since then").
        if finished:
            _end_pass(table, cursor.day, started, moment, complete=not failed)
        elif position is not None and position != cursor.last_code:
            _save_progress(table, cursor.day, started, position, moment)
    return done, finished


def _codes_after(table: Table, day: date, last_code: str | None) -> Iterator[dict[str, Any]]:
    partition = keys.rollup_partition(day.isoformat())
    page: dict[str, Any] | None = {keys.PK: partition, keys.SK: last_code} if last_code else None
    while True:
        entries, page = table.query(partition, limit=100, cursor=page)
        yield from entries
        if page is None:
            return


def _cursor_expiry(moment: datetime) -> int:
    return int(moment.timestamp()) + CURSOR_TTL_SECONDS


def _save_progress(table: Table, day: date, started: datetime, last_code: str, moment: datetime) -> None:
    rollups.save_progress(table, day.isoformat(), started.isoformat(), last_code, _cursor_expiry(moment))


def _end_pass(table: Table, day: date, started: datetime, moment: datetime, complete: bool = True) -> None:
    """The pass is over. One that skipped a code whose roll-up failed is not a complete pass: it does not close
    the day, so a later pass rolls that code again (for as long as the day is in the window)."""
    begun = started.isoformat() if complete else None
    rollups.end_pass(table, day.isoformat(), moment.isoformat(), _cursor_expiry(moment), begun)


def _roll_up_one(table: Table, shop_id: str, customer_id: str, code: str) -> None:
    clicks, weight = code_clicks(table, code)
    key = keys.customer_key(shop_id, customer_id)
    for _ in range(5):
        customer = table.get(key, consistent=True)
        if customer is None:
            return
        stored = stored_score(customer)
        if stored.clicks == weight and int(customer.get("clicks", 0)) == clicks:
            return
        read = stored.clicks if stored.clicks_rolled_up else None
        try:
            table.apply(credit_op(table, shop_id, customer_id, ClickScore(clicks=clicks, score=weight, read=read)))
            return
        except ConditionFailed:
            continue
