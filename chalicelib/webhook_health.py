"""What each platform should send, and how its deliveries are going: recorded cheaply on every delivery."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import clock

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

# The topics to register on each platform, in the order the console lists them. Deliveries of any other
# topic are recorded as "other": what a sender names never makes a new item.
TOPICS: dict[str, tuple[str, ...]] = {
    "shopify": (
        "orders/create",
        "orders/paid",
        "orders/updated",
        "orders/fulfilled",
        "orders/cancelled",
        "fulfillment_events/create",
        "refunds/create",
        "products/create",
        "products/update",
        "customers/data_request",
        "customers/redact",
        "shop/redact",
    ),
    "woocommerce": ("order.created", "order.updated", "order.restored", "product.created", "product.updated"),
    "generic": (
        "order.created",
        "order.fulfilled",
        "order.delivered",
        "order.refunded",
        "order.cancelled",
        "customer.redact",
        "webhook.test",
    ),
}


def webhook_address(base_url: str, shop: Shop) -> str:
    """The one URL the shop's platform delivers to (what the owner registers by hand, or a connection for them)."""
    if shop.platform == "shopify":
        return f"{base_url}/webhooks/shopify"
    return f"{base_url}/webhooks/{shop.platform}/{shop.shop_id}"


OTHER = "other"
WINDOW = timedelta(hours=24)
CONNECTED_WITHIN = timedelta(days=30)  # a store that has sent nothing for a month is not known to be connected


def topic_of(platform: str, topic: str) -> str:
    """The topic as recorded: one of the platform's own, else "other"."""
    return topic if topic in TOPICS.get(platform, ()) else OTHER


def generic_type(body: bytes) -> str:
    """The `type` a generic body names, read without trusting the body (refusals have to name a topic too)."""
    import json

    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return OTHER
    kind = value.get("type") if isinstance(value, dict) else None
    return kind if isinstance(kind, str) else OTHER


def record_accepted(table: Table, shop_id: str, platform: str, topic: str) -> None:
    """One UpdateItem; a failure to record is logged, never the delivery's failure."""
    from chalicelib.store import webhook_health

    _safely(lambda: webhook_health.record_accepted(table, shop_id, platform, topic_of(platform, topic), clock.iso()))


def record_refused(table: Table, shop_id: str, platform: str, topic: str, kind: str, reason: str) -> None:
    """One UpdateItem on the hour's refusals item of the topic (bounded: one item per topic and hour)."""
    from chalicelib.store import webhook_health
    from chalicelib.store.keys import DELIVERY_REFUSAL_TTL_SECONDS

    now = clock.now()
    hour = now.strftime("%Y-%m-%dT%H")
    expires = clock.epoch() + DELIVERY_REFUSAL_TTL_SECONDS
    _safely(
        lambda: webhook_health.record_refused(
            table, shop_id, platform, topic_of(platform, topic), hour, kind, reason, clock.iso(now), expires
        )
    )


def _safely(write: Any) -> None:
    from chalicelib import errors
    from chalicelib.observability import logger

    try:
        write()
    except errors.ProofloopError as exc:  # the health panel is worth less than the delivery's own answer
        logger.warning("delivery health not recorded", extra={"code": exc.code})


def health(table: Table, platform: str, shop_id: str) -> dict[str, Any]:
    """Per topic: last received, last accepted, refusals of the last 24 hours by kind with the last reason;
    and whether the store is connected (an accepted delivery within CONNECTED_WITHIN)."""
    from chalicelib.store import webhook_health

    now = clock.now()
    since_hour = (now - WINDOW).strftime("%Y-%m-%dT%H")
    rows: dict[str, dict[str, Any]] = {topic: _empty(topic) for topic in (*TOPICS.get(platform, ()), OTHER)}
    for item in webhook_health.read_health(table, shop_id):
        if item["platform"] != platform:
            continue
        row = rows.setdefault(item["topic"], _empty(item["topic"]))
        if item["hour"] is None:
            row["last_accepted"] = item.get("last_accepted")
            row["last_received"] = _later(row["last_received"], item.get("last_received"))
            continue
        row["last_received"] = _later(row["last_received"], item.get("last_refused"))
        if item["hour"] < since_hour:
            continue
        row["refused_signature"] += int(item.get("refused_signature", 0))
        row["refused_body"] += int(item.get("refused_body", 0))
        if _later(row["last_refused"], item.get("last_refused")) == item.get("last_refused"):
            row["last_refused"] = item.get("last_refused")
            row["last_reason"] = item.get("last_reason")
            row["last_kind"] = item.get("last_kind")
    accepted = [r["last_accepted"] for r in rows.values() if r["last_accepted"]]
    latest = max(accepted, default=None)
    connected = latest is not None and clock.parse(latest) >= now - CONNECTED_WITHIN
    topics = [r for r in rows.values() if r["topic"] != OTHER or r["last_received"]]
    refused = sum(r["refused_signature"] + r["refused_body"] for r in topics)
    return {"connected": connected, "last_accepted": latest, "refused_24h": refused, "topics": topics}


def _empty(topic: str) -> dict[str, Any]:
    return {
        "topic": topic,
        "last_received": None,
        "last_accepted": None,
        "refused_signature": 0,
        "refused_body": 0,
        "last_refused": None,
        "last_reason": None,
        "last_kind": None,
    }


def _later(a: str | None, b: str | None) -> str | None:
    # Stored moments are ISO UTC to the second: text order is time order.
    return max((v for v in (a, b) if v), default=None)
