"""Products whose stars the store's own data should show again (pattern 66): one marker per product.

A review published, rejected or imported changes its product's published-review aggregate (PRODSTATS, pattern 15);
for a Shopify shop the same transaction Puts the product's marker, due now. A marker is one item per product, so a
burst of reviews is one marker, and marking again only moves it (and gives it a fresh `mark`). The due work reads
the markers due, tells the store, and deletes each marker only if its `mark` is still the one it read: a change
meanwhile leaves it due, and the store is told again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed, serialize

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table

DUE_TYPE = "ratings_due"
PLATFORMS = ("shopify",)  # the platforms whose product data keeps the stars (Shopify's reviews.rating metafields)


@dataclass(frozen=True)
class DueProduct:
    shop_id: str
    product_id: str
    mark: str
    item: dict[str, Any]


def wanted(platform: str) -> bool:
    """Whether a shop of this platform keeps markers at all (no read: the shop's platform is at hand)."""
    return platform in PLATFORMS


def _item(shop_id: str, product_id: str, due_at: str) -> dict[str, Any]:
    return {
        **keys.ratings_due_key(shop_id, product_id),
        **keys.ratings_due_keys(due_at, shop_id, product_id),
        "type": DUE_TYPE,
        "shop_id": shop_id,
        "product_id": product_id,
        "mark": secrets.token_hex(8),
    }


def mark_op(table: Table, shop_id: str, product_id: str, due_at: str) -> Operation:
    """The product's marker, due at `due_at` (a new one, or the one there moved with a fresh run of attempts)."""
    return table.put_op(_item(shop_id, product_id, due_at))


def mark_many(table: Table, shop_id: str, product_ids: set[str], due_at: str) -> None:
    """Markers for several products at once (an import's), in batches."""
    table.put_many([_item(shop_id, p, due_at) for p in sorted(product_ids)])


def mark_every_product(table: Table, shop_id: str, due_at: str) -> int:
    """Every product with a published-review aggregate marked (a new connection's first sync); how many."""
    products = {
        str(i["product_id"])
        for i in table.query_all(keys.shop_partition(shop_id), sk_prefix=keys.PRODUCT_STATS_PREFIX)
        if "product_id" in i
    }
    if products:
        mark_many(table, shop_id, products, due_at)
    return len(products)


def due(table: Table, now: str, limit: int) -> list[DueProduct]:
    """Markers whose time has come, oldest first."""
    items, _ = table.query(
        keys.RATINGS_DUE_PARTITION, index=keys.GSI1, sk_between=("0", keys.ratings_due_until(now)), limit=limit
    )
    return [
        DueProduct(str(i["shop_id"]), str(i["product_id"]), str(i.get("mark") or ""), i)
        for i in items
        if i.get("type") == DUE_TYPE
    ]


def done(table: Table, marker: DueProduct) -> bool:
    """The marker's work is done: delete it if it is still the one read; False when it was marked again since."""
    op = table.delete_op(keys.ratings_due_key(marker.shop_id, marker.product_id), "#m = :m")
    op["Delete"]["ExpressionAttributeNames"] = {"#m": "mark"}
    op["Delete"]["ExpressionAttributeValues"] = serialize({":m": marker.mark})
    try:
        table.apply(op)
    except ConditionFailed:
        return False
    return True


def stats(table: Table, shop_id: str, product_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The products' published-review aggregates (pattern 15), read consistently; a product without one is absent."""
    found = table.get_many([keys.product_stats_key(shop_id, p) for p in product_ids], consistent=True)
    return {str(i["product_id"]): i for i in found if "product_id" in i}


def marker_key(marker: DueProduct) -> dict[str, str]:
    return keys.ratings_due_key(marker.shop_id, marker.product_id)


def unchanged(marker: DueProduct) -> dict[str, Any]:
    """The condition of a put-off or a park: the marker is still the one read (not marked again since)."""
    return {"mark": marker.mark}


def due_keys(due_at: str, marker: DueProduct) -> dict[str, str]:
    return keys.ratings_due_keys(due_at, marker.shop_id, marker.product_id)
