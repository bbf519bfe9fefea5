"""The demo store `make run` starts with: a shop, then a month of activity played through the API."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

DEMO_SHOP_ID = "demo-store"
DEMO_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"proofloop-demo-store-secret!").decode()


def create_demo_shop() -> tuple[dict[str, Any], bool]:
    """Create the demo shop, or give the existing one a fresh owner key; (details, created now)."""
    from chalicelib import errors, shops
    from chalicelib.models import ShopCreate
    from chalicelib.store.table import get_table

    table = get_table()
    request = ShopCreate(
        shop_id=DEMO_SHOP_ID,
        name="Trail & Summit Outfitters",
        platform="generic",
        domains=["shop.example.com", "www.shop.example.com"],
        webhook_secret=DEMO_WEBHOOK_SECRET,
    )
    try:
        _, api_key = shops.create_shop(table, request)
        created = True
    except errors.Conflict:
        api_key = shops.rotate_api_key(table, shops.get_shop_or_404(table, DEMO_SHOP_ID))
        created = False
    return {"shop_id": DEMO_SHOP_ID, "api_key": api_key, "webhook_secret": DEMO_WEBHOOK_SECRET}, created


def play_demo_activity(base_url: str, demo: dict[str, Any], customers: int = 36) -> list[str]:
    """Orders, reviews, shares, clicks and referred orders through the real HTTP API (the simulator)."""
    from chalicelib.config import get_settings
    from localdev.simulate import Simulator

    settings = get_settings()
    simulator = Simulator(
        base_url,
        demo["shop_id"],
        demo["webhook_secret"],
        demo["api_key"],
        Path(settings.outbox),
        seed=2026,
        concurrency=1,
        quiet=True,
    )
    simulator.admin_token = settings.admin_token
    return simulator.run(customers)
