"""The product review feed's secret URL: what Merchant Center's scheduled fetch reads without the owner key.

The URL carries a token signed for the shop and its current feed key. The console can show it again at any
time (it is derived, not stored); rotating the key gives a new URL and revoking it ends every URL issued.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import replace
from typing import TYPE_CHECKING

from chalicelib import errors, signing
from chalicelib.store import shop_records

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

PURPOSE = "feed"
FEED_FILE = "google-product-reviews.xml"


def feed_url(shop: Shop) -> str | None:
    """The secret URL of the shop's feed, or None while none is issued."""
    from chalicelib.config import get_settings

    if not shop.feed_key:
        return None
    token = signing.sign(PURPOSE, {"s": shop.shop_id, "k": shop.feed_key})
    return f"{get_settings().base_url}/feeds/{token}/{FEED_FILE}"


def shop_for_token(table: Table, token: str) -> Shop:
    """The shop a feed URL's token names, while that URL is the shop's current one (403 otherwise)."""
    payload = signing.verify(PURPOSE, token, error=errors.Forbidden)
    shop_id, key = payload.get("s"), payload.get("k")
    if not isinstance(shop_id, str) or not isinstance(key, str):
        raise errors.Forbidden("invalid feed token", code="invalid_feed")
    shop = shop_records.get_shop(table, shop_id)
    if shop is None or not shop.feed_key or not hmac.compare_digest(shop.feed_key.encode(), key.encode()):
        raise errors.Forbidden("this feed URL was revoked; the console shows the current one", code="revoked_feed")
    return shop


def issue(table: Table, shop: Shop) -> Shop:
    """A new feed key: a new secret URL, and the one issued before stops working."""
    key = secrets.token_urlsafe(18)
    version = shop_records.set_feed_key(table, shop.shop_id, key)
    return replace(shop, feed_key=key, version=version)


def revoke(table: Table, shop: Shop) -> Shop:
    """No secret URL works until a new one is issued (the owner key still reads the feed)."""
    version = shop_records.set_feed_key(table, shop.shop_id, None)
    return replace(shop, feed_key=None, version=version)
