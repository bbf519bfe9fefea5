"""The owner's console in Debian's Chromium: first run on an empty instance, connect, settings, charts; every
section screenshotted at desktop and phone width and checked by axe-core."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from localdev.live import LiveServer
from localdev.simulate import start_shop
from tests import signers
from tests.browser.conftest import accessibility_violations, screenshot
from tests.conftest import ADMIN_TOKEN

SECTIONS = ("overview", "connect", "settings", "feed")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def serious(page: Any) -> list[str]:
    """axe-core's findings of impact serious or critical."""
    return [v for v in accessibility_violations(page) if "(serious)" in v or "(critical)" in v]


def sign_in(page: Any, url: str, shop_id: str, key: str, section: str = "overview") -> None:
    page.goto(f"{url}/shops/{shop_id}/dashboard/{section}")
    page.get_by_label("Owner API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/shops/{shop_id}/dashboard/{section}")  # signed in, on to the section asked for


def demo_console(browser: Any, live: LiveServer, section: str) -> Iterator[Any]:
    """The demo store's owner signed in on one section, in a browser that enforces every CSP (no bypass)."""
    key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", live.log()).group(1)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    sign_in(page, live.url, "demo-store", key, section)
    yield page
    context.close()


@pytest.fixture(scope="module")
def empty() -> Iterator[LiveServer]:
    server = LiveServer(None, seed=False)  # a fresh instance: no shop at all
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shop(live) -> dict[str, str]:
    return start_shop(live.url, ADMIN_TOKEN, "console-store", name="Console & Co")


def test_first_run_from_an_empty_instance_to_a_signed_in_console(page, empty):
    page.goto(f"{empty.url}/setup")
    assert page.get_by_role("heading", level=1).inner_text() == "Set up proofloop"
    assert serious(page) == []
    screenshot(page, "console-setup-phone")

    # A wrong token is an error beside its field, the rest kept
    page.get_by_label("Admin token").fill("not-the-token")
    page.get_by_label("Shop name").fill("Peak & Pine")
    page.get_by_label("Shop id").fill("peak-pine")
    page.get_by_label("WooCommerce").check()
    page.get_by_label("Storefront domains").fill("peak-pine.example.com")
    page.get_by_label("Time zone").fill("Europe/Madrid")
    page.get_by_role("button", name="Create the shop").click()
    page.wait_for_load_state()
    assert "admin token is not valid" in page.locator("#admin_token-error").inner_text()
    assert page.get_by_label("Shop name").input_value() == "Peak & Pine"
    assert serious(page) == []
    page.console_errors.clear()  # the refused form's own 401, as Chromium logs a page answered with one

    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Create the shop").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Peak & Pine is ready"
    key = page.locator("#owner-key").input_value()
    assert key.startswith("plk_")
    assert page.get_by_role("button", name="Copy key").is_visible()
    assert serious(page) == []
    screenshot(page, "console-setup-done-phone")

    # Signed in: the console opens without the key, and the key works on the API
    page.get_by_role("link", name="Connect your store").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Peak & Pine"
    assert page.locator("#webhook-url").input_value() == f"{empty.url}/webhooks/woocommerce/peak-pine"
    profile = requests.get(f"{empty.url}/shops/peak-pine", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert profile.json()["settings"]["timezone"] == "Europe/Madrid"

    # And the set-up page is closed
    page.goto(f"{empty.url}/setup")
    assert page.get_by_label("Admin token").count() == 0
    assert page.console_errors == []


def test_connect_shows_the_url_and_turns_connected_after_a_signed_delivery(page, live, shop):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live.url, shop["shop_id"], shop["api_key"], "connect")
    assert page.locator("#webhook-url").input_value() == f"{live.url}/webhooks/generic/console-store"
    assert page.locator("#status-title").inner_text() == "Not connected yet"
    assert "order.created" in page.locator(".topics").inner_text()

    body = json.dumps(signers.generic_event("order.created", "console-o-1")).encode()
    delivered = requests.post(
        f"{live.url}/webhooks/generic/console-store",
        data=body,
        headers=signers.standard_headers(shop["webhook_secret"], body),
        timeout=10,
    )
    assert delivered.status_code == 200, delivered.text
    bad = requests.post(
        f"{live.url}/webhooks/generic/console-store",
        data=body,
        headers=signers.standard_headers("whsec_" + "QUJD" * 10, body),
        timeout=10,
    )
    assert bad.status_code == 401

    page.reload()
    assert page.locator("#status-title").inner_text() == "Connected"
    row = page.locator("table.health tr", has_text="order.created")
    assert "never" not in row.inner_text() and "1 bad signature" in row.inner_text()
    assert "Signature: no webhook signature matches" in row.inner_text()

    # The owner's own test event goes through the same door
    page.get_by_role("button", name="Send a signed test event").click()
    page.wait_for_load_state()
    assert "accepted" in page.get_by_role("status").first.inner_text()
    assert "never" not in page.locator("table.health tr", has_text="webhook.test").inner_text()
    assert serious(page) == []
    assert page.console_errors == []


def test_a_settings_change_is_visible_through_the_api_and_bad_input_is_inline(page, live, shop):
    sign_in(page, live.url, shop["shop_id"], shop["api_key"], "settings")
    page.get_by_label("Days before the review request").fill("soon")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    assert page.locator("#review_delay_days-error").inner_text().endswith("enter a whole number")
    assert page.get_by_label("Days before the review request").get_attribute("aria-invalid") == "true"
    assert serious(page) == []
    screenshot(page, "console-settings-error-phone")

    page.get_by_label("Days before the review request").fill("12")
    page.get_by_label("Happy rating").fill("5")
    page.get_by_label("Attribution model").select_option("first_click")
    page.get_by_label("Time zone").fill("America/Denver")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "Saved."
    settings = live.request("GET", "/shops/console-store", token=shop["api_key"]).json()["settings"]
    assert (settings["review_delay_days"], settings["happy_threshold"]) == (12, 5)
    assert (settings["attribution_model"], settings["timezone"]) == ("first_click", "America/Denver")


def test_the_demo_charts_show_axes_dates_and_a_value_on_hover_and_focus(page, live):
    key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", live.log()).group(1)
    page.set_viewport_size(DESKTOP)
    sign_in(page, live.url, "demo-store", key)
    chart = page.locator("svg.series")
    assert chart.locator("text.tick").count() >= 6  # y ticks and dates
    assert chart.locator("text.date").count() >= 5
    tip = page.locator("#series-tip")
    assert not tip.is_visible()

    day = chart.locator("rect.hit").nth(20)
    day.hover()
    assert tip.is_visible()
    text = tip.inner_text()
    assert re.search(r"Orders: \d+", text) and re.search(r"Clicks: \d+", text), text
    assert day.get_attribute("data-label") in text

    # The legend hides a series, and the value goes from the tip
    page.locator("[data-legend-for=series-chart]").get_by_role("button", name="Orders", exact=True).click()
    assert (
        page.locator("[data-legend-for=series-chart] button[data-series=orders]").get_attribute("aria-pressed")
        == "false"
    )
    assert not chart.locator("polyline[data-series=orders]").is_visible()
    day.hover()
    assert "Orders:" not in tip.inner_text()

    # With the keyboard: the chart is one tab stop (the latest day); the arrows move between days
    page.locator("[data-legend-for=series-chart] button").last.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('class')") == "hit"
    last = tip.inner_text()
    assert tip.is_visible() and chart.locator("rect.hit").last.get_attribute("data-label") in last
    page.keyboard.press("ArrowLeft")
    assert tip.is_visible() and tip.inner_text() != last
    assert page.evaluate("document.activeElement.getAttribute('data-label')") in tip.inner_text()

    # The funnel names each stage's conversion, channels are a chart
    assert "% of customers" in page.locator("svg.funnel").inner_html()
    assert page.locator("svg.channels rect").count() >= 4
    assert serious(page) == []
    assert page.console_errors == []


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_every_section_at_desktop_and_phone_width_is_accessible(page, live, width):
    key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", live.log()).group(1)
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    sign_in(page, live.url, "demo-store", key)
    for section in SECTIONS:
        page.goto(f"{live.url}/shops/demo-store/dashboard/{section}")
        nav = page.get_by_role("navigation", name="Console sections")
        assert nav.get_by_role("link", name=section.capitalize()).get_attribute("aria-current") == "page"
        # Nothing wider than the screen but what scrolls inside its own card
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (section, overflow)
        path = screenshot(page, f"console-{section}-{width}")
        assert path.stat().st_size > 5_000
        assert accessibility_violations(page) == [], section  # nothing at all, serious or not
    assert page.console_errors == []


def test_the_console_is_usable_with_the_keyboard(page, live):
    key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", live.log()).group(1)
    sign_in(page, live.url, "demo-store", key)
    # Tab from the top reaches the nav; Enter follows it
    reached = []
    for _ in range(12):  # sign out, then the nav's sections in their order
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
        if reached[-1] == "Settings":
            break
    assert reached[-1] == "Settings", reached
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/settings")
    # Every field of the form is reached in order, and the form is sent from the keyboard
    page.get_by_label("Name").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "domains"


def test_the_feed_section_issues_the_url_merchant_center_fetches(page, live):
    key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", live.log()).group(1)
    page.set_viewport_size(PHONE)
    sign_in(page, live.url, "demo-store", key)
    page.goto(f"{live.url}/shops/demo-store/dashboard/feed")
    status = page.locator("#feed-title").locator("xpath=..")
    assert "left out" not in status.inner_text()  # the demo products all have pages on the shop's domain
    if page.get_by_role("button", name="Turn the URL off").count():  # an earlier test may have made one
        page.get_by_role("button", name="Turn the URL off").click()
        page.wait_for_url("**/dashboard/feed?done=off")
    page.get_by_role("button", name="Make the feed URL").click()
    page.wait_for_url("**/dashboard/feed?done=issued")
    assert "A new feed URL is on" in page.locator(".notice").inner_text()
    url = page.locator("#feed-url").input_value()
    fetched = page.request.get(url)
    assert fetched.status == 200 and fetched.headers["content-type"].startswith("application/xml")
    assert b"<review_id>" in fetched.body()
    page.get_by_role("button", name="Turn the URL off").click()
    page.wait_for_url("**/dashboard/feed?done=off")
    assert "The feed URL is off" in page.locator(".notice").inner_text()
    assert page.request.get(url).status == 403
    assert accessibility_violations(page) == []
    assert page.console_errors == []


@pytest.fixture
def reviews_console(browser, live) -> Iterator[Any]:
    yield from demo_console(browser, live, "reviews")


def test_a_link_from_another_site_opens_the_console_signed_in(reviews_console, live):
    # Given a signed-in owner, and a link to the console on a page of another site (an email in webmail, a
    # chat): a host name, not 127.0.0.1, so another site to the browser; the browser itself serves it
    page = reviews_console
    target = f"{live.url}/shops/demo-store/dashboard/reviews?status=pending"
    elsewhere = "http://localhost:9/inbox"
    link = f'<!doctype html><html lang="en"><title>Inbox</title><a href="{target}">Open your console</a></html>'
    page.route(elsewhere, lambda route: route.fulfill(content_type="text/html", body=link))
    answers: list[Any] = []
    page.on("response", lambda r: r.url == target and answers.append(r))
    page.goto(elsewhere)
    # When the owner follows it
    page.get_by_role("link", name="Open your console").click()
    # Then the console opens signed in, on the filtered page the link named
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.url == target and page.get_by_label("Status").input_value() == "pending"
    # And it took one look from the other site, which the browser sent without the SameSite=Strict session
    # (so the page opened the address again), then one from our own page, which carried it
    # (Chromium adds Sec-Fetch-Site below what Playwright reports: the cookie tells the two looks apart)
    assert ["cookie" in r.request.all_headers() for r in answers] == [False, True]
    assert [r.status for r in answers] == [200, 200] and answers[0].headers["cache-control"] == "no-store"
    # And that passing page, held still (its refresh taken out), is accessible
    passing = requests.get(
        target,
        headers={"Accept": "text/html", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},
        timeout=10,
    ).text
    assert 'http-equiv="refresh"' in passing and "Opening your console" in passing
    held = page.context.new_page()  # a blank page: the console's CSP, which refuses axe's script, is not on it
    held.set_content(re.sub(r'<meta http-equiv="refresh"[^>]*>', "", passing))
    assert serious(held) == []
    held.close()
    assert page.console_errors == []
