"""Applies normalized events exactly once: facts are recorded on the order, counters move with them.

Deduplication is on what the body says, not on delivery ids: an order is a set of facts (known,
fulfilled, cancelled, refund <id>), each recorded once on its item. Applying an event computes the
facts it adds; none means a duplicate (answered 200, nothing written). New facts are written in one
transaction conditioned on the order's version, with their counter updates, so a repeated,
reordered or concurrent delivery can never count twice and a failure leaves nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from chalicelib import errors
from chalicelib.store import aggregates, keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.shops import Shop
    from chalicelib.store.table import Table
    from chalicelib.webhooks.events import Event, OrderEvent, ProductEvent

RACE_ATTEMPTS = 8


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_day(value: datetime | str, tz: str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d")


@dataclass
class OrderPlan:
    """What one event changes: the new order item, the buyer's record and the counters."""

    order: dict[str, Any]
    counters: dict[str, aggregates.Deltas] = field(default_factory=dict)
    new_customer: dict[str, Any] | None = None
    customer_update: dict[str, Any] | None = None
    facts: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.facts)


def _reversed(order: dict[str, Any]) -> bool:
    refunded = sum((Decimal(r["amount"]) for r in order.get("refunds", {}).values()), Decimal(0))
    return bool(order.get("cancelled_at")) or (order.get("known", False) and refunded >= Decimal(order["total"]) > 0)


def plan_order_event(
    current: dict[str, Any] | None,
    customer: dict[str, Any] | None,
    event: OrderEvent,
    shop: Shop,
) -> OrderPlan:
    """Pure: the facts this event adds to the order, and what each fact moves. No I/O."""
    tz = shop.settings.get("timezone", "UTC")
    order: dict[str, Any] = (
        dict(current)
        if current
        else {
            **keys.order_key(shop.shop_id, event.order_id),
            "type": "order",
            "shop_id": shop.shop_id,
            "order_id": event.order_id,
            "known": False,
            "refunds": {},
            "version": 0,
        }
    )
    order["refunds"] = dict(order.get("refunds", {}))
    plan = OrderPlan(order=order)
    snapshot = event.snapshot

    if snapshot is not None and not order["known"]:
        currency = snapshot.currency
        order.update(
            known=True,
            customer_id=snapshot.customer_id,
            email=snapshot.email,
            name=snapshot.name,
            currency=currency,
            total=snapshot.total,
            created_at=iso(snapshot.created_at),
            landing_url=snapshot.landing_url,
            codes=snapshot.codes,
            items=[
                {"product_id": i.product_id, "title": i.title, "quantity": i.quantity, "price": i.price}
                for i in snapshot.items
            ],
        )
        day = local_day(snapshot.created_at, tz)
        order["counted_day"] = day
        deltas: aggregates.Deltas = {"orders": 1, f"revenue_{currency}": snapshot.total}
        if customer is None:
            deltas["customers"] = 1
            plan.new_customer = _new_customer(shop.shop_id, snapshot, day)
        else:
            plan.customer_update = {"order_id": snapshot.order_id, "name": snapshot.name}
        aggregates.merge(plan.counters, day, deltas)
        plan.facts.append("known")

    new_refunds = {rid: amount for rid, amount in event.refunds.items() if rid not in order["refunds"]}
    for refund_id, amount in sorted(new_refunds.items()):
        order["refunds"][refund_id] = {"amount": amount, "at": iso(event.occurred_at)}
        plan.facts.append(f"refund:{refund_id}")
    if order["known"]:
        # A refund counts once the order is known: now if it was, or when the order arrives after it.
        counted = order["refunds"] if "known" in plan.facts else {rid: order["refunds"][rid] for rid in new_refunds}
        for refund in counted.values():
            aggregates.merge(
                plan.counters,
                local_day(refund["at"], tz),
                {"refunds": 1, f"refunded_{order['currency']}": Decimal(refund["amount"])},
            )

    if event.cancelled_at is not None and not order.get("cancelled_at"):
        order["cancelled_at"] = iso(event.cancelled_at)
        plan.facts.append("cancelled")
        aggregates.merge(plan.counters, local_day(event.cancelled_at, tz), {"cancelled_orders": 1})

    if event.fulfilled_at is not None and not order.get("fulfilled_at"):
        order["fulfilled_at"] = iso(event.fulfilled_at)
        plan.facts.append("fulfilled")
        aggregates.merge(plan.counters, local_day(event.fulfilled_at, tz), {"fulfilled_orders": 1})

    _schedule_review_request(order, shop)
    if plan.facts:
        order["version"] = int(order.get("version", 0)) + 1
    return plan


def _schedule_review_request(order: dict[str, Any], shop: Shop) -> None:
    """Every fulfilled buyer is asked alike after the shop's delay; a reversed order is not asked."""
    status = order.get("request_status")
    if _reversed(order):
        if status == "scheduled":
            order["request_status"] = "cancelled"
            order.pop(keys.GSI1PK, None)
            order.pop(keys.GSI1SK, None)
        return
    if status is None and order.get("known") and order.get("fulfilled_at") and order.get("email"):
        fulfilled = datetime.fromisoformat(order["fulfilled_at"].replace("Z", "+00:00"))
        due = iso(fulfilled + timedelta(days=int(shop.settings.get("review_delay_days", 7))))
        order["request_status"] = "scheduled"
        order["request_due_at"] = due
        order.update(keys.due_keys(order["shop_id"], order["order_id"], due))


def _new_customer(shop_id: str, snapshot: Any, day: str) -> dict[str, Any]:
    from chalicelib.signing import keyed_hash

    return {
        **keys.customer_key(shop_id, snapshot.customer_id),
        "type": "customer",
        "shop_id": shop_id,
        "customer_id": snapshot.customer_id,
        "name": snapshot.name,
        "email_hash": keyed_hash("email", snapshot.email.strip().lower()) if snapshot.email else None,
        "first_day": day,
        "first_order_at": iso(snapshot.created_at),
        "orders": 1,
        "order_ids": {snapshot.order_id},
    }


def _operations(table: Table, shop: Shop, plan: OrderPlan, previous_version: int) -> list[dict[str, Any]]:
    if previous_version:
        order_op = table.put_op(plan.order, "#v = :v", names={"#v": "version"}, values={":v": previous_version})
    else:
        order_op = table.put_op(plan.order, "attribute_not_exists(PK)")
    ops = [order_op]
    if plan.new_customer is not None:
        ops.append(table.put_op(plan.new_customer, "attribute_not_exists(PK)"))
    elif plan.customer_update is not None:
        update = plan.customer_update
        ops.append(
            table.update_op(
                keys.customer_key(shop.shop_id, plan.order["customer_id"]),
                "ADD orders :one, order_ids :ids SET #n = if_not_exists(#n, :name)",
                names={"#n": "name"},
                values={":one": 1, ":ids": {update["order_id"]}, ":name": update["name"] or ""},
                condition="attribute_exists(PK)",
            )
        )
    for day, deltas in sorted(plan.counters.items()):
        ops.append(aggregates.add_op(table, shop.shop_id, day, deltas))
    return ops


def apply_order_event(table: Table, shop: Shop, event: OrderEvent) -> str:
    """Record the event's new facts once; 'applied' or 'duplicate'."""
    customer_id = event.snapshot.customer_id if event.snapshot else None
    for _ in range(RACE_ATTEMPTS):
        order_key = keys.order_key(shop.shop_id, event.order_id)
        if customer_id:
            found = table.get_many([order_key, keys.customer_key(shop.shop_id, customer_id)], consistent=True)
            current = next((i for i in found if i.get("type") == "order"), None)
            customer = next((i for i in found if i.get("type") == "customer"), None)
        else:
            current, customer = table.get(order_key, consistent=True), None
        plan = plan_order_event(current, customer, event, shop)
        if not plan.changed:
            return "duplicate"
        try:
            table.transact(_operations(table, shop, plan, int(current["version"]) if current else 0))
        except ConditionFailed:
            continue  # another delivery of this order won the race: read again and re-plan
        return "applied"
    raise errors.RetryLater("this order is being updated by other deliveries; deliver again")


def apply_product_event(table: Table, shop: Shop, event: ProductEvent) -> str:
    """Keep the newest product page and picture; links only ever point at the shop's own domains."""
    from urllib.parse import urlsplit

    def on_shop(url: str | None) -> str | None:
        if not url:
            return None
        parts = urlsplit(url)
        return url if parts.scheme in ("http", "https") and (parts.netloc or "").lower() in shop.domains else None

    image = event.image_url if event.image_url and event.image_url.startswith("https://") else None
    item = {
        **keys.product_key(shop.shop_id, event.product_id),
        "type": "product",
        "product_id": event.product_id,
        "title": event.title,
        "url": on_shop(event.url),
        "image_url": image,
        "updated_at": iso(event.updated_at),
    }
    try:
        table.put(item, "attribute_not_exists(PK) OR updated_at < :u", values={":u": item["updated_at"]})
    except ConditionFailed:
        return "stale"
    return "applied"


def apply_events(table: Table, shop: Shop, events: list[Event]) -> list[str]:
    from chalicelib import privacy

    outcomes = []
    for event in events:
        if event.kind == "order":
            outcomes.append(apply_order_event(table, shop, event))
        elif event.kind == "product":
            outcomes.append(apply_product_event(table, shop, event))
        else:
            outcomes.append(privacy.apply_privacy_event(table, shop, event))
    return outcomes
