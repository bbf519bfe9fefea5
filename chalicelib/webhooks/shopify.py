"""Shopify webhooks (REST payloads): topics to normalized events."""

from __future__ import annotations

from typing import Any

from chalicelib import errors
from chalicelib.webhooks.common import guest_customer_id, money, obj, optional_time, parse_time, text_id
from chalicelib.webhooks.events import (
    MAX_ITEMS,
    CustomerRedactEvent,
    DataRequestEvent,
    Event,
    Ignored,
    Item,
    OrderEvent,
    OrderSnapshot,
    ProductEvent,
    ShopRedactEvent,
)

ORDER_TOPICS = {"orders/create", "orders/paid", "orders/fulfilled", "orders/cancelled", "orders/updated"}
PRIVACY_TOPICS = {"customers/redact", "customers/data_request", "shop/redact"}
PRODUCT_TOPICS = {"products/create", "products/update"}
TOPICS = ORDER_TOPICS | PRIVACY_TOPICS | PRODUCT_TOPICS | {"refunds/create"}


def _referral_codes(order: dict[str, Any]) -> list[str]:
    codes = [str(d.get("code", "")).strip() for d in order.get("discount_codes") or [] if isinstance(d, dict)]
    for attribute in order.get("note_attributes") or []:
        if isinstance(attribute, dict) and str(attribute.get("name", "")).lower() in ("ref", "referral", "proofloop"):
            codes.append(str(attribute.get("value", "")).strip())
    return [c for c in codes if c][:20]


def _items(order: dict[str, Any], home: str) -> list[Item]:
    items = []
    for line in (order.get("line_items") or [])[:MAX_ITEMS]:
        if not isinstance(line, dict) or line.get("product_id") in (None, ""):
            continue  # custom line items (tips, gift wrap) have no product to review
        items.append(
            Item(
                product_id=text_id(line["product_id"], "line_items.product_id"),
                title=str(line.get("title") or line.get("name") or "")[:300],
                quantity=int(line.get("quantity") or 1),
                price=money(line.get("price") or 0, "line_items.price"),
            )
        )
    return items


def _snapshot(order: dict[str, Any], home: str) -> OrderSnapshot:
    from pydantic import ValidationError

    from chalicelib.http import validation_failed

    order_id = text_id(order.get("id"), "id")
    customer = obj(order.get("customer"))
    email = order.get("email") or order.get("contact_email") or customer.get("email")
    names = [customer.get("first_name"), customer.get("last_name")]
    name = " ".join(str(n) for n in names if n) or None
    customer_id = text_id(customer["id"], "customer.id") if customer.get("id") else guest_customer_id(email, order_id)
    landing = order.get("landing_site") or None
    if landing and landing.startswith("/"):
        landing = f"https://{home}{landing}"
    try:
        return OrderSnapshot(
            order_id=order_id,
            customer_id=customer_id,
            email=email,
            name=name,
            currency=str(order.get("currency") or order.get("presentment_currency") or ""),
            total=money(order.get("total_price", "0"), "total_price"),
            created_at=parse_time(order.get("created_at"), "created_at"),
            landing_url=landing,
            codes=_referral_codes(order),
            items=_items(order, home),
        )
    except ValidationError as exc:
        raise validation_failed(exc) from None


def _fulfilled_at(order: dict[str, Any], topic: str) -> Any:
    fulfillments = [f for f in order.get("fulfillments") or [] if isinstance(f, dict) and f.get("created_at")]
    if fulfillments:
        return max(parse_time(f["created_at"], "fulfillments.created_at") for f in fulfillments)
    if topic == "orders/fulfilled" or order.get("fulfillment_status") == "fulfilled":
        return parse_time(order.get("updated_at") or order.get("created_at"), "updated_at")
    return None


def _refunds(refund_list: list[Any]) -> dict[str, Any]:
    refunds = {}
    for refund in refund_list:
        if not isinstance(refund, dict) or refund.get("id") in (None, ""):
            continue
        amount = sum(
            (
                money(t.get("amount", "0"), "transactions.amount")
                for t in refund.get("transactions") or []
                if isinstance(t, dict) and t.get("kind") == "refund" and t.get("status", "success") == "success"
            ),
            start=money(0, "amount"),
        )
        refunds[text_id(refund["id"], "refunds.id")] = amount
    return refunds


def to_events(topic: str, body: dict[str, Any], home: str) -> list[Event] | Ignored:
    """The normalized events one Shopify delivery stands for."""
    topic = topic.strip().lower()
    if topic in ORDER_TOPICS:
        snapshot = _snapshot(body, home)
        cancelled = optional_time(body.get("cancelled_at"), "cancelled_at")
        if topic == "orders/cancelled" and cancelled is None:
            cancelled = parse_time(body.get("updated_at") or body.get("created_at"), "updated_at")
        return [
            OrderEvent(
                order_id=snapshot.order_id,
                occurred_at=parse_time(body.get("updated_at") or body.get("created_at"), "updated_at"),
                snapshot=snapshot,
                fulfilled_at=_fulfilled_at(body, topic),
                cancelled_at=cancelled,
                refunds=_refunds(body.get("refunds") or []),
                source_version=str(body.get("updated_at") or ""),
            )
        ]
    if topic == "refunds/create":
        order_id = text_id(body.get("order_id"), "order_id")
        return [
            OrderEvent(
                order_id=order_id,
                occurred_at=parse_time(body.get("created_at") or body.get("processed_at"), "created_at"),
                refunds=_refunds([body]),
            )
        ]
    if topic in PRODUCT_TOPICS:
        handle = str(body.get("handle") or "").strip()
        image = obj(body.get("image")) or None
        if image is None and body.get("images"):
            image = body["images"][0] if isinstance(body["images"][0], dict) else None
        return [
            ProductEvent(
                product_id=text_id(body.get("id"), "id"),
                title=str(body.get("title") or "")[:300],
                url=f"https://{home}/products/{handle}" if handle else None,
                image_url=(image or {}).get("src"),
                updated_at=parse_time(body.get("updated_at") or body.get("created_at"), "updated_at"),
            )
        ]
    if topic == "customers/redact":
        customer = obj(body.get("customer"))
        return [
            CustomerRedactEvent(
                customer_id=str(customer["id"]) if customer.get("id") else None,
                email=customer.get("email"),
                order_ids=[str(o) for o in body.get("orders_to_redact") or []],
            )
        ]
    if topic == "customers/data_request":
        customer = obj(body.get("customer"))
        request = obj(body.get("data_request"))
        return [
            DataRequestEvent(
                request_id=str(request.get("id") or body.get("shop_id") or "unknown"),
                customer_id=str(customer["id"]) if customer.get("id") else None,
                email=customer.get("email"),
                order_ids=[str(o) for o in body.get("orders_requested") or []],
            )
        ]
    if topic == "shop/redact":
        return [ShopRedactEvent()]
    if not topic:
        raise errors.BadRequest("X-Shopify-Topic is missing", code="missing_topic")
    return Ignored(reason=f"topic {topic} is not used")
