"""Product events: each product's newest title, page, picture and identifiers (SKU, GTIN, MPN, brand), the
links kept to the shop's own domains."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.clock import iso
from chalicelib.store import keys, products
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table
    from chalicelib.webhooks.events import ProductEvent


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
        # What Google's product review feed identifies the product by (chalicelib/feeds/google.py).
        "skus": event.skus,
        "gtins": event.gtins,
        "mpns": event.mpns,
        "brand": event.brand,
    }
    try:
        products.put_if_newer(table, item)
    except ConditionFailed:
        return "stale"
    return "applied"
