"""A product's record (SHOP#<shop>/PRODUCT#<product>): its page, picture and identifiers as the platform last
described them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.store.table import Table


def put_if_newer(table: Table, product: dict[str, Any]) -> None:
    """Store the product as described at its `updated_at`, unless a description as new or newer is stored;
    ConditionFailed then (a stale or repeated event)."""
    table.put(product, "attribute_not_exists(PK) OR updated_at < :u", values={":u": product["updated_at"]})
