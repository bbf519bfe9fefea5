"""The console's widget section in Debian's Chromium, its CSP enforced: our widget.js draws a demo product's
reviews and stars against the public API, styled by its own stylesheet (allowed by its hash), and takes a CSS
variable tried in the form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_console import DESKTOP, PHONE, demo_console
from tests.browser.test_console_emails import serious_under_csp


@pytest.fixture(scope="module")
def console(browser, live) -> Iterator[Any]:
    yield from demo_console(browser, live, "widget")


def test_the_widget_draws_a_products_reviews_and_takes_a_css_variable(console, live):
    page = console
    product = page.get_by_label("Product with reviews").input_value()
    assert product.startswith("p-")  # the demo's most reviewed product
    snippet = page.locator("#widget-snippet").input_value()
    assert 'data-shop="demo-store"' in snippet and f'data-proofloop-product="{product}"' in snippet
    assert page.get_by_role("button", name="Copy the snippet").is_visible()

    # Our widget.js, against our public API, in the page
    preview = page.locator("#widget-preview")
    preview.locator(".plw-review").first.wait_for()
    assert 1 <= preview.locator(".plw-review").count() <= 5
    summary = preview.locator(".plw-summary").inner_text()
    assert re.search(r"\d\.\d out of 5", summary) and re.search(r"\d+ reviews?", summary)
    stars = preview.locator(".plw-stars").first
    assert re.fullmatch(r"★{1,5}☆{0,4}", stars.inner_text())
    # Its own stylesheet applies (the CSP names its hash): the stars in the widget's default colour
    assert stars.evaluate("e => getComputedStyle(e).color") == "rgb(245, 166, 35)"
    assert preview.locator(".plw-review").first.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"

    # A variable tried in the form reaches the preview, and the CSS to paste says it
    page.get_by_label("--proofloop-star").fill("#c81e1e")
    assert stars.evaluate("e => getComputedStyle(e).color") == "rgb(200, 30, 30)"
    assert "--proofloop-star: #c81e1e;" in page.locator("#try-css").input_value()
    page.get_by_role("button", name="Back to the defaults").click()  # the fields are read once the reset is done
    expect(stars).to_have_css("color", "rgb(245, 166, 35)")
    expect(page.locator("#try-css")).to_have_value("")

    # Another product, chosen from the list
    other = page.get_by_label("Product with reviews").locator("option").nth(1).get_attribute("value")
    page.get_by_label("Product with reviews").select_option(other)
    page.get_by_role("button", name="Show this product").click()
    expect(page.locator("#widget-preview")).to_have_attribute("data-proofloop-product", other)
    page.locator("#widget-preview .plw-review").first.wait_for()
    assert page.console_errors == []  # no CSP refusal of the widget's script, fetch or stylesheet


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_section_at_desktop_and_phone_width(console, live, width):
    page = console
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    page.goto(f"{live.url}/shops/demo-store/dashboard/widget")
    page.locator("#widget-preview .plw-review").first.wait_for()
    nav = page.get_by_role("navigation", name="Console sections")
    assert nav.get_by_role("link", name="Widget").get_attribute("aria-current") == "page"
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow
    assert screenshot(page, f"console-widget-{width}").stat().st_size > 5_000
    assert serious_under_csp(page) == []
    assert page.console_errors == []
