"""The demo store `make run` starts with."""

from __future__ import annotations

import base64
from typing import Any

DEMO_SHOP_ID = "demo-store"
DEMO_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"proofloop-demo-store-secret!").decode()


def seed_demo_store() -> dict[str, Any]:
    """Create the demo shop (or give it a fresh owner key if it exists) and return how to reach it."""
    from chalicelib import errors, shops
    from chalicelib.config import get_settings
    from chalicelib.models import ShopCreate
    from chalicelib.store.table import get_table

    table = get_table()
    request = ShopCreate(
        shop_id=DEMO_SHOP_ID,
        name="Demo Outdoor Co.",
        platform="generic",
        domains=["shop.example.com", "www.shop.example.com"],
        webhook_secret=DEMO_WEBHOOK_SECRET,
    )
    try:
        _, api_key = shops.create_shop(table, request)
    except errors.Conflict:
        api_key = shops.rotate_api_key(table, shops.get_shop_or_404(table, DEMO_SHOP_ID))
    base = get_settings().base_url
    return {
        "shop_id": DEMO_SHOP_ID,
        "api_key": api_key,
        "webhook_secret": DEMO_WEBHOOK_SECRET,
        "urls": {"shop profile": f"{base}/shops/{DEMO_SHOP_ID}"},
    }
