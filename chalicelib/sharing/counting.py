"""Counting shares and clicks: once per visitor, code (and channel) and day, capped, hot-link safe.

A click is counted when its marker item (one per visitor, code and day) is created; the same
transaction takes one unit of the visitor's daily allowance. The counters then move with plain
ADDs on write-sharded items (CODE_SHARDS per code, AGG_SHARDS per shop): no single item takes every
click of a viral link, and plain ADDs never fail on contention the way transactions would.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from chalicelib import scoring
from chalicelib.intake import local_day
from chalicelib.store import aggregates, keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.shops import Shop
    from chalicelib.store.table import Table

VISITOR_DAILY_CAP = 30  # counted clicks and shares by one visitor across all links in a day
CODE_DAILY_CAP = 50_000  # counted clicks of one code in a day (spread over its shards)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _claim_visit(table: Table, kind: str, code: str, channel: str, day: str, visitor: str) -> bool:
    """Create the visitor's marker for this (kind, code, channel, day) and spend one of their daily units."""
    expires = int(time.time()) + keys.MARK_TTL_SECONDS
    try:
        table.transact(
            [
                table.put_op(
                    {**keys.mark_key(kind, code, day, visitor, channel), "expires_at": expires},
                    "attribute_not_exists(PK)",
                ),
                table.update_op(
                    keys.visit_key(visitor, day),
                    "ADD n :one SET expires_at = :exp",
                    values={":one": 1, ":exp": expires, ":cap": VISITOR_DAILY_CAP},
                    condition="attribute_not_exists(n) OR n < :cap",
                ),
            ]
        )
    except ConditionFailed:
        return False  # a repeat by this visitor today, or over their daily allowance
    return True


def _add_code_stat(table: Table, code: str, day: str, deltas: aggregates.Deltas, cap_field: str | None) -> int | None:
    """ADD to one random shard of the code's day; the shard's new value of the first counter, or None if capped."""
    shard = random.randrange(keys.CODE_SHARDS)  # noqa: S311 - load spreading only
    names = {f"#c{i}": name for i, name in enumerate(sorted(deltas))}
    values: dict[str, Any] = {f":c{i}": deltas[name] for i, name in enumerate(sorted(deltas))}
    condition = None
    if cap_field:
        names["#cap"] = cap_field
        values[":cap"] = CODE_DAILY_CAP // keys.CODE_SHARDS
        condition = "attribute_not_exists(#cap) OR #cap < :cap"
    try:
        new = table.update(
            keys.code_stat_key(code, shard, day),
            "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(deltas))),
            names=names,
            values=values,
            condition=condition,
            return_new=True,
        )
    except ConditionFailed:
        return None
    return int((new or {}).get(sorted(deltas)[0], 0))


def _add_shop_counters(table: Table, shop_id: str, day: str, deltas: aggregates.Deltas) -> None:
    table.apply(aggregates.add_op(table, shop_id, day, deltas))


def record_click(table: Table, shop: Shop, code: dict[str, Any], channel: str, visitor: str) -> bool:
    """Count one click of a share link; False when it does not count (repeat or over a cap)."""
    day = local_day(_now(), shop.settings.get("timezone", "UTC"))
    if not _claim_visit(table, "click", code["code"], "", day, visitor):
        return False
    shard_clicks = _add_code_stat(table, code["code"], day, {"clicks": 1, f"clicks_{channel}": 1}, "clicks")
    if shard_clicks is None:
        return False
    if shard_clicks == 1:
        # The first click of this day on this shard: note the day on the code (at most CODE_SHARDS writes
        # a day), so attribution can check its window without reading the sharded counters, and list the
        # code for today's roll-up of clicks into its advocate's score.
        table.update(keys.code_key(code["code"]), "ADD click_days :d", values={":d": {day}})
        table.put(
            {
                **keys.rollup_key(day, code["code"]),
                "shop_id": shop.shop_id,
                "customer_id": code["customer_id"],
                "expires_at": int(time.time()) + keys.MARK_TTL_SECONDS,
            }
        )
    _add_shop_counters(table, shop.shop_id, day, {"clicks": 1, f"clicks_{channel}": 1})
    return True


def record_preview(table: Table, shop: Shop, code: dict[str, Any]) -> None:
    """A link-preview crawler rendered the link: an impression, never a click."""
    day = local_day(_now(), shop.settings.get("timezone", "UTC"))
    _add_code_stat(table, code["code"], day, {"previews": 1}, None)
    _add_shop_counters(table, shop.shop_id, day, {"previews": 1})


def record_share(table: Table, shop: Shop, code: dict[str, Any], channel: str, visitor: str) -> bool:
    """Count one share by the advocate (once per channel, visitor and day); the first makes a sharer."""
    day = local_day(_now(), shop.settings.get("timezone", "UTC"))
    if not _claim_visit(table, "share", code["code"], channel, day, visitor):
        return False
    from chalicelib.outbound import event_op

    customer_key = keys.customer_key(shop.shop_id, code["customer_id"])
    for _ in range(5):
        customer = table.get(customer_key, consistent=True) or {}
        first = not customer.get("first_share_day")
        deltas: aggregates.Deltas = {"shares": 1, f"shares_{channel}": 1}
        if first:
            deltas["sharers"] = 1
        condition = "attribute_exists(PK)" + (" AND attribute_not_exists(first_share_day)" if first else "")
        event = event_op(
            table,
            shop,
            "share.recorded",
            {"code": code["code"], "customer_id": code["customer_id"], "channel": channel, "day": day},
        )
        try:
            table.transact(
                [
                    *([event] if event else []),
                    table.update_op(
                        customer_key,
                        "ADD shares :one, GSI2SK :w SET first_share_day = if_not_exists(first_share_day, :d), "
                        "score_sum = if_not_exists(score_sum, :zero) + :w",
                        values={":one": 1, ":d": day, ":w": scoring.weight_at("share", _now()), ":zero": 0},
                        condition=condition,
                    ),
                    aggregates.add_op(table, shop.shop_id, day, deltas),
                ]
            )
        except ConditionFailed:
            continue
        _add_code_stat(table, code["code"], day, {"shares": 1, f"shares_{channel}": 1}, None)
        return True
    return False
