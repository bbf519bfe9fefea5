"""The demo store `make run` starts with: a shop, then its last month played through the API day by day."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

DEMO_SHOP_ID = "demo-store"
DEMO_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"proofloop-demo-store-secret!").decode()
DEMO_TIMEZONE = "America/Denver"


def create_demo_shop() -> tuple[dict[str, Any], bool]:
    """Create the demo shop, or give the existing one a fresh owner key; (details, created now)."""
    from chalicelib import errors
    from chalicelib.shops import service as shops
    from chalicelib.shops.models import ShopCreate, ShopSettings
    from chalicelib.store.table import get_table

    table = get_table()
    request = ShopCreate(
        shop_id=DEMO_SHOP_ID,
        name="Trail & Summit Outfitters",
        platform="generic",
        domains=["shop.example.com", "www.shop.example.com"],
        webhook_secret=DEMO_WEBHOOK_SECRET,
        settings=ShopSettings(review_delay_days=3, reminder_after_days=4, timezone=DEMO_TIMEZONE),
    )
    try:
        _, api_key = shops.create_shop(table, request)
        created = True
    except errors.Conflict:
        api_key = shops.rotate_api_key(table, shops.get_shop_or_404(table, DEMO_SHOP_ID))
        created = False
    return {"shop_id": DEMO_SHOP_ID, "api_key": api_key, "webhook_secret": DEMO_WEBHOOK_SECRET}, created


def play_demo_month(base_url: str, demo: dict[str, Any]) -> tuple[list[str], dict[str, int]]:
    """The last 30 days of the store, each event through the HTTP API on its own day (localdev.demo_month).

    Runs in the process that serves `base_url`: it runs that process's clock from each event's moment.
    Returns the differences between what was played and the shop's report, and the month in figures.
    """
    from chalicelib.config import get_settings
    from localdev.demo_month import DemoMonth

    settings = get_settings()
    month = DemoMonth(base_url, demo, Path(settings.outbox), settings.admin_token, DEMO_TIMEZONE)
    differences = month.play()
    return differences, month.summary()
