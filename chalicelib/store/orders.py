"""An order's record (SHOP#<shop>/ORDER#<order>): its planned item written whole, its erasure, its waiting request.

The order planner works out the order's facts (its review request's status and due time among them); the index
attributes that put the request on the due index (pattern 5) are derived here, from those facts, as the item is
written. An order's request waits on GSI1 while it is scheduled, and again after it is sent while its reminder is
still to come (or parked after failing): `request_waiting` reads that back.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table

# What a plan did to the order's review request: scheduled it (due at the order's `request_due_at`), or cancelled
# it (nothing more is sent); None leaves the request where it waits.
RequestChange = Literal["scheduled", "cancelled"] | None

# What erasure takes off an order: who placed it, where they landed, the codes they typed, the keyed hash of where
# it shipped, and its request.
PERSONAL = ("email", "name", "landing_url", "codes", "shipping_hash")


def request_waiting(order: Mapping[str, Any]) -> bool:
    """Whether a message of the order's request is still to come: the request itself (scheduled), or, once it
    was sent, its reminder while the order is still on an index for it (due, or parked)."""
    status = order.get("request_status")
    return status == "scheduled" or (status == "sent" and bool(order.get(keys.GSI1PK)))


def planned_put_op(
    table: Table, order: dict[str, Any], previous_version: int, request: RequestChange = None
) -> Operation:
    """The Put of a planned order, guarded by the version it was planned from (0: it must not exist yet).

    A request the plan scheduled goes onto the due index at its due time; a cancelled one leaves the index."""
    item = dict(order)
    if request == "scheduled":
        item.update(keys.due_keys(str(item["shop_id"]), str(item["order_id"]), str(item["request_due_at"])))
    elif request == "cancelled":
        item.pop(keys.GSI1PK, None)
        item.pop(keys.GSI1SK, None)
    if previous_version:
        return table.put_op(item, "#v = :v", names={"#v": "version"}, values={":v": previous_version})
    return table.put_op(item, "attribute_not_exists(PK)")


def needs_erasure(order: Mapping[str, Any]) -> bool:
    """Not erased yet, or holding personal data (or a waiting request) again."""
    return (
        not order.get("redacted")
        or any(field in order for field in (*PERSONAL, keys.GSI1PK))
        or bool((order.get("referral") or {}).get("visitor"))
    )


def erasure_op(table: Table, order: Mapping[str, Any]) -> Operation:
    """Forget who placed the order (as read). Dropping its due-index keys means no request goes out; the version
    moves so a delivery planned from the order as it was (intake's conditional Put) is re-planned. A referral
    through an offer experiment's claim forgets the friend's browser (its unit) too."""
    removed = "email, #n, landing_url, codes, shipping_hash, GSI1PK, GSI1SK"
    condition = "attribute_exists(PK)"
    if (order.get("referral") or {}).get("visitor"):
        removed += ", referral.visitor"
        condition += " AND attribute_exists(referral)"
    return table.update_op(
        keys.order_key(str(order["shop_id"]), str(order["order_id"])),
        f"REMOVE {removed} SET redacted = :t ADD version :one",
        names={"#n": "name"},
        values={":t": True, ":one": 1},
        condition=condition,
    )


def reversed_order(order: dict[str, Any]) -> bool:
    """Cancelled, or refunded in full: nobody is asked about it and no referral stands on it."""
    refunded = sum((Decimal(r["amount"]) for r in order.get("refunds", {}).values()), Decimal(0))
    return bool(order.get("cancelled_at")) or (order.get("known", False) and refunded >= Decimal(order["total"]) > 0)
