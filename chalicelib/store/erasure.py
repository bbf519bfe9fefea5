"""Erasure's own writes and queries: a shop marked for erasure and done with it (the erasure index, pattern 33),
a review that forgets its author, a customer's data request kept for the owner.

What an erasure does to an order, a customer, a share code, a friend's claim or a referral code is written by that
record's module (`store/orders.py`, `store/customers.py`, `store/codes.py`, `store/claims.py`,
`store/referral_codes.py`: pattern 57)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table

# The attributes every record holds for the table's sake (its keys and index keys), never handed to anyone.
KEY_ATTRIBUTES = frozenset({keys.PK, keys.SK, keys.GSI1PK, keys.GSI1SK, keys.GSI2PK, keys.GSI2SK})


def review_author_op(table: Table, shop_id: str, review_id: str, anonymous: str) -> Operation:
    """The review stays published and counted; only who wrote it is forgotten (`anonymous` in their place)."""
    return table.update_op(
        keys.review_key(shop_id, review_id),
        "SET author = :a",
        values={":a": anonymous},
        condition="attribute_exists(PK)",
    )


def put_data_request(table: Table, item: dict[str, Any]) -> None:
    """Keep a data request the platform sent; ConditionFailed when it was kept already (a repeated delivery)."""
    table.put(item, "attribute_not_exists(PK)")


def mark_shop(table: Table, shop_id: str, now: str) -> None:
    """Put the shop on the erasure index, asked at `now`; ConditionFailed when it was asked before."""
    erasure = keys.shop_erasure_keys(shop_id)
    table.update(
        keys.shop_key(shop_id),
        "SET GSI1PK = :idx, GSI1SK = :sid, redact_requested_at = :now",
        values={":idx": erasure[keys.GSI1PK], ":sid": erasure[keys.GSI1SK], ":now": now},
        condition="attribute_not_exists(redact_requested_at)",
    )


def shop_done(table: Table, shop_id: str, now: str) -> None:
    """Every customer of the shop is erased: it leaves the erasure index, erased at `now`."""
    table.update(keys.shop_key(shop_id), "REMOVE GSI1PK, GSI1SK SET redacted_at = :now", values={":now": now})


def shops_waiting(table: Table, limit: int = 10) -> list[dict[str, Any]]:
    """Shops marked for erasure and not done yet (one page)."""
    return table.query(keys.SHOP_ERASURE_PARTITION, index=keys.GSI1, limit=limit)[0]


def customers_waiting(
    table: Table, limit: int = 50, cursor: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Customers whose erasure left orders to the due work (a page, and where the next starts)."""
    return table.query(keys.CUSTOMER_ERASURE_PARTITION, index=keys.GSI1, limit=limit, cursor=cursor)
