"""The connect page's one-key path, through HTTP: the console's form connects by PUT /connection's code against
loopback stand-ins of Shopify's and WooCommerce's APIs; refusals are beside their field; the key is never in a page;
the card shows the connection, its failed calls and each topic's registration beside the delivery health."""

from __future__ import annotations

import re

import pytest

from chalicelib.store import connections as records
from chalicelib.store import keys
from tests.stand_ins.fixtures import (
    ALL_SCOPES,
    CK,
    CS,
    OTHER_TOKEN,
    REVOKED,
    SHOP_HOST,
    SHOPIFY_DOMAIN,
    TOKEN,
    WOO_HOST,
)
from tests.unit.test_console import Owner, body

SECRET_KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f90"  # the shape of a Shopify app's API secret key


@pytest.fixture
def shopify_owner(api):
    return Owner(api, platform="shopify", domains=[SHOP_HOST, SHOPIFY_DOMAIN])


@pytest.fixture
def woo_owner(api):
    return Owner(api, platform="woocommerce", domains=[WOO_HOST])


def field(page: str, name: str) -> str:
    """The input named `name`, as the page writes it."""
    found = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert found, page[:3000]
    return found.group(0)


def error_of(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', page, re.S)
    assert found, page[:3000]
    return found.group(1)


def health_row(page: str, topic: str) -> str:
    found = re.search(rf"<tr[^>]*>\s*<th scope=\"row\"><code>{re.escape(topic)}</code></th>(.*?)</tr>", page, re.S)
    assert found, topic
    return found.group(1)


def registered_cell(page: str, topic: str) -> str:
    found = re.search(r'<td class="registered">(.*?)</td>', health_row(page, topic), re.S)
    assert found, topic
    return found.group(1).strip()


def test_a_shopify_shop_is_offered_the_one_key_path_first_with_the_apps_steps(shopify_owner):
    page = body(shopify_owner.get("connect"))
    assert page.index("Connect with one key") < page.index("Or register the webhooks by hand")
    assert "Settings → Apps and sales channels → Develop apps" in page
    for scope in ALL_SCOPES:
        assert f"<code>{scope}</code>" in page
    token = field(page, "access_token")
    assert 'type="password"' in token and 'autocomplete="off"' in token and "value=" not in token
    assert 'type="password"' in field(page, "api_secret_key")
    assert 'action="http://127.0.0.1:8000/shops/' in page and "/dashboard/forms/connection" in page


def test_a_woocommerce_shop_is_asked_for_its_rest_key_pair(woo_owner):
    page = body(woo_owner.get("connect"))
    assert "WooCommerce → Settings → Advanced → REST API" in page and "Read/Write" in page
    assert 'type="password"' in field(page, "consumer_key") and 'type="password"' in field(page, "consumer_secret")
    assert 'name="access_token"' not in page


def test_a_generic_shop_has_no_one_key_card(api):
    page = body(Owner(api).get("connect"))
    assert "Connect with one key" not in page and 'name="access_token"' not in page
    assert "Registered</th>" not in page and "Or register the webhooks by hand" not in page


def test_the_form_connects_a_shopify_store_as_put_does_and_never_shows_the_token(shopify, shopify_owner, table):
    # When the owner pastes the app's token (and its API secret key) into the form
    answer = shopify_owner.post("connection", {"access_token": TOKEN, "api_secret_key": SECRET_KEY})
    # Then the store was asked, the connection kept, and the page says so
    assert answer.status_code == 303, answer.body
    assert answer.headers["Location"].endswith(f"/shops/{shopify_owner.shop_id}/dashboard/connect?done=connected")
    assert shopify.requests[0].headers["x-shopify-access-token"] == TOKEN
    assert len(shopify.calls("webhookSubscriptionCreate")) == 9  # and its webhooks registered
    api_view = shopify_owner.api.request("GET", f"/shops/{shopify_owner.shop_id}/connection", token=shopify_owner.key)
    assert api_view.status_code == 200 and api_view.json["store"] == SHOPIFY_DOMAIN
    page = body(
        shopify_owner.api.request(
            "GET",
            answer.headers["Location"].split("8000", 1)[1],
            headers={"Accept": "text/html", **shopify_owner.cookie},
        )
    )
    assert "Connected with one key" in page and f"<code>{SHOPIFY_DOMAIN}</code>" in page
    assert "The store accepted the key" in page
    # And the missing scope is named with what needs it
    assert "<code>write_products</code>: star ratings" in page
    assert "<time datetime=" in page  # when it was checked
    # And neither the token nor the secret key is anywhere on the page
    for secret in (TOKEN, TOKEN[6:], SECRET_KEY):
        assert secret not in page and secret not in answer.body.decode()


def test_the_form_connects_a_woocommerce_store(woo, woo_owner):
    answer = woo_owner.post("connection", {"consumer_key": CK, "consumer_secret": CS})
    assert answer.status_code == 303, answer.body
    page = body(woo_owner.get("connect"))
    assert f"<code>{WOO_HOST}</code>" in page and "Permissions" in page
    assert CK not in page and CS not in page and CS[3:] not in page


@pytest.mark.parametrize(
    ("fields", "name", "status", "message"),
    [
        ({"access_token": REVOKED}, "access_token", 422, "refused the shopify credential"),
        ({"access_token": OTHER_TOKEN}, "access_token", 409, "not among the shop"),
        ({"access_token": "shpat_short"}, "access_token", 422, "shpat_ followed by 32 to 64"),
        ({"access_token": ""}, "access_token", 422, "Paste the Admin API access token"),
        ({"access_token": TOKEN, "api_secret_key": "not a key!"}, "api_secret_key", 422, "32 to 64 letters"),
        ({"consumer_key": CK, "consumer_secret": CS}, "access_token", 422, "send a shopify credential"),
        ({"consumer_key": "ck_bad", "consumer_secret": ""}, "access_token", 422, "send a shopify credential"),
    ],
)
def test_a_refused_key_is_the_page_again_with_the_error_beside_its_field(
    shopify, shopify_owner, table, fields, name, status, message
):
    answer = shopify_owner.post("connection", fields)
    page = body(answer)
    assert answer.status_code == status
    assert message in error_of(page, name)
    rendered = field(page, name)
    assert 'aria-invalid="true"' in rendered and f"{name}-error" in rendered and "value=" not in rendered
    assert table.get(keys.connection_key(shopify_owner.shop_id)) is None
    for value in fields.values():
        if len(value) > 8:
            assert value not in page  # never echoed


def test_a_store_that_cannot_be_asked_is_a_503_page_beside_the_field(shopify, shopify_owner):
    shopify.close()
    answer = shopify_owner.post("connection", {"access_token": TOKEN})
    assert answer.status_code == 503
    assert "could not be asked" in error_of(body(answer), "access_token")
    assert TOKEN not in body(answer)


def test_a_woocommerce_secret_of_the_wrong_shape_is_named(woo, woo_owner):
    answer = woo_owner.post("connection", {"consumer_key": CK, "consumer_secret": "cs_nothex"})
    assert answer.status_code == 422
    assert "cs_ followed by 40" in error_of(body(answer), "consumer_secret")
    assert woo.requests == []


@pytest.mark.parametrize("form", ["connection", "connection-delete", "connection-webhooks"])
def test_each_connection_form_without_the_csrf_token_is_refused_and_changes_nothing(
    shopify, shopify_owner, table, form
):
    assert shopify_owner.post("connection", {"access_token": TOKEN}).status_code == 303
    before = table.get(keys.connection_key(shopify_owner.shop_id))
    asked = len(shopify.requests)
    answer = shopify_owner.post(form, {"access_token": REVOKED}, csrf="")
    assert answer.status_code == 403
    assert table.get(keys.connection_key(shopify_owner.shop_id)) == before
    assert len(shopify.requests) == asked  # the store was not asked again


def test_disconnect_forgets_the_key_and_the_page_offers_the_form_again(shopify, shopify_owner, table):
    assert shopify_owner.post("connection", {"access_token": TOKEN}).status_code == 303
    connected = body(shopify_owner.get("connect"))
    assert "Disconnect the store" in connected and "<details>" in connected  # the key's form, folded
    answer = shopify_owner.post("connection-delete", {})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("connect?done=disconnected")
    assert table.get(keys.connection_key(shopify_owner.shop_id)) is None
    page = body(shopify_owner.get("connect"))
    assert "Connect with one key" in page and 'name="access_token"' in page and "Disconnect the store" not in page
    assert "<details" not in page


def test_failed_calls_to_the_store_are_counted_on_the_card(shopify, shopify_owner, table):
    assert shopify_owner.post("connection", {"access_token": TOKEN}).status_code == 303
    for at in ("2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z"):
        failure = {"at": at, "what": "star ratings", "kind": "throttled", "reason": "the store asked us to slow down"}
        records.note_failure(table, shopify_owner.shop_id, failure)
    page = body(shopify_owner.get("connect"))
    cell = re.search(r'<dd id="store-failures">(.*?)</dd>', page, re.S).group(1)
    assert cell.startswith("2;") and "2026-01-05T11:00:00Z" in cell and "star ratings" in cell
    assert "slow down" in cell and "(throttled)" in cell
    got = shopify_owner.api.request("GET", f"/shops/{shopify_owner.shop_id}/connection", token=shopify_owner.key)
    assert got.json["failures"]["count"] == 2 and got.json["failures"]["last"]["at"] == "2026-01-05T11:00:00Z"


def test_the_registered_column_shows_what_the_store_took_and_what_it_refused(shopify, shopify_owner):
    # Given the store refuses one topic (as Shopify refuses protected customer data to an app without that access)
    shopify.refuse_topics["PRODUCTS_UPDATE"] = "the app lacks access to products"
    # When the owner connects with the key
    assert shopify_owner.post("connection", {"access_token": TOKEN}).status_code == 303
    page = body(shopify_owner.get("connect"))
    assert '<th scope="col">Registered</th>' in page
    assert registered_cell(page, "orders/create") == "Registered by proofloop"
    assert registered_cell(page, "orders/paid") == "Registered by proofloop"
    assert registered_cell(page, "products/update").startswith("Not registered: ")
    assert "the app lacks access to products" in registered_cell(page, "products/update")
    assert registered_cell(page, "shop/redact") == "Set in the app&#39;s configuration"  # no API may subscribe it


def test_register_again_uses_the_stored_key_and_shows_what_each_topic_came_to(shopify, shopify_owner, monkeypatch):
    from chalicelib.config import reset_settings

    assert shopify_owner.post("connection", {"access_token": TOKEN}).status_code == 303
    page = body(shopify_owner.get("connect"))
    assert "Register the webhooks again" in page
    assert registered_cell(page, "orders/create") == "Registered by proofloop"
    created_before = len(shopify.calls("webhookSubscriptionCreate"))
    # Given the deployment moved to another address
    monkeypatch.setenv("PROOFLOOP_BASE_URL", "https://reviews.trailsummit.example")
    reset_settings()
    try:
        # When the owner registers again (no key pasted)
        answer = shopify_owner.post("connection-webhooks", {})
    finally:
        monkeypatch.undo()
        reset_settings()
    page = body(answer)
    # Then every topic was moved to the new address, and the page says so per topic
    assert answer.status_code == 200, page[:2000]
    assert len(shopify.calls("webhookSubscriptionCreate")) > created_before
    assert "<code>orders/create</code>: replaced" in page
    assert registered_cell(page, "orders/create") == "Registered by proofloop"
    uris = {hook["uri"] for hook in shopify.tokens[TOKEN].webhooks.values()}
    assert uris and all(uri.startswith("https://reviews.trailsummit.example/") for uri in uris)
    assert TOKEN not in page


def test_register_again_without_a_connection_is_409_and_calls_nothing(shopify, shopify_owner):
    answer = shopify_owner.post("connection-webhooks", {})
    assert answer.status_code == 409 and "connect it with its key first" in body(answer)
    assert shopify.calls("webhookSubscriptionCreate") == []


def test_a_generic_shop_posting_the_form_connects_nothing(api, table):
    owner = Owner(api)
    answer = owner.post("connection", {"access_token": TOKEN})
    assert answer.status_code == 422 and "has no store API to connect" in body(answer)
    assert TOKEN not in body(answer)
    assert table.get(keys.connection_key(owner.shop_id)) is None


def test_a_refused_replacement_keeps_the_connection_and_opens_the_form_with_its_error(shopify, shopify_owner, table):
    assert shopify_owner.post("connection", {"access_token": TOKEN}).status_code == 303
    before = table.get(keys.connection_key(shopify_owner.shop_id))
    answer = shopify_owner.post("connection", {"access_token": REVOKED})
    page = body(answer)
    assert answer.status_code == 422 and "<details open>" in page and "Connected with one key" in page
    assert "refused the shopify credential" in error_of(page, "access_token")
    assert table.get(keys.connection_key(shopify_owner.shop_id)) == before
    assert REVOKED not in page and TOKEN not in page
