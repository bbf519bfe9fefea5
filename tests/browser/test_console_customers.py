"""The console's customers section in Debian's Chromium, on the seeded server: a buyer's journey played through
the real HTTP API (order, fulfilment, emailed request, review, share, friends' clicks, a friend's order through
the link, refunds), then found by the owner's search and read on their page, at desktop and phone width."""

from __future__ import annotations

import email
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from localdev.live import LiveServer
from localdev.simulate import start_shop
from tests import signers
from tests.browser.conftest import accessibility_violations, screenshot
from tests.browser.test_console import DESKTOP, PHONE, serious, sign_in
from tests.browser.test_review_pages import XSS
from tests.conftest import ADMIN_TOKEN

SHOP_ID = "customers-store"
ANA = {"customer_id": "c-9001", "name": "Ana María López", "email": "Ana.Lopez@customers-store.example.net"}
FRIEND = {"customer_id": "c-9002", "name": "Jonas Friendly", "email": "jonas@friends.example.org"}
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile Safari"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """The shop's storefront, its buyers and their friends, talking to the live server as they would."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.shop = start_shop(live.url, ADMIN_TOKEN, SHOP_ID, name="Customers & Co")
        self.home = f"{SHOP_ID}.example.com"

    def deliver(self, kind: str, order_id: str, who: dict[str, str], **data: Any) -> None:
        body = signers.generic_event(kind, order_id, who["customer_id"], email=who["email"], name=who["name"], **data)
        raw = json.dumps(body).encode()
        response = self.live.request(
            "POST",
            f"/webhooks/generic/{SHOP_ID}",
            data=raw,
            headers=signers.standard_headers(self.shop["webhook_secret"], raw),
        )
        assert response.status_code == 200, response.text

    def run_due(self) -> dict[str, Any]:
        answer = self.live.request("POST", "/admin/run-due", token=ADMIN_TOKEN)
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["ran"])

    def review_token(self, to: str) -> str:
        for path in self.live.outbox.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes())
            if message["To"] == to:
                text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
                return re.search(r"/r/(\S+)", text.get_payload(decode=True).decode()).group(1)
        raise AssertionError(f"no review request to {to} in the outbox")

    def journey(self) -> str:
        """Ana's journey; returns her share code."""
        now = datetime.now(UTC)
        mug = [
            {
                "product_id": "p-mug",
                "title": "Trail Mug <enamel>",
                "quantity": 1,
                "price": "29.50",
                "url": f"https://{self.home}/products/trail-mug",
            }
        ]
        ordered = now - timedelta(days=10)
        self.deliver(
            "order.created", "o-9001", ANA, items=mug, total="29.50", created_at=_iso(ordered), timestamp=_iso(ordered)
        )
        fulfilled = _iso(now - timedelta(days=9))
        self.deliver("order.fulfilled", "o-9001", ANA, items=mug, total="29.50", timestamp=fulfilled)
        assert self.run_due()["review_emails"] >= 1  # due 7 days after the fulfilment: two days ago
        review = {
            "token": self.review_token(ANA["email"]),
            "product_id": "p-mug",
            "rating": 5,
            "title": XSS,
            "body": "Keeps coffee hot on the trail.",
        }
        answer = self.live.request("POST", "/reviews", review)
        assert answer.status_code == 201, answer.text
        code = answer.json()["share"]["code"]
        shared = self.live.request(
            "GET", f"/share/{code}/whatsapp", headers={"User-Agent": BROWSER, "X-Forwarded-For": "203.0.113.77"}
        )
        assert shared.status_code == 302
        for ip in ("198.51.100.71", "198.51.100.72"):
            clicked = self.live.request(
                "GET", f"/s/{code}?via=whatsapp", headers={"User-Agent": BROWSER, "X-Forwarded-For": ip}
            )
            assert clicked.status_code == 302
        landing = f"https://{self.home}/products/trail-mug?ref={code}"
        friend = {"items": mug, "total": "59.00", "landing_url": landing}
        moment = _iso(datetime.now(UTC))
        self.deliver("order.created", "o-9002", FRIEND, created_at=moment, timestamp=moment, **friend)
        assert self.run_due()["click_rollup"] >= 1
        refunds = {"amount": "5.00", "refund_id": "r-1", "timestamp": _iso(datetime.now(UTC))}
        self.deliver("order.refunded", "o-9001", ANA, items=mug, total="29.50", **refunds)
        refunds = {"amount": "59.00", "refund_id": "r-2", "timestamp": _iso(datetime.now(UTC) + timedelta(seconds=1))}
        self.deliver("order.refunded", "o-9002", FRIEND, **refunds, **friend)
        return str(code)


@pytest.fixture(scope="module")
def store(live) -> Store:
    walked = Store(live)
    walked.journey()
    return walked


@pytest.fixture(scope="module")
def owner(browser, live, store) -> Iterator[Any]:
    """One signed-in owner for the module: a page of its own, kept across the tests."""
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    sign_in(page, live.url, SHOP_ID, store.shop["api_key"], "customers")
    yield page
    context.close()


def kinds(page: Any) -> list[str]:
    return page.locator("ol.timeline > li").evaluate_all("items => items.map(i => i.dataset.kind)")


def test_the_owner_finds_the_customer_by_name_or_email(owner, live):
    page = owner
    page.set_viewport_size(DESKTOP)
    assert page.get_by_role("heading", name="Top advocates").is_visible()
    assert page.get_by_role("link", name="Ana María López").is_visible()  # the starting list
    search = page.get_by_role("searchbox", name="Name or email")
    search.fill("ANA.LOPEZ@customers-store.EXAMPLE.net")
    search.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="1 customer found").is_visible()
    search = page.get_by_role("searchbox", name="Name or email")
    search.fill("maria lopez")  # two words, no accents typed
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    row = page.locator("table.customer-list tbody tr")
    assert row.count() == 1
    cells = row.first.locator("td").all_inner_texts()
    assert cells[0] == "influencer" and cells[2:] == ["1", "1", "1", "2", "0"], cells  # orders...referred
    assert serious(page) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert screenshot(page, "console-customers-desktop").stat().st_size > 5_000
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert screenshot(page, "console-customers-phone").stat().st_size > 5_000
    assert accessibility_violations(page) == []  # nothing at all, serious or not

    # Bad input is an error beside the field, the page still works
    search = page.get_by_role("searchbox", name="Name or email")
    search.fill("ana@")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert "not a whole email address" in page.locator("#q-error").inner_text()
    assert page.get_by_role("searchbox", name="Name or email").get_attribute("aria-invalid") == "true"
    assert serious(page) == []
    page.console_errors.clear()  # Chromium logs the page answered 422 as an error of its own


def test_the_customers_page_shows_the_journey_and_the_score_by_action(owner, live, store):
    page = owner
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live.url}/shops/{SHOP_ID}/dashboard/customers?q=lopez")
    page.get_by_role("link", name="Ana María López").click()
    page.wait_for_url(f"**/dashboard/customers/{ANA['customer_id']}")
    assert page.get_by_role("heading", level=2, name="Ana María López").is_visible()
    steps = kinds(page)
    for step in ("order", "fulfilled", "request", "review", "code", "share", "clicks", "referred", "refund"):
        assert step in steps, (step, steps)
    timed = [s for s in steps if s in ("order", "fulfilled", "request", "review", "referred", "referral_reversed")]
    assert timed == ["order", "fulfilled", "request", "review", "referred", "referral_reversed"], steps
    timeline = page.locator("ol.timeline").inner_text()
    assert "Shared on WhatsApp" in timeline and "2 friends clicked their link" in timeline
    assert "A new customer ordered through their link" in timeline and "Jonas" not in page.content()
    assert "Referral credit reversed" in timeline and "Refund of 5.00 USD on order o-9001" in timeline
    assert "during the day" in timeline  # shares and clicks are kept per day
    assert "Reviewed Trail Mug <enamel>: 5 of 5 stars" in timeline  # text, escaped
    assert page.locator("ol.timeline img, ol.timeline script").count() == 0

    # The score by action: each kind of action with its points, adding up to the score shown
    rows = page.locator("table.breakdown tbody tr")
    actions = rows.evaluate_all("rows => rows.map(r => r.dataset.action)")
    assert set(actions) >= {"review", "happy_review", "share", "click", "referred_order", "reversal"}, actions
    points = [float(p) for p in page.locator("table.breakdown tbody td.points").all_inner_texts()]
    score = float(page.locator("#customer-score").inner_text())
    assert sum(points) == pytest.approx(score, abs=0.006)
    assert float(page.locator("#points-total").inner_text()) == pytest.approx(score, abs=0.001)
    leaderboard = live.request("GET", f"/shops/{SHOP_ID}/advocates", token=store.shop["api_key"]).json()
    assert next(a for a in leaderboard["advocates"] if a["customer"] == ANA["customer_id"])["score"] == pytest.approx(
        score, abs=0.011
    )

    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert screenshot(page, "console-customer-desktop").stat().st_size > 5_000
    assert serious(page) == []
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert screenshot(page, "console-customer-phone").stat().st_size > 5_000
    assert serious(page) == []
    assert accessibility_violations(page) == []  # nothing at all, serious or not
    assert page.console_errors == []


def test_another_shops_customer_is_the_404_page(owner, live):
    demo_key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", live.log()).group(1)
    theirs = live.request("GET", "/shops/demo-store/advocates", token=demo_key).json()["advocates"][0]["customer"]
    answer = owner.goto(f"{live.url}/shops/{SHOP_ID}/dashboard/customers/{theirs}")
    assert answer.status == 404 and "no such customer" in owner.content()
    assert serious(owner) == []
    owner.console_errors.clear()  # Chromium logs the 404 itself
