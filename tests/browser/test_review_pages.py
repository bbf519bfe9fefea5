"""The review form in a real browser: open the emailed link, rate, write, submit, see thanks."""

from __future__ import annotations

import email
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests import signers
from tests.browser.conftest import accessibility_violations, screenshot
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body

XSS = '<img src=x onerror="alert(\'xss\')"><script>alert("xss")</script>'


@pytest.fixture
def review_link(live):
    shop = shop_body(settings={"review_delay_days": 0})
    assert live.request("POST", "/shops", shop, token=ADMIN_TOKEN).status_code == 201
    buyer = f"buyer-{shop['shop_id']}"
    items = [
        {"product_id": "p-pack", "title": "Alpine Pack <28L>", "quantity": 1, "price": "129"},
        {"product_id": "p-sock", "title": "Merino Socks", "quantity": 2, "price": "15"},
    ]
    when = (datetime.now(timezone.utc) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for kind in ("order.created", "order.fulfilled"):
        raw = json.dumps(signers.generic_event(kind, "b-1", buyer, items=items, timestamp=when)).encode()
        response = live.request(
            "POST",
            f"/webhooks/generic/{shop['shop_id']}",
            data=raw,
            headers=signers.standard_headers(shop["webhook_secret"], raw),
        )
        assert response.status_code == 200
    assert live.request("POST", "/admin/run-due", token=ADMIN_TOKEN).status_code == 200
    for path in live.outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes())
        if message["To"] == f"{buyer}@example.com":
            text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            return re.search(r"(http://\S+/r/\S+)", text.get_payload(decode=True).decode()).group(1)
    raise AssertionError("no review email in the outbox")


def test_buyer_reviews_from_the_emailed_link(page, review_link):
    page.goto(review_link)
    assert page.locator("h2").all_inner_texts() == ["Alpine Pack <28L>", "Merino Socks"]
    first = page.locator("form").first
    first.locator("label[title='5 stars out of 5']").click()
    first.get_by_label("Title").fill("Carried it up Mount Elbert")
    first.get_by_label("Your review").fill("Comfortable with 10 kg, and the hip belt pockets fit a phone.")
    screenshot(page, "review-form")
    assert accessibility_violations(page) == [], "the review form"
    first.get_by_role("button", name="Send review").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you for your review!"
    assert "Carried it up Mount Elbert" in page.content()
    assert page.console_errors == []
    screenshot(page, "review-thanks")
    assert accessibility_violations(page) == [], "the thank-you page"
    page.get_by_role("link", name="Review your other items").click()
    # The thank-you page has a section of its own (the share offer): wait for the form's page to show
    expect(page.locator("section").first).to_contain_text("you reviewed this", use_inner_text=True)


def test_rating_is_required_without_javascript_help(page, review_link):
    page.goto(review_link)
    form = page.locator("form").first
    form.get_by_label("Your review").fill("No stars chosen")
    form.get_by_role("button", name="Send review").click()
    assert page.url == review_link  # the browser's own validation kept the form from being sent


def test_review_text_never_runs_as_code(page, review_link):
    page.goto(review_link)
    form = page.locator("form").nth(1)
    form.locator("label[title='4 stars out of 5']").click()
    form.get_by_label("Title").fill(XSS)
    form.get_by_label("Your review").fill(XSS)
    form.get_by_role("button", name="Send review").click()
    page.wait_for_load_state()
    assert page.dialogs == []
    assert XSS in page.locator("blockquote").inner_text()
    assert page.locator("blockquote img").count() == 0 and page.locator("blockquote script").count() == 0


def test_an_altered_link_shows_a_clear_error_page(page, review_link):
    response = page.goto(review_link[:-3] + "AAA")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "This link is not valid"


def test_not_arrived_yet_asks_before_it_postpones(page, review_link):
    # The emailed "Not arrived yet?" link: opening it (as a mail scanner would) only shows a button
    page.goto(review_link + "/later")
    assert page.get_by_role("heading", level=1).inner_text() == "Has your order not arrived yet?"
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Ask me in 7 days").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "We will ask again later"
    assert "will ask about your order again on" in page.get_by_role("status").inner_text()
    assert accessibility_violations(page) == []
    screenshot(page, "postpone-done")
    # Sent again (a reload, a second tap): still once
    page.goto(review_link + "/later")
    assert "You asked us to wait already" in page.locator("p.lead").inner_text()
    assert page.console_errors == []
