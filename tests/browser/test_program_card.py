"""The overview's Referral program card in Debian's Chromium, checked by axe-core: a shop whose program issued a
reward (in USD) and has a referred order still pending (in EUR), so the card shows a ratio and a null beside it,
on a desktop and a phone."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from chalicelib.reviews.tokens import review_token
from tests import signers
from tests.browser.conftest import accessibility_violations, screenshot
from tests.browser.test_console import DESKTOP, PHONE, sign_in
from tests.browser.test_referral_pages import CHROME
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body


def _deliver(live: Any, shop: dict[str, Any], kind: str, order_id: str, customer: str, **data: Any) -> None:
    raw = json.dumps(signers.generic_event(kind, order_id, customer, **data)).encode()
    headers = signers.standard_headers(shop["webhook_secret"], raw)
    answer = live.request("POST", f"/webhooks/generic/{shop['shop_id']}", data=raw, headers=headers)
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def rewarded(live) -> dict[str, Any]:
    """A shop with the program on (no hold), a happy reviewer's link clicked by a friend, the friend's order
    fulfilled and its reward issued by the due work, and a second friend's order in EUR waiting for its fulfilment."""
    shop = shop_body()
    created = live.request("POST", "/shops", shop, token=ADMIN_TOKEN)
    assert created.status_code == 201, created.text
    shop["api_key"] = created.json()["api_key"]
    home = shop["domains"][0]
    items = [{"product_id": "p-tent", "title": "Tent", "quantity": 1, "price": "90", "url": f"https://{home}/t"}]
    _deliver(live, shop, "order.created", "adv-1", "advocate-1", items=items)
    review = {"token": review_token(shop["shop_id"], "adv-1", ["p-tent"]), "product_id": "p-tent", "rating": 5}
    answer = live.request("POST", "/reviews", {**review, "title": "Dry all night", "body": "Pitches in minutes."})
    assert answer.status_code == 201, answer.text
    code = answer.json()["share"]["code"]
    program = {
        "enabled": True,
        "friend_offer": {"type": "percent", "value": "10", "minimum_order": "0"},
        "advocate_reward": {"type": "percent", "value": "10"},
        "hold_days": 0,
    }
    changed = live.request(
        "PATCH", f"/shops/{shop['shop_id']}", {"settings": {"referral": program}}, token=shop["api_key"]
    )
    assert changed.status_code == 200, changed.text
    filled = live.request(
        "POST",
        f"/shops/{shop['shop_id']}/referral/codes/advocate",
        data=b"CARD-ADV-1\nCARD-ADV-2\n",
        headers={"Content-Type": "text/plain"},
        token=shop["api_key"],
    )
    assert filled.status_code == 200, filled.text
    clicked = live.request("GET", f"/s/{code}", headers={"User-Agent": CHROME})
    assert clicked.status_code == 200, clicked.text
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    landing = f"https://{home}/t?ref={code}"
    for order_id, customer, total, currency in (("f-1", "friend-1", "80.00", "USD"), ("f-2", "friend-2", "50", "EUR")):
        moment = {"created_at": now, "timestamp": now, "total": total, "currency": currency}
        _deliver(live, shop, "order.created", order_id, customer, landing_url=landing, **moment)
    _deliver(live, shop, "order.fulfilled", "f-1", "friend-1", total="80.00", created_at=now, timestamp=now)
    assert live.request("POST", "/admin/run-due", token=ADMIN_TOKEN).status_code == 200
    report = live.request("GET", f"/shops/{shop['shop_id']}/report", token=shop["api_key"]).json()
    assert report["funnel"]["rewards_issued"] == 1, report["funnel"]
    assert report["rates"]["referred_revenue_per_reward_value"] == {"EUR": None, "USD": 10.0}
    return shop


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_overview_with_the_program_card_has_no_accessibility_violations(page, live, rewarded, width):
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    sign_in(page, live.url, rewarded["shop_id"], rewarded["api_key"])
    card = page.locator("section", has=page.locator("#program-title"))
    assert card.locator("[data-figure=rewards_issued]").inner_text() == "1"
    assert card.locator("[data-figure=reward_value]").inner_text() == "8 USD"
    ratios = card.locator("[data-figure=referred_revenue_per_reward_value]").inner_text()
    assert ratios == "\N{EN DASH} EUR (no reward value issued), 10.0 USD"
    assert card.get_by_role("link", name="The referral program: settings, code pools and rewards").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow
    screenshot(page, f"console-program-card-{width}")
    assert accessibility_violations(page) == []
    assert page.console_errors == []
