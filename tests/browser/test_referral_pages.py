"""The give-get program in Debian's Chromium, checked by axe-core: the friend's page from a happy reviewer's share
link (in English and, by the browser's language, in French) claims a code through its form and shows it; the
console's referral section, on `make run`'s demo store whose program the seed turned on, saves a setting."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from chalicelib.reviews.tokens import review_token
from localdev.seed import DEMO_FRIEND_CODES
from tests import signers
from tests.browser.conftest import accessibility_violations, screenshot
from tests.browser.test_console import DESKTOP, sign_in
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body

CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
CODES = ("WELCOME-A1", "WELCOME-B2", "WELCOME-C3")


@pytest.fixture(scope="module")
def advocate(live) -> dict[str, Any]:
    """A shop with the program on (through the API) and codes in its friend pool, and a happy reviewer's link."""
    shop = shop_body()
    created = live.request("POST", "/shops", shop, token=ADMIN_TOKEN)
    assert created.status_code == 201, created.text
    shop["api_key"] = created.json()["api_key"]
    items = [
        {
            "product_id": "p-stove",
            "title": "Camp Stove",
            "quantity": 1,
            "price": "60",
            "url": f"https://{shop['domains'][0]}/products/stove",
        }
    ]
    raw = json.dumps(signers.generic_event("order.created", "ref-1", "advocate-1", items=items)).encode()
    headers = signers.standard_headers(shop["webhook_secret"], raw)
    assert live.request("POST", f"/webhooks/generic/{shop['shop_id']}", data=raw, headers=headers).status_code == 200
    review = {
        "token": review_token(shop["shop_id"], "ref-1", ["p-stove"]),
        "product_id": "p-stove",
        "rating": 5,
        "title": "Boils in <3> minutes",
        "body": "Light, quick & quiet.",
    }
    answer = live.request("POST", "/reviews", review)
    assert answer.status_code == 201, answer.text
    shop["code"] = answer.json()["share"]["code"]
    program = {
        "enabled": True,
        "friend_offer": {"type": "amount", "value": "5", "currency": "EUR", "minimum_order": "20"},
        "terms": "One code per new customer <no stacking>.",
    }
    changed = live.request(
        "PATCH", f"/shops/{shop['shop_id']}", {"settings": {"referral": program}}, token=shop["api_key"]
    )
    assert changed.status_code == 200, changed.text
    filled = live.request(
        "POST",
        f"/shops/{shop['shop_id']}/referral/codes/friend",
        data="\n".join(CODES).encode(),
        headers={"Content-Type": "text/plain"},
        token=shop["api_key"],
    )
    assert filled.status_code == 200 and filled.json()["added"] == len(CODES), filled.text
    return shop


def friend(browser: Any, language: str | None = None) -> Any:
    """A friend's phone browser (its pages' own CSP bypassed only so axe-core can be injected)."""
    headers = {"Accept-Language": language} if language else {}
    context = browser.new_context(
        user_agent=CHROME, viewport={"width": 390, "height": 844}, bypass_csp=True, extra_http_headers=headers
    )
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    return page


def test_the_friends_page_is_accessible_claims_a_code_and_shows_it(browser, live, advocate):
    page = friend(browser)
    try:
        response = page.goto(f"{live.url}/s/{advocate['code']}")
        assert response.status == 200
        heading = page.get_by_role("heading", level=1).inner_text()
        assert heading.endswith(f"invites you to {advocate['name']}")
        assert "Boils in <3> minutes" in page.locator(".quote").inner_text()  # the advocate's words, as text
        assert "One code per new customer <no stacking>." in page.locator("main").inner_text()
        assert accessibility_violations(page) == [], "the friend's page"
        screenshot(page, "friend-page-phone")

        page.get_by_label("Your email").fill("friend.one@example.com")
        page.get_by_role("button", name="Get my code").click()
        page.wait_for_load_state()
        code = page.locator("strong.code").inner_text()
        assert code in CODES
        expect(page.get_by_role("link", name="Shop with my code")).to_be_visible()
        assert accessibility_violations(page) == [], "the friend's page with the claimed code"
        screenshot(page, "friend-page-claimed-phone")
        assert page.console_errors == []
    finally:
        page.context.close()
    listing = live.request("GET", f"/shops/{advocate['shop_id']}/referral", token=advocate["api_key"]).json()
    assert listing["claims"] >= 1 and listing["pools"]["friend"]["handed_out"] >= 1


def test_the_friends_page_in_french_by_the_browsers_language(browser, live, advocate):
    page = friend(browser, "fr-FR,fr;q=0.9,en;q=0.5")
    try:
        assert page.goto(f"{live.url}/s/{advocate['code']}").status == 200
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.get_by_role("heading", level=1).inner_text().endswith(f"vous invite chez {advocate['name']}")
        assert accessibility_violations(page) == [], "the friend's page in French"
        page.get_by_label("Votre e-mail").fill("ami.deux@example.com")
        page.get_by_role("button", name="Recevoir mon code").click()
        page.wait_for_load_state()
        assert page.locator("strong.code").inner_text() in CODES
        assert "Votre code" in page.locator("main").inner_text()
        expect(page.get_by_role("link", name="Acheter avec mon code")).to_be_visible()
        assert accessibility_violations(page) == [], "the French friend's page with the claimed code"
        screenshot(page, "friend-page-fr-phone")
    finally:
        page.context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_demo_stores_referral_section_is_accessible(page, live, width):
    key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", live.log()).group(1)
    page.set_viewport_size(DESKTOP if width == "desktop" else {"width": 390, "height": 844})
    sign_in(page, live.url, "demo-store", key, "referral")
    # The seed turned the program on with a few codes: the pool is low, and the section says so
    assert page.get_by_role("heading", name="The program: on").is_visible()
    friend_pool = page.locator("#pool-friend")
    assert friend_pool.locator(".pool-warning").inner_text().startswith(f"Only {len(DEMO_FRIEND_CODES)} codes left")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow
    screenshot(page, f"console-referral-{width}")
    assert accessibility_violations(page) == []
    assert page.console_errors == []


def test_the_referral_section_saves_a_setting_shows_an_error_inline_and_uploads_codes(page, live):
    shop = _console_shop(live)
    sign_in(page, live.url, shop["shop_id"], shop["api_key"], "referral")
    page.get_by_label("Hold (days)").fill("120")
    page.get_by_role("button", name="Save the program").click()
    page.wait_for_load_state()
    assert "less than or equal to 90" in page.locator("#hold_days-error").inner_text()
    assert page.get_by_label("Hold (days)").get_attribute("aria-invalid") == "true"
    assert accessibility_violations(page) == [], "the section with an error beside a field"

    page.get_by_label("Program on").check()
    page.get_by_label("Hold (days)").fill("30")
    page.get_by_label("Reward type").select_option("amount")
    page.get_by_label("Reward's value").fill("7.50")
    page.get_by_label("Reward's currency").fill("eur")
    page.get_by_label("Terms").fill("For new customers.\nOne code each.")
    page.get_by_role("button", name="Save the program").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status")).to_have_text("Saved: the program runs with these settings now.")
    referral = live.request("GET", f"/shops/{shop['shop_id']}", token=shop["api_key"]).json()["settings"]["referral"]
    assert referral["enabled"] is True and referral["hold_days"] == 30
    assert referral["advocate_reward"] == {"type": "amount", "value": "7.50", "currency": "EUR"}
    assert referral["terms"] == "For new customers.\nOne code each."

    # A file of codes through the friend pool's form
    pool = page.locator("#pool-friend")
    pool.get_by_label("A file of codes (CSV or text)").set_input_files(
        files=[{"name": "codes.csv", "mimeType": "text/csv", "buffer": b"code\nPAGE-01\nPAGE-02\nnot ok\n"}]
    )
    pool.get_by_role("button", name="Upload to the friend pool").click()
    page.wait_for_load_state()
    report = page.locator("#pool-friend [role=status]").inner_text()
    assert "2 added, 0 already in a pool, 1 line refused." in report and "The file, line 4" in report
    assert page.locator("#pool-friend dd").first.inner_text() == "2"
    assert accessibility_violations(page) == [], "the section after an upload"
    # The one refused form's page came with its 422, as it should; nothing else went wrong
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def _console_shop(live) -> dict[str, str]:
    from localdev.simulate import start_shop

    return start_shop(live.url, ADMIN_TOKEN, "referral-console", name="Referrals & Co")
