"""A French buyer's pages in a real browser: the emailed link opens a French form that says it is French."""

from __future__ import annotations

import email
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests import signers
from tests.browser.conftest import accessibility_violations, screenshot
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body


@pytest.fixture
def french_review_link(live):
    # An English-speaking shop; the buyer checked out in French
    shop = shop_body(settings={"review_delay_days": 0})
    assert live.request("POST", "/shops", shop, token=ADMIN_TOKEN).status_code == 201
    buyer = f"acheteuse-{shop['shop_id']}"
    items = [{"product_id": "p-bol", "title": "Bol en grès", "quantity": 1, "price": "24"}]
    when = (datetime.now(timezone.utc) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for kind in ("order.created", "order.fulfilled"):
        event = signers.generic_event(kind, "fr-1", buyer, items=items, timestamp=when, name="Camille Martin")
        event["data"]["locale"] = "fr-FR"
        raw = json.dumps(event).encode()
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
            assert message["Content-Language"] == "fr"
            text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            return re.search(r"(http://\S+/r/\S+)", text.get_payload(decode=True).decode()).group(1)
    raise AssertionError("no review email in the outbox")


def test_a_french_buyer_reviews_on_a_french_form(page, french_review_link):
    # When the buyer opens the emailed link
    response = page.goto(french_review_link)
    # Then the page is French, says so, and is accessible
    assert response.headers["content-language"] == "fr"
    assert page.locator("html").get_attribute("lang") == "fr"
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Qu'en avez-vous pensé, Camille\u00a0?"
    )  # French spacing: no break
    form = page.locator("form").first
    assert form.get_by_role("group", name="Votre note (obligatoire)").is_visible()
    assert accessibility_violations(page) == []
    screenshot(page, "review-form-fr")
    # And a review is sent in French, and thanked for in French
    form.locator("label[title='5 étoiles sur 5']").click()
    form.get_by_label("Titre").fill("Très joli bol")
    form.get_by_label("Votre avis").fill("Solide, et la couleur est encore plus belle en vrai.")
    form.get_by_role("button", name="Envoyer mon avis").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Merci pour votre avis\u00a0!"
    assert page.get_by_role("heading", name="Partagez votre avis avec vos amis").is_visible()
    assert accessibility_violations(page) == []
    assert page.console_errors == []
