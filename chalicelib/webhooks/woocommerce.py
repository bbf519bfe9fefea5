"""WooCommerce webhooks (REST API v3 payloads): topics to normalized events."""

from __future__ import annotations

from typing import Any

from chalicelib.webhooks.common import guest_customer_id, money, obj, optional_time, parse_time, text_id
from chalicelib.webhooks.events import MAX_ITEMS, Event, Ignored, Item, OrderEvent, OrderSnapshot, ProductEvent

FULFILLED = {"completed"}
REVERSED = {"refunded", "cancelled"}
ORDER_TOPICS = {"order.created", "order.updated", "order.restored"}
PRODUCT_TOPICS = {"product.created", "product.updated"}
LANDING_META_KEYS = ("_wc_order_attribution_session_entry", "_landing_page", "landing_page", "_proofloop_landing")
REF_META_KEYS = ("ref", "_ref", "proofloop_ref", "_proofloop_ref", "referral")


def _gmt(order: dict[str, Any], name: str) -> Any:
    """WooCommerce sends local and *_gmt times; the _gmt one, without an offset, is UTC."""
    value = order.get(f"{name}_gmt") or order.get(name)
    return optional_time(value, name)


def _meta(order: dict[str, Any]) -> dict[str, str]:
    return {
        str(m.get("key")): str(m.get("value"))
        for m in order.get("meta_data") or []
        if isinstance(m, dict) and isinstance(m.get("value"), (str, int))
    }


def _snapshot(order: dict[str, Any]) -> OrderSnapshot:
    from pydantic import ValidationError

    from chalicelib.http import validation_failed

    order_id = text_id(order.get("id"), "id")
    billing = obj(order.get("billing"))
    email = billing.get("email") or None
    name = " ".join(str(n) for n in (billing.get("first_name"), billing.get("last_name")) if n) or None
    raw_customer = order.get("customer_id")
    customer_id = (
        text_id(raw_customer, "customer_id")
        if raw_customer not in (None, "", 0, "0")
        else guest_customer_id(email, order_id)
    )
    meta = _meta(order)
    landing = next((meta[k] for k in LANDING_META_KEYS if meta.get(k)), None)
    codes = [str(c.get("code", "")).strip() for c in order.get("coupon_lines") or [] if isinstance(c, dict)]
    codes += [meta[k].strip() for k in REF_META_KEYS if meta.get(k)]
    items = [
        Item(
            product_id=text_id(line["product_id"], "line_items.product_id"),
            title=str(line.get("name") or "")[:300],
            quantity=int(line.get("quantity") or 1),
            price=money(line.get("price") or 0, "line_items.price"),
        )
        for line in (order.get("line_items") or [])[:MAX_ITEMS]
        if isinstance(line, dict) and line.get("product_id") not in (None, "", 0)
    ]
    try:
        return OrderSnapshot(
            order_id=order_id,
            customer_id=customer_id,
            email=email,
            name=name,
            currency=str(order.get("currency") or ""),
            total=money(order.get("total", "0"), "total"),
            created_at=_gmt(order, "date_created") or parse_time(None, "date_created"),
            landing_url=landing,
            codes=[c for c in codes if c][:20],
            items=items,
        )
    except ValidationError as exc:
        raise validation_failed(exc) from None


def to_events(topic: str, body: dict[str, Any]) -> list[Event] | Ignored:
    topic = topic.strip().lower()
    if topic in ORDER_TOPICS:
        snapshot = _snapshot(body)
        status = str(body.get("status") or "").lower()
        modified = _gmt(body, "date_modified") or snapshot.created_at
        completed = _gmt(body, "date_completed")
        refunds = {
            text_id(r["id"], "refunds.id"): abs(money(r.get("total", "0"), "refunds.total"))
            for r in body.get("refunds") or []
            if isinstance(r, dict) and r.get("id") not in (None, "")
        }
        if status == "refunded" and not refunds:
            refunds = {f"status-refunded-{snapshot.order_id}": snapshot.total}
        return [
            OrderEvent(
                order_id=snapshot.order_id,
                occurred_at=modified,
                snapshot=snapshot,
                fulfilled_at=(completed or modified) if status in FULFILLED else None,
                cancelled_at=modified if status == "cancelled" else None,
                refunds=refunds,
                source_version=str(body.get("date_modified_gmt") or body.get("date_modified") or ""),
            )
        ]
    if topic in PRODUCT_TOPICS:
        images = [i for i in body.get("images") or [] if isinstance(i, dict) and i.get("src")]
        return [
            ProductEvent(
                product_id=text_id(body.get("id"), "id"),
                title=str(body.get("name") or "")[:300],
                url=body.get("permalink") or None,
                image_url=images[0]["src"] if images else None,
                updated_at=_gmt(body, "date_modified") or parse_time(None, "date_modified"),
            )
        ]
    return Ignored(reason=f"topic {topic or '(none)'} is not used")
