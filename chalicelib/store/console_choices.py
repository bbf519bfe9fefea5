"""What the owner's console offers to choose from, a bounded page of each (pattern 49), and the hourly cap on
the test emails it sends (pattern 48)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.table import Table

ORDERS_OFFERED = 20
SAMPLE_PRODUCTS = 3
REVIEWED_PRODUCTS_OFFERED = 50


def some_orders(table: Table, shop_id: str, limit: int = ORDERS_OFFERED) -> list[dict[str, Any]]:
    """A page of the shop's orders, highest ids first (the newest, where the platform numbers them upward)."""
    items, _ = table.query(keys.shop_partition(shop_id), sk_prefix=keys.ORDER_PREFIX, limit=limit, newest_first=True)
    return items


def one_order(table: Table, shop_id: str, order_id: str) -> dict[str, Any] | None:
    return table.get(keys.order_key(shop_id, order_id))


def some_products(table: Table, shop_id: str, limit: int = SAMPLE_PRODUCTS) -> list[dict[str, Any]]:
    """A few of the shop's product pages (titles the product webhooks or order items gave)."""
    items, _ = table.query(keys.shop_partition(shop_id), sk_prefix=keys.PRODUCT_PREFIX, limit=limit)
    return items


def reviewed_products(
    table: Table, shop_id: str, limit: int = REVIEWED_PRODUCTS_OFFERED
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """A page of the shop's products with at least one published review: (rating aggregate item, product page
    item or None), in product id order."""
    stats, _ = table.query(keys.shop_partition(shop_id), sk_prefix=keys.PRODUCT_STATS_PREFIX, limit=limit)
    reviewed = [s for s in stats if int(s.get("review_count", 0)) > 0 and s.get("product_id")]
    if not reviewed:
        return []
    pages = table.get_many([keys.product_key(shop_id, str(s["product_id"])) for s in reviewed])
    by_id = {str(p.get("product_id")): p for p in pages}
    return [(s, by_id.get(str(s["product_id"]))) for s in reviewed]


def count_trial_mail(table: Table, shop_id: str, hour: str, cap: int, expires_at: int) -> bool:
    """Count one test email in the shop's hour; False, counting nothing, once `cap` were sent in it."""
    try:
        table.update(
            keys.trial_mail_key(shop_id, hour),
            "ADD sent :one SET #ttl = if_not_exists(#ttl, :ttl)",
            names={"#ttl": keys.TTL_ATTRIBUTE},
            values={":one": 1, ":ttl": expires_at, ":cap": cap},
            condition="attribute_not_exists(sent) OR sent < :cap",
        )
    except ConditionFailed:
        return False
    return True
