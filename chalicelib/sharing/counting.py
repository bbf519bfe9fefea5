"""Counting shares and clicks: once per visitor, code (and channel) and day, capped, hot-link safe, exact.

A click counts when its marker item (one per visitor, code and day) is created. The same transaction
takes one unit of the visitor's daily allowance and ADDs to one write shard of the code's day
(CODE_SHARDS) and of the shop's day (AGG_SHARDS), so a click is counted completely or not at all: a
failure at any step leaves nothing behind, and the visitor's retry counts it once. No single item
takes every click of a viral link; a transaction that collides with another on a shard is drawn again
on other shards.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors, scoring
from chalicelib.clock import local_day
from chalicelib.store import aggregates, codes, keys
from chalicelib.store.table import ConditionFailed, TransactionConflict, conflict_pause

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

VISITOR_DAILY_CAP = 30  # counted clicks and shares by one visitor across all links in a day
CODE_DAILY_CAP = 50_000  # counted clicks of one code in a day (spread over its shards)
CONFLICT_ATTEMPTS = 5  # transactions that collided on a hot shard, drawn again on other shards


def _now() -> datetime:
    return clock.now()


def _claim_ops(table: Table, kind: str, code: str, channel: str, day: str, visitor: str) -> list[dict[str, Any]]:
    """The visitor's marker for this (kind, code, channel, day), and one unit of their daily allowance."""
    expires = clock.epoch() + keys.MARK_TTL_SECONDS
    return [
        codes.mark_op(table, kind, code, day, visitor, expires, channel),
        codes.allowance_op(table, visitor, day, expires, VISITOR_DAILY_CAP),
    ]


def _code_stat_op(
    table: Table, code: str, day: str, deltas: aggregates.Deltas, cap_field: str | None
) -> dict[str, Any]:
    """Add to one random shard of the code's day, refused once that shard holds its share of the daily cap."""
    shard = random.randrange(keys.CODE_SHARDS)  # noqa: S311 - load spreading only
    return codes.stat_op(table, code, shard, day, deltas, cap_field, CODE_DAILY_CAP // keys.CODE_SHARDS)


def _click_day_ops(table: Table, shop: Shop, code: dict[str, Any], day: str) -> list[dict[str, Any]]:
    """On a code's first counted click of a day: note the day on the code (attribution checks its window
    there) and list the code for the day's roll-up of clicks into its advocate's score. They ride in the
    click's own transaction, so a day is noted exactly when a click of it counted, with no extra round
    trip; the code read for this click says whether the day is already there."""
    if day in code.get("click_days", ()):
        return []
    return [
        table.put_op(
            {
                **keys.rollup_key(day, code["code"]),
                "shop_id": shop.shop_id,
                "customer_id": code["customer_id"],
                "expires_at": clock.epoch() + keys.MARK_TTL_SECONDS,
            }
        ),
        codes.click_day_op(table, code["code"], day),
    ]


def record_click(table: Table, shop: Shop, code: dict[str, Any], channel: str, visitor: str) -> bool:
    """Count one click of a share link; False when it does not count (a repeat, or over a cap).

    One round trip: marker, allowance, counters and (on the code's first click of the day) its day,
    in one transaction."""
    day = local_day(_now(), shop.timezone)
    deltas: aggregates.Deltas = {"clicks": 1, f"clicks_{channel}": 1}
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            table.transact(
                [
                    *_claim_ops(table, "click", code["code"], "", day, visitor),
                    _code_stat_op(table, code["code"], day, deltas, "clicks"),
                    aggregates.add_op(table, shop.shop_id, day, deltas),
                    *_click_day_ops(table, shop, code, day),
                ]
            )
        except ConditionFailed:
            return False  # a repeat by this visitor today, over their allowance, or over the code's cap
        except TransactionConflict:
            conflict_pause(attempt)
            if day not in code.get("click_days", ()):
                # The day's first clicks collide on the code item: once one has noted the day, the others
                # see it and leave the code out.
                code = table.get(keys.code_key(code["code"]), consistent=True) or code
            continue
        return True
    raise errors.RetryLater("this link is very busy; try again")


def _preview_mark_op(table: Table, code: str, day: str, visitor: str) -> dict[str, Any]:
    """The crawler's marker for this code and day; a second fetch finds it and is not counted."""
    return codes.mark_op(table, "preview", code, day, visitor, clock.epoch() + keys.MARK_TTL_SECONDS)


def record_preview(table: Table, shop: Shop, code: dict[str, Any], visitor: str) -> bool:
    """A link-preview crawler rendered the link: an impression, never a click. Counted once per visitor,
    code and day, within the code's daily cap (CODE_DAILY_CAP, as clicks), marker and counters in one
    transaction; False when it does not count. Crawlers take no visitor allowance: one platform's fetcher
    previews every shop's links from a few addresses."""
    day = local_day(_now(), shop.timezone)
    deltas: aggregates.Deltas = {"previews": 1}
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            table.transact(
                [
                    _preview_mark_op(table, code["code"], day, visitor),
                    _code_stat_op(table, code["code"], day, deltas, "previews"),
                    aggregates.add_op(table, shop.shop_id, day, deltas),
                ]
            )
        except ConditionFailed:
            return False  # fetched by this visitor today already, or the code's previews are at the cap
        except TransactionConflict:
            conflict_pause(attempt)
            continue
        return True
    raise errors.RetryLater("this link is very busy; the preview was not counted")


def record_share(table: Table, shop: Shop, code: dict[str, Any], channel: str, visitor: str) -> bool:
    """Count one share by the advocate (once per channel, visitor and day); the first makes a sharer.

    Marker, allowance, the advocate's record, the shop's and the code's counters, the outbound event and, on the
    first share, the share-prompt experiment's conversion are one transaction: all or nothing, so a retry after any
    failure counts the share once."""
    from chalicelib.experiments.assignment import prompt_credit
    from chalicelib.outbound import event_op
    from chalicelib.store.advocates import Credit, credit_op
    from chalicelib.store.experiments import conversion_ops

    day = local_day(_now(), shop.timezone)
    customer_key = keys.customer_key(shop.shop_id, code["customer_id"])
    for attempt in range(CONFLICT_ATTEMPTS):
        customer = table.get(customer_key, consistent=True)
        if customer is None:
            return False  # the advocate's data was erased
        first = not customer.get("first_share_day")
        deltas: aggregates.Deltas = {"shares": 1, f"shares_{channel}": 1}
        credit = Credit(
            weight=scoring.weight_at("share", _now()),
            counters={"shares": 1},
            firsts={"first_share_day": day},
            new=("first_share_day",) if first else (),
        )
        event = event_op(
            table,
            shop,
            "share.recorded",
            {"code": code["code"], "customer_id": code["customer_id"], "channel": channel, "day": day},
        )
        claim = _claim_ops(table, "share", code["code"], channel, day, visitor)
        # The first share converts the customer in the share-prompt experiment they were counted a unit of (no
        # call more: the record read above says which; {} for a customer who was none).
        converts = prompt_credit(customer) if first else {}
        try:
            table.transact(
                [
                    *(("claim", op) for op in claim),
                    *conversion_ops(table, shop.shop_id, str(code["customer_id"]), converts, clock.iso(_now())),
                    credit_op(table, shop.shop_id, code["customer_id"], credit),
                    aggregates.add_op(table, shop.shop_id, day, {**deltas, **({"sharers": 1} if first else {})}),
                    _code_stat_op(table, code["code"], day, deltas, None),
                    codes.sharer_op(table, code["code"], visitor),
                    *([event] if event else []),
                ]
            )
        except ConditionFailed as exc:
            if exc.failed("claim"):
                return False  # shared on this channel today already, or over the daily allowance
            continue  # the advocate's record changed meanwhile (their first share elsewhere): re-read
        except TransactionConflict:
            conflict_pause(attempt)
            continue
        return True
    raise errors.RetryLater("the share could not be recorded; try again")
