"""The pages around sharing and email, in a real browser: share buttons, copy link, preview, unsubscribe."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from chalicelib.reviews.tokens import review_token, unsubscribe_token
from tests import signers
from tests.browser.conftest import accessibility_violations, screenshot
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body

CRAWLER = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"


@pytest.fixture(scope="module")
def happy(live):
    shop = shop_body()
    assert live.request("POST", "/shops", shop, token=ADMIN_TOKEN).status_code == 201
    items = [
        {
            "product_id": "p-lamp",
            "title": "Camp Lantern",
            "quantity": 1,
            "price": "42",
            "url": f"https://{shop['domains'][0]}/products/lantern",
            "image_url": "https://cdn.example.com/l.jpg",
        }
    ]
    for order_id in ("s-1", "s-2"):
        raw = json.dumps(signers.generic_event("order.created", order_id, "sharer-1", items=items)).encode()
        live.request(
            "POST",
            f"/webhooks/generic/{shop['shop_id']}",
            data=raw,
            headers=signers.standard_headers(shop["webhook_secret"], raw),
        )
    first = live.request(
        "POST",
        "/reviews",
        {
            "token": review_token(shop["shop_id"], "s-1", ["p-lamp"]),
            "product_id": "p-lamp",
            "rating": 5,
            "title": "Bright",
            "body": "Lights the whole tent.",
        },
    )
    shop["code"] = first.json()["share"]["code"]
    return shop


def test_thank_you_page_offers_share_buttons_and_the_copy_page_copies(page, live, happy):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    page.goto(f"{live.url}/r/{review_token(happy['shop_id'], 's-2', ['p-lamp'])}")
    form = page.locator("form").first
    form.locator("label[title='5 stars out of 5']").click()
    form.get_by_label("Your review").fill("Bright & light <b>really</b>.")
    form.get_by_role("button", name="Send review").click()
    page.wait_for_load_state()
    buttons = page.locator(".channels a")
    assert buttons.count() == 8 and "WhatsApp" in buttons.all_inner_texts()
    assert page.console_errors == []
    assert accessibility_violations(page) == [], "the thank-you page with its share offer"
    page.get_by_role("link", name="Copy link").click()
    page.wait_for_load_state()
    assert accessibility_violations(page) == [], "the copy-link page"
    link = page.get_by_label("Link").input_value()
    assert "/s/pl-" in link and link.endswith("?via=copy")
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status")).to_have_text("Copied.")  # the clipboard answers asynchronously
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert page.console_errors == []


def test_link_preview_page_shows_the_review_to_a_crawler(browser, live, happy):
    context = browser.new_context(user_agent=CRAWLER, bypass_csp=True)  # bypass: axe is injected below
    page = context.new_page()
    response = page.goto(f"{live.url}/s/{happy['code']}")
    assert response.status == 200
    assert "rated Camp Lantern" in page.get_by_role("heading", level=1).inner_text()
    assert page.locator('meta[property="og:description"]').get_attribute("content").startswith("Bright")
    assert accessibility_violations(page) == [], "the share link's preview page"
    # The picture it names is the review's own card (not the product's), there from the first scrape
    image = page.locator('meta[property="og:image"]').get_attribute("content")
    assert image.startswith(f"{live.url}/s/{happy['code']}/card/") and image.endswith(".png")
    card = context.request.get(image)  # as the crawler fetches it, its redirect followed
    assert card.ok and card.headers["content-type"] == "image/png" and card.body()[:8] == b"\x89PNG\r\n\x1a\n"
    context.close()


def test_unsubscribe_page_confirms_without_javascript(browser, live, happy):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live.url}/u/{unsubscribe_token(happy['shop_id'], 'sharer-1')}")
    assert "Stop review emails" in page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "You are unsubscribed"
    context.close()


def test_the_unsubscribe_pages_pass_the_accessibility_check(page, live, happy):
    page.goto(f"{live.url}/u/{unsubscribe_token(happy['shop_id'], 'sharer-2')}")
    assert accessibility_violations(page) == [], "the unsubscribe page"
    screenshot(page, "unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "You are unsubscribed"
    assert accessibility_violations(page) == [], "the unsubscribed page"
