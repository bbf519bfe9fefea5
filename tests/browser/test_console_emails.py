"""The console's emails section in Debian's Chromium, its CSP enforced: the email drawn in its sandboxed frame,
another order and language chosen, the shop's own texts shown at once, a test send in the outbox."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import AXE, screenshot
from tests.browser.test_console import DESKTOP, PHONE, demo_console


def serious_under_csp(page: Any) -> list[str]:
    """axe-core's serious or critical findings, run through the DevTools protocol: the page's own CSP stays on."""
    page.evaluate(AXE.read_text())
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="module")
def console(browser, live) -> Iterator[Any]:
    yield from demo_console(browser, live, "emails")


def test_an_order_in_french_with_the_shops_own_words_and_a_test_send(console, live):
    page = console
    frame = page.frame_locator("#email-frame")
    # The sample's request, drawn by the email's own HTML and inline styles in the sandboxed frame
    button = frame.get_by_role("link", name="Write a review")
    button.wait_for()
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(31, 111, 235)"
    assert "Hi Alex," in frame.locator("body").inner_text()
    assert "Write a review: http" in page.locator("#email-text").inner_text()
    assert page.locator("#email-frame").get_attribute("sandbox") == ""

    # An order of the shop, in French, its reminder
    order = page.get_by_label("Order", exact=True)
    chosen = order.locator("option").nth(1).get_attribute("value")
    order.select_option(chosen)
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("radio", name="Reminder").check()
    page.get_by_role("button", name="Show the email").click()
    page.wait_for_load_state()
    assert f"order={chosen}" in page.url and "lang=fr" in page.url
    assert page.get_by_role("heading", name=f"Reminder in French: order {chosen}").is_visible()
    body = page.frame_locator("#email-frame").locator("body")
    assert "Donner mon avis" in body.inner_text() and "Petit rappel" in body.inner_text()
    assert page.locator("#preview-subject").inner_text().startswith("Rappel")

    try:
        # The shop's own French words, shown in the preview at once
        page.get_by_label("Subject of the reminder").fill("Un mot sur votre commande ?")
        page.get_by_label("Intro of the reminder").fill("Merci encore !\nVotre avis aide nos clients.")
        page.get_by_role("button", name="Save the texts").click()
        page.wait_for_load_state()
        assert "Your texts are saved" in page.get_by_role("status").inner_text()
        assert page.locator("#preview-subject").inner_text() == "Un mot sur votre commande ?"
        words = page.frame_locator("#email-frame").locator("body").inner_text()
        assert "Merci encore ! Votre avis aide nos clients." in words
        settings = live.request("GET", "/shops/demo-store", token=_key(live)).json()["settings"]
        assert settings["email_texts"]["fr"]["reminder_subject"] == "Un mot sur votre commande ?"

        # A bad address is an error beside it; a good one gets the email, marked as a test
        page.get_by_label("Send this email to").fill("owner at demo")
        page.get_by_role("button", name="Send a test email").click()
        page.wait_for_load_state()
        assert "one email address" in page.locator("#to-error").inner_text()
        assert page.get_by_label("Send this email to").get_attribute("aria-invalid") == "true"
        page.console_errors.clear()  # Chromium logs the refused form's own 422
        page.get_by_label("Send this email to").fill("owner@demo-store.example")
        page.get_by_role("button", name="Send a test email").click()
        page.wait_for_load_state()
        assert "The test email is on its way" in page.get_by_role("status").inner_text()
        tests = [m for m in _outbox(live) if m["To"] == "owner@demo-store.example"]
        assert [m["Subject"] for m in tests] == ["[Test] Un mot sur votre commande ?"]
        assert tests[0]["X-Proofloop-Test"] == f"demo-store/{chosen}"

        assert serious_under_csp(page) == []
        assert page.console_errors == []
    finally:
        live.request("PATCH", "/shops/demo-store", {"settings": {"email_texts": {}}}, token=_key(live))


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_section_at_desktop_and_phone_width(console, live, width):
    page = console
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    page.goto(f"{live.url}/shops/demo-store/dashboard/emails")
    page.frame_locator("#email-frame").get_by_role("link", name="Write a review").wait_for()
    nav = page.get_by_role("navigation", name="Console sections")
    assert nav.get_by_role("link", name="Emails").get_attribute("aria-current") == "page"
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow
    # Chromium leaves a frame of another origin (a sandbox is one) blank in a full-page capture when it lies
    # below the fold: the capture is taken with a window as tall as the page.
    size = DESKTOP if width == "desktop" else PHONE
    page.set_viewport_size({**size, "height": page.evaluate("document.documentElement.scrollHeight")})
    page.frame_locator("#email-frame").get_by_role("link", name="Write a review").wait_for()
    assert screenshot(page, f"console-emails-{width}").stat().st_size > 5_000
    page.set_viewport_size(size)
    assert serious_under_csp(page) == []
    assert page.console_errors == []


def _key(live) -> str:
    return re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", live.log()).group(1)


def _outbox(live) -> list[Any]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in live.outbox.glob("*.eml")]
