"""Privacy requests: erase a customer's personal data, answer a data request, erase a whole shop.

Counts stay right: aggregates never held personal data, so erasing names, emails, landing URLs
and keyed hashes changes no number in any report.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC
from typing import TYPE_CHECKING, Any

from chalicelib.budget import Budget
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.shops import Shop
    from chalicelib.store.table import Table
    from chalicelib.webhooks.events import CustomerRedactEvent, DataRequestEvent, Event

SHOP_REDACT_INDEX = "SHOPREDACT"
ANONYMOUS = "Anonymous"


def _customer_id(customer_id: str | None, email: str | None) -> str | None:
    from chalicelib.webhooks.common import guest_customer_id

    if customer_id:
        return customer_id
    return guest_customer_id(email, "") if email else None


def _now() -> str:
    from datetime import datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def redact_order(table: Table, shop_id: str, order_id: str) -> None:
    """Erase an order's personal data; dropping its due-index keys means no request goes out."""
    with suppress(ConditionFailed):  # an order we never stored has nothing to erase
        table.update(
            keys.order_key(shop_id, order_id),
            "REMOVE email, #n, landing_url, GSI1PK, GSI1SK SET redacted = :t",
            names={"#n": "name"},
            values={":t": True},
            condition="attribute_exists(PK)",
        )


def redact_customer(table: Table, shop_id: str, customer_id: str, extra_orders: list[str] | None = None) -> int:
    """Erase one customer's personal data; returns how many orders were touched."""
    customer = table.get(keys.customer_key(shop_id, customer_id), consistent=True)
    order_ids = set(extra_orders or [])
    if customer:
        order_ids |= set(customer.get("order_ids") or ())
    for order_id in sorted(order_ids):
        redact_order(table, shop_id, order_id)
    for review_id in sorted((customer or {}).get("review_ids") or ()):
        # The review stays published; only who wrote it is forgotten.
        with suppress(ConditionFailed):
            table.update(
                keys.review_key(shop_id, review_id),
                "SET author = :a",
                values={":a": ANONYMOUS},
                condition="attribute_exists(PK)",
            )
    table.update(
        keys.customer_key(shop_id, customer_id),
        "REMOVE email_hash, #n SET redacted = :t, redacted_at = :now, #ty = :ty, shop_id = :s, customer_id = :c",
        names={"#n": "name", "#ty": "type"},
        values={":t": True, ":now": _now(), ":ty": "customer", ":s": shop_id, ":c": customer_id},
    )
    return len(order_ids)


def record_data_request(table: Table, shop: Shop, event: DataRequestEvent) -> str:
    customer_id = _customer_id(event.customer_id, event.email)
    item = {
        keys.PK: f"SHOP#{shop.shop_id}",
        keys.SK: f"DATAREQ#{event.request_id}",
        "type": "data_request",
        "request_id": event.request_id,
        "customer_id": customer_id,
        "order_ids": event.order_ids or None,
        "requested_at": _now(),
    }
    try:
        table.put(item, "attribute_not_exists(PK)")
    except ConditionFailed:
        return "duplicate"
    return "applied"


def customer_data(table: Table, shop_id: str, customer_id: str) -> dict[str, Any] | None:
    """Everything stored about one customer of one shop, for the owner to hand over."""
    customer = table.get(keys.customer_key(shop_id, customer_id), consistent=True)
    if customer is None:
        return None
    order_ids = sorted(customer.get("order_ids") or ())
    orders = table.get_many([keys.order_key(shop_id, o) for o in order_ids]) if order_ids else []
    hidden = {keys.PK, keys.SK, keys.GSI1PK, keys.GSI1SK, "version", "type", "shop_id"}

    def clean(item: dict[str, Any]) -> dict[str, Any]:
        return {k: (sorted(v) if isinstance(v, set) else v) for k, v in item.items() if k not in hidden}

    return {"customer": clean(customer), "orders": [clean(o) for o in sorted(orders, key=lambda o: o["order_id"])]}


def request_shop_redaction(table: Table, shop: Shop) -> str:
    """Mark the shop for erasure; the due work erases it page by page (slow work leaves the request)."""
    try:
        table.update(
            keys.shop_key(shop.shop_id),
            "SET GSI1PK = :idx, GSI1SK = :sid, redact_requested_at = :now",
            values={":idx": SHOP_REDACT_INDEX, ":sid": shop.shop_id, ":now": _now()},
            condition="attribute_not_exists(redact_requested_at)",
        )
    except ConditionFailed:
        return "duplicate"
    return "applied"


def run_shop_redactions(table: Table, max_customers: int = 500, budget: Budget | None = None) -> int:
    """Due work: erase the customers of shops that asked, a bounded number per run."""
    budget = budget or Budget.unlimited()
    done = 0
    shops, _ = table.query(SHOP_REDACT_INDEX, index=keys.GSI1, limit=10)
    for shop in shops:
        shop_id = shop["shop_id"]
        cursor = None
        while done < max_customers:
            page, cursor = table.query(f"SHOP#{shop_id}", sk_prefix="CUST#", limit=100, cursor=cursor)
            for customer in page:
                if not customer.get("redacted"):
                    if budget.spent():
                        return done
                    redact_customer(table, shop_id, customer["customer_id"])
                    done += 1
            if cursor is None:
                table.update(
                    keys.shop_key(shop_id), "REMOVE GSI1PK, GSI1SK SET redacted_at = :now", values={":now": _now()}
                )
                break
    return done


def apply_privacy_event(table: Table, shop: Shop, event: Event) -> str:
    if event.kind == "customer_redact":
        redact: CustomerRedactEvent = event
        customer_id = _customer_id(redact.customer_id, redact.email)
        if customer_id is None:
            return "ignored"
        redact_customer(table, shop.shop_id, customer_id, redact.order_ids)
        return "applied"
    if event.kind == "data_request":
        return record_data_request(table, shop, event)
    if event.kind == "shop_redact":
        return request_shop_redaction(table, shop)
    return "ignored"
