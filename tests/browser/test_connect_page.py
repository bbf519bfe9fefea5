"""The connect page's one-key path in Debian's Chromium: a Shopify shop not connected (the steps and the form, a
malformed token refused beside its field), a Shopify and a WooCommerce shop connected (seeded straight into the
table, the credential sealed as the service seals it: the server never asks a store), each at desktop and phone
width with no axe-core finding at all, and the key nowhere in the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localdev.dynamodb import DynamoDBLocal
from localdev.live import LiveServer
from tests.browser.conftest import accessibility_violations, screenshot
from tests.browser.test_console import DESKTOP, PHONE, sign_in
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body

SHOPIFY_DOMAIN = "peak-pine.myshopify.com"
TOKEN = "shpat_" + "0f1e2d3c4b5a6978" * 2
CK = "ck_" + "4d5e6f7a8b" * 4
CS = "cs_" + "b8a7f6e5d4" * 4


@pytest.fixture(scope="module")
def database() -> Iterator[DynamoDBLocal]:
    started = DynamoDBLocal().start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def server(database) -> Iterator[LiveServer]:
    started = LiveServer(database.endpoint)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def table(database, server) -> Any:
    """The server's own table on its DynamoDB Local, written to directly (the server made it at start)."""
    import boto3

    from chalicelib.store.table import Table

    client = boto3.client(
        "dynamodb",
        endpoint_url=database.endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return Table(client=client, name="proofloop-dev")


def new_shop(server: LiveServer, **fields: Any) -> tuple[str, str]:
    body = shop_body(**fields)
    created = server.request("POST", "/shops", body, token=ADMIN_TOKEN)
    assert created.status_code == 201, created.text
    return body["shop_id"], created.json()["api_key"]


def seed_connection(table: Any, shop_id: str, platform: str, credential: dict[str, str], **fields: Any) -> None:
    """A connection as the service keeps it after checking the credential with the store."""
    from chalicelib.connections import sealing
    from chalicelib.store.connections import put_connection

    item = {
        "platform": platform,
        "sealed": sealing.seal(shop_id, platform, credential),
        "scheme": sealing.SCHEME,
        "checked_at": "2026-03-02T09:30:00Z",
        **fields,
    }
    put_connection(table, shop_id, item)


def check_widths(page: Any, name: str, secrets: tuple[str, ...] = ()) -> None:
    """No axe-core finding at all, nothing wider than the screen, no secret in the page: desktop, then phone."""
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (name, width, overflow)
        screenshot(page, f"{name}-{width}")
        assert accessibility_violations(page) == [], (name, width)
        html = page.content()
        for secret in secrets:
            assert secret not in html


def test_a_shopify_shop_not_connected_is_offered_one_key_first_and_a_bad_token_is_refused_beside_it(page, server):
    shop_id, key = new_shop(server, platform="shopify", domains=["peak-pine.example", SHOPIFY_DOMAIN])
    sign_in(page, server.url, shop_id, key, "connect")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings.index("Connect with one key") < headings.index("Or register the webhooks by hand")
    assert "Settings → Apps and sales channels → Develop apps" in page.locator("#one-key").inner_text()
    token = page.get_by_label("Admin API access token")
    assert token.get_attribute("type") == "password" and token.get_attribute("autocomplete") == "off"
    assert page.get_by_role("columnheader", name="Registered").is_visible()
    check_widths(page, "connect-shopify-not-connected")

    # A token of the wrong shape never reaches a store: the page again, the error beside the field, the field empty
    page.set_viewport_size(DESKTOP)
    token.fill("shpat_tooshort")
    page.get_by_label("API secret key (optional)").fill("not a secret key!")
    page.get_by_role("button", name="Connect the store").click()
    page.wait_for_url("**/dashboard/forms/connection")
    token = page.get_by_label("Admin API access token")
    assert token.get_attribute("aria-invalid") == "true" and token.input_value() == ""
    assert "shpat_ followed by 32 to 64" in page.locator("#access_token-error").inner_text()
    assert "32 to 64 letters and digits" in page.locator("#api_secret_key-error").inner_text()
    assert "access_token-error" in (token.get_attribute("aria-describedby") or "")
    page.console_errors.clear()  # the refused form's own 422, as Chromium logs a page answered with one
    check_widths(page, "connect-shopify-refused", ("shpat_tooshort", "not a secret key!"))
    assert page.console_errors == []


def test_a_connected_shopify_shop_shows_its_store_scopes_and_failed_calls_but_never_the_token(page, server, table):
    shop_id, key = new_shop(server, platform="shopify", domains=["summit.example", "summit-gear.myshopify.com"])
    seed_connection(
        table,
        shop_id,
        "shopify",
        {"access_token": TOKEN},
        store="summit-gear.myshopify.com",
        api_host="summit-gear.myshopify.com",
        scopes=["read_orders", "write_discounts"],
        missing_scopes=[{"scope": "write_products", "needed_for": "star ratings in the products' metafields"}],
        failure_count=3,
        last_failure={
            "at": "2026-03-02T10:15:00Z",
            "what": "star ratings",
            "kind": "throttled",
            "reason": "Shopify's query cost limit is reached for now",
        },
    )
    sign_in(page, server.url, shop_id, key, "connect")
    card = page.locator("#one-key")
    assert page.get_by_role("heading", name="Connected with one key").is_visible()
    assert page.locator("#status-title").inner_text() == "Key accepted, no delivery yet"
    text = card.inner_text()
    assert "summit-gear.myshopify.com" in text and "read_orders" in text
    assert "write_products: star ratings in the products' metafields" in text
    assert "3; the last at 2026-03-02T10:15:00Z, star ratings" in text
    assert card.get_by_role("button", name="Disconnect the store").is_visible()
    assert not page.get_by_label("Admin API access token").is_visible()  # the form is folded while connected
    check_widths(page, "connect-shopify-connected", (TOKEN, TOKEN[6:]))
    page.get_by_text("Replace the key").click()
    assert page.get_by_label("Admin API access token").is_visible()
    assert page.get_by_role("button", name="Connect with the new key").is_visible()
    check_widths(page, "connect-shopify-replace", (TOKEN, TOKEN[6:]))
    page.set_viewport_size(DESKTOP)

    # Disconnecting is a real button's form: the card offers the key's form again
    page.get_by_role("button", name="Disconnect the store").click()
    page.wait_for_url("**/dashboard/connect?done=disconnected")
    assert page.get_by_role("heading", name="Connect with one key").is_visible()
    assert "forgotten its key" in page.get_by_role("status").first.inner_text()
    assert page.console_errors == []


def test_a_connected_woocommerce_shop_shows_its_store_and_never_the_key_pair(page, server, table):
    shop_id, key = new_shop(server, platform="woocommerce", domains=["gruen.example"])
    seed_connection(
        table,
        shop_id,
        "woocommerce",
        {"consumer_key": CK, "consumer_secret": CS},
        store="gruen.example",
        api_host="gruen.example",
        scopes=["read"],
        missing_scopes=[],
    )
    sign_in(page, server.url, shop_id, key, "connect")
    text = page.locator("#one-key").inner_text()
    assert "gruen.example" in text and "every permission proofloop uses" in text and "Failed calls" in text
    assert page.get_by_role("heading", name="Or register the webhooks by hand").is_visible()
    check_widths(page, "connect-woocommerce-connected", (CK, CS, CS[3:]))
    assert page.console_errors == []
