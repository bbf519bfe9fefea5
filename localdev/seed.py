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


# The demo's referral program: turned on once its month is played (the month's clicks were redirects, as a shop
# without the program has them), with a few codes in each pool, so a share link of a happy review opens the
# friend's page and the console's referral section has something to show, and a pool to refill soon.
DEMO_FRIEND_CODES = tuple(f"DEMO-FRIEND-{n:02}" for n in range(1, 9))
DEMO_ADVOCATE_CODES = tuple(f"DEMO-THANKS-{n:02}" for n in range(1, 6))
DEMO_REFERRAL = {
    "enabled": True,
    "friend_offer": {"type": "percent", "value": "15", "minimum_order": "30"},
    "advocate_reward": {"type": "amount", "value": "10", "currency": "USD"},
    "terms": "One code per new customer, for a first order of $30 or more. Not with other offers.",
}


def start_demo_referrals() -> None:
    """The demo shop's referral program on, through the code PATCH /shops/{id} and the pools' upload run."""
    from chalicelib.referrals.pools import add_codes
    from chalicelib.shops import service as shops
    from chalicelib.shops.models import ShopUpdate
    from chalicelib.store.table import get_table

    table = get_table()
    shop = shops.get_shop_or_404(table, DEMO_SHOP_ID)
    shops.update_shop(table, shop, ShopUpdate(settings={"referral": DEMO_REFERRAL}))
    add_codes(table, DEMO_SHOP_ID, "friend", "\n".join(DEMO_FRIEND_CODES))
    add_codes(table, DEMO_SHOP_ID, "advocate", "\n".join(DEMO_ADVOCATE_CODES))
