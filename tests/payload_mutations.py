"""Hypothesis strategies: realistic storefront bodies with any field at any depth replaced by any JSON value."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from tests.signers import fixture

# Topic -> the fixture a storefront sends under it (and a few it never would, to try topic confusion).
SHOPIFY_BODIES = {
    "orders/create": "shopify_order.json",
    "orders/updated": "shopify_order.json",
    "orders/fulfilled": "shopify_order.json",
    "orders/cancelled": "shopify_order.json",
    "refunds/create": "shopify_refund.json",
    "products/update": "shopify_product.json",
    "customers/redact": "shopify_customers_redact.json",
    "customers/data_request": "shopify_customers_data_request.json",
    "shop/redact": "shopify_shop_redact.json",
}
WOO_BODIES = {
    "order.created": "woocommerce_order.json",
    "order.updated": "woocommerce_order.json",
    "product.updated": "woocommerce_order.json",
}

# The fields the adapters read: most mutations land on one of these (or inside one), the rest anywhere.
READ_FIELDS = frozenset(
    [
        "id",
        "order_id",
        "email",
        "contact_email",
        "customer",
        "first_name",
        "last_name",
        "currency",
        "presentment_currency",
        "total_price",
        "created_at",
        "updated_at",
        "cancelled_at",
        "fulfillment_status",
        "fulfillments",
        "status",
        "refunds",
        "transactions",
        "kind",
        "amount",
        "landing_site",
        "discount_codes",
        "code",
        "note_attributes",
        "name",
        "value",
        "line_items",
        "product_id",
        "title",
        "quantity",
        "price",
        "handle",
        "image",
        "images",
        "src",
        "shop_domain",
        "orders_to_redact",
        "orders_requested",
        "data_request",
        "total",
        "customer_id",
        "billing",
        "date_created",
        "date_created_gmt",
        "date_modified",
        "date_modified_gmt",
        "date_completed",
        "date_completed_gmt",
        "meta_data",
        "key",
        "coupon_lines",
        "permalink",
    ]
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=120)
    | st.sampled_from(["", "0", "-1", "1e999", "NaN", "2026-13-45T99:99:99Z", "0001-01-01T00:00:00+14:00", "x" * 300])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value that holds something: dict keys and list positions, at any depth."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths(inner, (*prefix, index))
    return found


def replaced(body: dict[str, Any], path: tuple[Any, ...], value: Any, delete: bool) -> dict[str, Any]:
    out = copy.deepcopy(body)
    holder: Any = out
    for step in path[:-1]:
        holder = holder[step]
    if delete and isinstance(holder, dict):
        del holder[path[-1]]
    else:
        holder[path[-1]] = value
    return out


@st.composite
def mutated_delivery(draw: Any, bodies: dict[str, str], order_ids: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    """A topic and a realistic body for it (or for another topic) with one or two fields replaced or removed."""
    topic = draw(st.sampled_from(sorted(bodies)))
    name = bodies[topic] if draw(st.integers(0, 4)) else draw(st.sampled_from(sorted(set(bodies.values()))))
    body = fixture(name)
    if "id" in body and name.endswith("order.json"):
        body["id"] = draw(st.sampled_from(order_ids))  # a few orders, so repeats and reorderings meet
    for _ in range(draw(st.integers(1, 2))):
        everywhere = paths(body)
        read = [p for p in everywhere if any(step in READ_FIELDS for step in p if isinstance(step, str))]
        where = draw(st.sampled_from(read if read and draw(st.integers(0, 3)) else everywhere))
        body = replaced(body, where, draw(json_values), delete=draw(st.integers(0, 5)) == 0)
    return topic, body


def consistent(table: Any, shop_id: str, items: list[Any]) -> None:
    """The day counters say exactly what the order and customer items say: nothing counted twice or lost."""
    from chalicelib.store import aggregates
    from chalicelib.store.table import deserialize

    stored = [deserialize(i) for i in items]
    orders = [i for i in stored if i.get("type") == "order" and i.get("shop_id") == shop_id and i.get("known")]
    customers = [i for i in stored if i.get("type") == "customer" and i.get("shop_id") == shop_id]
    counted: dict[str, Any] = {}
    for day in aggregates.read_days(table, shop_id, "1990-01-01", "2200-12-31").values():
        for name, value in day.items():
            counted[name] = counted.get(name, 0) + value
    assert all(value >= 0 for value in counted.values()), counted
    assert counted.get("orders", 0) == len(orders), counted
    assert counted.get("customers", 0) == len(customers), counted
    assert counted.get("fulfilled_orders", 0) == sum(1 for o in orders if o.get("fulfilled_at")), counted
    assert counted.get("cancelled_orders", 0) == sum(1 for o in orders if o.get("cancelled_at")), counted
    assert counted.get("refunds", 0) == sum(len(o.get("refunds") or {}) for o in orders), counted
