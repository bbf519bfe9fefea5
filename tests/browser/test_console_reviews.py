"""The console's reviews section in Debian's Chromium, on the seeded demo store: filter pending low ratings,
publish them in bulk and find them published (on the page and through the public API), answer one in public;
screenshots at desktop and phone width, checked by axe-core."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest

from chalicelib.reviews.tokens import review_token
from localdev.seed import DEMO_SHOP_ID, DEMO_TIMEZONE, DEMO_WEBHOOK_SECRET
from tests import signers
from tests.browser.conftest import accessibility_violations, screenshot

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MARK = "Console check"  # what the reviews this module adds say, so its filters find them and nothing else


def serious(page: Any) -> list[str]:
    """axe-core's findings of impact serious or critical."""
    return [v for v in accessibility_violations(page) if "(serious)" in v or "(critical)" in v]


def _review(live: Any, rating: int, title: str, product: str, name: str) -> str:
    """One buyer's order on the demo store, signed as its sender signs it, and their review of it."""
    order = f"cr-{uuid.uuid4().hex[:10]}"
    item = {"product_id": product, "title": "Insulated Bottle 750 ml", "quantity": 1, "price": "34.00"}
    raw = json.dumps(signers.generic_event("order.created", order, f"{order}-c", name=name, items=[item])).encode()
    delivered = live.request(
        "POST",
        f"/webhooks/generic/{DEMO_SHOP_ID}",
        data=raw,
        headers=signers.standard_headers(DEMO_WEBHOOK_SECRET, raw),
    )
    assert delivered.status_code == 200, delivered.text
    answer = live.request(
        "POST",
        "/reviews",
        {
            "token": review_token(DEMO_SHOP_ID, order, [product]),
            "product_id": product,
            "rating": rating,
            "title": title,
            "body": f"{title}. Sent back for a replacement.",
        },
    )
    assert answer.status_code == 201 and answer.json()["status"] == "pending", answer.text
    return str(answer.json()["review_id"])


@pytest.fixture(scope="module")
def added(live) -> dict[str, str]:
    """Three unhappy reviews waiting (1 and 2 stars) and a 3-star one, beside the demo month's own."""
    return {
        "strap": _review(live, 1, f"{MARK}: strap snapped", "p-bottle", "Iris Vale"),
        "lid": _review(live, 2, f"{MARK}: lid leaks", "p-bottle", "Jon Quist"),
        "dent": _review(live, 2, f"{MARK}: dented on arrival", "p-bottle", "Kai Dorn"),
        "meh": _review(live, 3, f"{MARK}: just fine", "p-bottle", "Lu Mars"),
    }


@pytest.fixture(scope="module")
def owner(browser, live) -> Iterator[Any]:
    """One signed-in console for the module (bypass_csp lets axe-core in; the page's own CSP is unchanged)."""
    key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", live.log()).group(1)
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.goto(f"{live.url}/shops/{DEMO_SHOP_ID}/dashboard/reviews")
    page.get_by_label("Owner API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/shops/{DEMO_SHOP_ID}/dashboard/reviews")
    yield page
    context.close()


def _filter(page: Any, **fields: str) -> None:
    """Fill the filter form as the owner would, and send it."""
    labels = {"status": "Status", "rating": "Rating", "product": "Product", "q": "Text"}
    for name, value in fields.items():
        field = page.get_by_label(labels[name], exact=True)
        if name in ("status", "rating"):
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_role("button", name="Show reviews").click()
    page.wait_for_load_state()


def _listed(page: Any) -> list[dict[str, str]]:
    """Each review shown: its id, status badge and stars."""
    shown = []
    for article in page.locator("article.review-item").all():
        shown.append(
            {
                "id": article.locator('input[name="ids"]').get_attribute("value"),
                "status": article.locator(".badge").inner_text(),
                "stars": article.locator(".rating .visually-hidden").inner_text(),
                "title": article.locator("h3").inner_text(),
            }
        )
    return shown


def test_filter_pending_low_ratings_then_publish_them_in_bulk(owner, live, added):
    page = owner
    # The demo month's unhappy reviews and ours wait; pending and 1-2 stars shows exactly those
    _filter(page, status="pending", rating="1-2")
    query = parse_qs(urlsplit(page.url).query)
    assert query["status"] == ["pending"] and query["rating"] == ["1-2"]
    low = _listed(page)
    assert {added["strap"], added["lid"], added["dent"]} <= {r["id"] for r in low}
    assert added["meh"] not in {r["id"] for r in low}
    assert all(r["status"] == "pending" and r["stars"] in ("1 of 5 stars", "2 of 5 stars") for r in low), low

    # Narrowed to this module's reviews (text in any case), every one ticked at once, published in one go
    _filter(page, q=MARK.upper())
    ours = _listed(page)
    assert sorted(r["id"] for r in ours) == sorted([added["strap"], added["lid"], added["dent"]])
    page.get_by_label("Tick every review on this page").check()
    assert all(box.is_checked() for box in page.locator('input[name="ids"]').all())
    page.get_by_role("button", name="Publish ticked").click()
    page.wait_for_load_state()
    result = page.locator(".bulk-result")
    assert "Publish: 3 published." in result.inner_text()
    assert all(f"{added[k]}: published" in result.inner_text() for k in ("strap", "lid", "dent"))
    assert _listed(page) == []  # the same filters: nothing of ours pending and low is left
    assert parse_qs(urlsplit(page.url).query)["status"] == ["pending"]

    # Filtered by published: there they are, and the public product page lists them
    _filter(page, status="published")
    published = _listed(page)
    assert sorted(r["id"] for r in published) == sorted([added["strap"], added["lid"], added["dent"]])
    assert {r["status"] for r in published} == {"published"}
    public = live.request("GET", f"/shops/{DEMO_SHOP_ID}/products/p-bottle/reviews?limit=100").json()
    assert {added["strap"], added["lid"], added["dent"]} <= {r["review_id"] for r in public["reviews"]}
    # The 3-star one was never ticked: still waiting, and found by the days it was created (the pending index's
    # key range, on DynamoDB Local), not by days long past
    _filter(page, status="pending", rating="")
    assert [r["id"] for r in _listed(page)] == [added["meh"]]
    today = datetime.now(ZoneInfo(DEMO_TIMEZONE)).date()
    around = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    page.goto(f"{live.url}/shops/{DEMO_SHOP_ID}/dashboard/reviews?status=pending&q=console+check&{urlencode(around)}")
    assert [r["id"] for r in _listed(page)] == [added["meh"]]
    page.goto(f"{live.url}/shops/{DEMO_SHOP_ID}/dashboard/reviews?status=pending&from=2020-01-01&to=2020-01-31")
    assert (
        _listed(page) == []
        and "No review matches these filters" in page.locator("#list-title").locator("..").inner_text()
    )

    page.get_by_role("link", name="Clear filters").click()
    page.wait_for_url(f"**/shops/{DEMO_SHOP_ID}/dashboard/reviews")
    assert page.locator("article.review-item").count() == 25  # a full first page of the demo's reviews
    assert page.get_by_role("link", name="Next page").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert screenshot(page, "console-reviews-desktop").stat().st_size > 10_000
    assert serious(page) == []
    assert page.console_errors == []


def test_reply_in_public_from_the_section_at_phone_width(owner, live, added):
    page = owner
    page.set_viewport_size(PHONE)
    page.goto(f"{live.url}/shops/{DEMO_SHOP_ID}/dashboard/reviews?q=strap+snapped")
    [review] = page.locator("article.review-item").all()

    # An empty reply is the page again, the error beside the field, the filters kept
    review.get_by_role("button", name="Reply").click()
    page.wait_for_load_state()
    [review] = page.locator("article.review-item").all()
    error = review.locator(".field-error")
    assert error.inner_text().endswith("a reply is 1 to 2000 characters")
    assert review.get_by_label("Public reply").get_attribute("aria-invalid") == "true"
    assert page.get_by_role("alert").first.is_visible()
    page.console_errors.clear()  # the refused form's own 422, as Chromium logs a page answered with one

    review.get_by_label("Public reply").fill("Sorry, Iris - a new strap is in the post.")
    review.get_by_role("button", name="Reply").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.inner_text() == "Reply saved; it shows with the review."
    assert "q=strap+snapped" in page.url
    review = page.locator("article.review-item").first
    assert "Sorry, Iris - a new strap is in the post." in review.locator(".public-reply").inner_text()
    public = live.request("GET", f"/shops/{DEMO_SHOP_ID}/products/p-bottle/reviews?limit=100").json()
    answered = next(r for r in public["reviews"] if r["review_id"] == added["strap"])
    assert answered["reply"]["body"] == "Sorry, Iris - a new strap is in the post."

    # The whole section at phone width: nothing wider than the screen, nothing serious for axe
    page.goto(f"{live.url}/shops/{DEMO_SHOP_ID}/dashboard/reviews")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert screenshot(page, "console-reviews-phone").stat().st_size > 10_000
    assert serious(page) == []
    assert page.console_errors == []


def test_a_bad_filter_is_inline_and_the_keyboard_reaches_every_filter(owner, live):
    page = owner
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live.url}/shops/{DEMO_SHOP_ID}/dashboard/reviews?from=2026-11-30&to=2026-11-01&rating=9")
    assert page.locator("#filter-to-error").inner_text().endswith("the end date is before the start date")
    assert "a number of stars" in page.locator("#filter-rating-error").inner_text()
    assert page.locator("article.review-item").count() == 0
    assert serious(page) == []
    page.console_errors.clear()  # the page's own 422
    # Tab from the first filter reaches every one in order (a date's day, month and year are stops of their own),
    # then the button that sends them
    page.get_by_label("Status").focus()
    order: list[str] = []
    for _ in range(16):
        focused = page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")
        if not order or order[-1] != focused:
            order.append(focused)
        if focused == "Show reviews":
            break
        page.keyboard.press("Tab")
    expected = ["filter-status", "filter-rating", "filter-product", "filter-q", "filter-from", "filter-to"]
    assert order == [*expected, "Show reviews"]
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#filter-to-error").count() == 1  # the same filters sent again, still refused inline
