"""Webhook delivery health: the last delivery of each topic, and refusals counted by the hour."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.table import Table

REFUSAL_KINDS = ("signature", "body")
REASON_LIMIT = 300  # characters of a refusal's reason kept; a sender chooses what it provokes


def record_accepted(table: Table, shop_id: str, platform: str, topic: str, at: str) -> None:
    """A delivery that passed its signature and its body's shape: received and accepted now."""
    table.update(
        keys.delivery_key(shop_id, platform, topic),
        "SET last_received = :at, last_accepted = :at, accepted = if_not_exists(accepted, :zero) + :one",
        values={":at": at, ":zero": 0, ":one": 1},
    )


def record_refused(
    table: Table, shop_id: str, platform: str, topic: str, hour: str, kind: str, reason: str, at: str, expires_at: int
) -> None:
    """A refused delivery: its kind's counter of the hour goes up, its reason is the hour's last."""
    if kind not in REFUSAL_KINDS:
        raise ValueError(f"unknown refusal kind {kind!r}")
    table.update(
        keys.delivery_refusals_key(shop_id, platform, topic, hour),
        f"ADD refused_{kind} :one SET last_refused = :at, last_reason = :reason, last_kind = :kind, #ttl = :ttl",
        names={"#ttl": keys.TTL_ATTRIBUTE},
        values={":one": 1, ":at": at, ":reason": reason[:REASON_LIMIT], ":kind": kind, ":ttl": expires_at},
    )


def read_health(table: Table, shop_id: str) -> list[dict[str, Any]]:
    """Every delivery item of the shop, each with `platform`, `topic` and, for refusals, `hour`."""
    found: list[dict[str, Any]] = []
    cursor: dict[str, Any] | None = None
    while True:
        items, cursor = table.query(
            keys.shop_partition(shop_id), sk_prefix=keys.DELIVERY_PREFIX, limit=200, cursor=cursor, consistent=True
        )
        for item in items:
            parts = keys.delivery_sort_key_parts(item[keys.SK])
            found.append(
                {**item, "platform": parts[0], "topic": parts[1], "hour": parts[2] if len(parts) > 2 else None}
            )
        if cursor is None:
            return found
