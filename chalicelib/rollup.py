"""Due work: fold each clicked link's sharded click counters into its advocate's record and score.

Clicks are counted as they arrive on write-sharded items (a viral link must not make one hot item);
their owner's click total and the click part of the score are set from those shards here, for the
codes clicked today or yesterday. Setting (not adding) makes a repeated run harmless.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from chalicelib import scoring
from chalicelib.budget import Budget
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.table import Table


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
                    day = date.fromisoformat(item[keys.SK][len("DAY#") :])
                    noon = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
                    clicks += count
                    weight += scoring.weight_at("click", noon, count)
            if cursor is None:
                break
    return clicks, weight


def roll_up_clicks(table: Table, today: date | None = None, budget: Budget | None = None) -> int:
    budget = budget or Budget.unlimited()
    day = today or datetime.now(timezone.utc).date()
    done = 0
    # Days are the shops' own: one either side of UTC's covers every time zone.
    for offset in (-1, 0, 1):
        partition = f"ROLLUP#{(day + timedelta(days=offset)).isoformat()}"
        cursor = None
        while True:
            entries, cursor = table.query(partition, limit=100, cursor=cursor)
            for entry in entries:
                if budget.spent():
                    return done
                _roll_up_one(table, entry["shop_id"], entry["customer_id"], entry[keys.SK])
                done += 1
            if cursor is None:
                break
    return done


def _roll_up_one(table: Table, shop_id: str, customer_id: str, code: str) -> None:
    clicks, weight = code_clicks(table, code)
    key = keys.customer_key(shop_id, customer_id)
    for _ in range(5):
        customer = table.get(key, consistent=True)
        if customer is None:
            return
        old = Decimal(customer.get("click_score", 0))
        if old == weight and int(customer.get("clicks", 0)) == clicks:
            return
        condition = "click_score = :old" if "click_score" in customer else "attribute_not_exists(click_score)"
        values = {":c": clicks, ":new": weight, ":delta": weight - old}
        if "click_score" in customer:
            values[":old"] = old
        try:
            table.update(
                key, "SET clicks = :c, click_score = :new ADD GSI2SK :delta", values=values, condition=condition
            )
            return
        except ConditionFailed:
            continue
