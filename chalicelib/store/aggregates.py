"""Per-shop, per-day counters, write-sharded so that no single item takes every increment."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from chalicelib.store import keys
from chalicelib.store.table import Table

Deltas = dict[str, int | Decimal]


def add_op(table: Table, shop_id: str, day: str, deltas: Deltas, shard: int | None = None) -> dict[str, Any]:
    """One transactional ADD of several counters on one day of one shop (a random shard)."""
    chosen = random.randrange(keys.AGG_SHARDS) if shard is None else shard  # noqa: S311 - load spreading only
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    parts = []
    for index, (name, delta) in enumerate(sorted(deltas.items())):
        names[f"#c{index}"] = name
        values[f":c{index}"] = delta
        parts.append(f"#c{index} :c{index}")
    return table.update_op(keys.aggregate_key(shop_id, day, chosen), "ADD " + ", ".join(parts), names, values)


def merge(into: dict[str, Deltas], day: str, deltas: Deltas) -> None:
    bucket = into.setdefault(day, {})
    for name, delta in deltas.items():
        bucket[name] = bucket.get(name, 0) + delta


def read_days(
    table: Table, shop_id: str, first_day: str, last_day: str, consistent: bool = False
) -> dict[str, dict[str, Decimal]]:
    """Counters per day between two days (inclusive), the shards summed; `consistent`: every write finished before
    the call is in them (twice the read cost: for a caller that must see them all, as the badge's refresh)."""
    totals: dict[str, dict[str, Decimal]] = {}
    for shard in range(keys.AGG_SHARDS):
        cursor = None
        while True:
            items, cursor = table.query(
                keys.aggregate_partition(shop_id, shard),
                sk_between=(keys.day_sort_key(first_day), keys.day_sort_key(last_day)),
                limit=400,
                cursor=cursor,
                consistent=consistent,
            )
            for item in items:
                day = keys.day_of_sort_key(item[keys.SK])
                bucket = totals.setdefault(day, {})
                for name, value in item.items():
                    if name not in (keys.PK, keys.SK) and isinstance(value, Decimal):
                        bucket[name] = bucket.get(name, Decimal(0)) + value
            if cursor is None:
                break
    return totals
