"""The owner's dashboard in a real browser: sign in, read the funnel, change dates, moderate, sign out."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from chalicelib.reviews.tokens import review_token
from localdev.simulate import Simulator, start_shop
from tests.browser.conftest import accessibility_violations, screenshot
from tests.conftest import ADMIN_TOKEN

XSS = '<img src=x onerror="alert(1)">Leaky lid'


@pytest.fixture(scope="module")
def store(live):
    shop = start_shop(live.url, ADMIN_TOKEN, "dash-store", name="Trail & Summit <Outfitters>")
    simulator = Simulator(
        live.url,
        shop["shop_id"],
        shop["webhook_secret"],
        shop["api_key"],
        live.outbox,
        seed=5,
        concurrency=1,
        quiet=True,
    )
    simulator.admin_token = ADMIN_TOKEN
    assert simulator.run(customers=14) == []
    # One unhappy review waits in the queue, with markup in it.
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    order = {
        "order_id": "dash-o",
        "customer_id": "dash-c",
        "email": "dash-c@example.net",
        "name": "Dee Ash",
        "currency": "USD",
        "total": "34.00",
        "created_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "items": [{"product_id": "p-bottle", "title": "Insulated Bottle", "quantity": 1, "price": "34.00"}],
    }
    simulator.deliver("order.created", order, now)
    token = review_token(shop["shop_id"], "dash-o", ["p-bottle"])
    response = live.request(
        "POST", "/reviews", {"token": token, "product_id": "p-bottle", "rating": 2, "title": XSS, "body": XSS}
    )
    assert response.status_code == 201 and response.json()["status"] == "pending"
    return shop


def test_owner_signs_in_reads_moderates_and_signs_out(page, live, store):
    page.goto(f"{live.url}/shops/{store['shop_id']}/dashboard")
    page.get_by_label("Owner API key").fill(store["api_key"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Trail & Summit <Outfitters>"
    bars = page.locator("svg.funnel rect")
    assert bars.count() == 7 and float(bars.first.get_attribute("width")) > 0
    assert page.locator("svg.series polyline").count() == 5
    assert "advocate" in page.locator("#leaders-title + .scroll table").inner_text()
    screenshot(page, "dashboard")

    # Switch the date range: a week back shows a week.
    first = (date.today() - timedelta(days=6)).isoformat()
    page.fill("#from", first)
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert f"from={first}" in page.url
    assert first in page.locator("#funnel-title").inner_text()

    # The pending review shows its markup as text, and publishes.
    waiting = page.locator("article.pending").count()
    queue = page.locator("article.pending", has_text="Leaky lid")
    assert queue.count() == 1 and XSS in queue.inner_text()
    assert page.locator("article.pending img").count() == 0 and page.dialogs == []
    queue.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    assert page.locator("article.pending").count() == waiting - 1
    assert page.locator("article.pending", has_text="Leaky lid").count() == 0
    assert page.console_errors == []

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.get_by_label("Owner API key").is_visible()
    page.goto(f"{live.url}/shops/{store['shop_id']}/dashboard")
    assert page.get_by_label("Owner API key").is_visible()  # the session is gone


def test_wrong_key_is_refused_on_the_page(page, live, store):
    page.goto(f"{live.url}/shops/{store['shop_id']}/dashboard")
    page.get_by_label("Owner API key").fill("plk_not-a-key")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "That key does not open this shop."


def test_demo_store_chart_shows_a_month_of_activity(page, live):
    # make run's demo store, seeded day by day: its dashboard opens on the last 30 days
    key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", live.log()).group(1)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live.url}/shops/demo-store/dashboard")
    page.get_by_label("Owner API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Trail & Summit Outfitters"
    height = float(page.locator("svg.series line.axis").get_attribute("y1"))
    active = {}
    for line in page.locator("svg.series polyline").all():
        points = [tuple(map(float, p.split(","))) for p in line.get_attribute("points").split()]
        assert len(points) == 30
        active[line.get_attribute("stroke")] = sum(1 for _, y in points if y < height)
    # Orders nearly every day; reviews, shares and clicks on many days, not one spike on the last.
    days = sorted(active.values(), reverse=True)
    assert days[0] >= 25 and days[3] >= 10, active
    assert page.locator("article.pending").count() >= 3  # unhappy reviews wait for the owner
    path = screenshot(page, "dashboard-demo-month")
    assert path.stat().st_size > 10_000
    assert accessibility_violations(page) == []
    assert page.console_errors == []
