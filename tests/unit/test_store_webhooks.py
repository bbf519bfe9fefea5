"""The store's webhooks registered through its own API when a shop connects, and kept right, through HTTP against
loopback stand-ins of Shopify's GraphQL Admin API and WooCommerce's REST API.

Every topic is subscribed at proofloop's own address; what proofloop did not register is left alone; its own stale
ones (a changed base URL) are replaced; running it twice changes nothing; DELETE removes only ours."""

from __future__ import annotations

import json

import pytest

from chalicelib.store import keys
from tests import signers
from tests.stand_ins import woocommerce_webhooks
from tests.stand_ins.fixtures import (
    CK,
    CS,
    SHOPIFY_DOMAIN,
    SHOPIFY_ENUMS,
    SHOPIFY_TOPICS,
    TOKEN,
    WOO_HOST,
    WOO_TOPICS,
    connect,
    scan,
)
from tests.stand_ins.shopify_webhooks import subscription

BASE = "http://127.0.0.1:8000"  # tests/conftest.py's PROOFLOOP_BASE_URL
MOVED = "https://reviews.trailsummit.example"
FOREIGN = "https://another-app.example/hooks"
APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # a test app's client secret


@pytest.fixture
def base_url(monkeypatch):
    """Move the deployment's base URL (as after a new domain); the settings are read again."""
    from chalicelib.config import reset_settings

    def move(url: str) -> None:
        monkeypatch.setenv("PROOFLOOP_BASE_URL", url)
        reset_settings()

    yield move
    monkeypatch.setenv("PROOFLOOP_BASE_URL", BASE)
    reset_settings()


def _store(shopify):
    return shopify.tokens[TOKEN]


def _site(woo):
    return woo.site(f"https://{WOO_HOST}")


def _woo(api, woo_shop):
    return connect(api, woo_shop, {"woocommerce": {"consumer_key": CK, "consumer_secret": CS}})


def _statuses(response) -> dict[str, str]:
    return {w["topic"]: w["status"] for w in response.json["webhooks"]}


def _again(api, shop):
    shop_id, key = shop
    return api.request("POST", f"/shops/{shop_id}/connection/webhooks", token=key)


def test_connecting_a_shopify_store_subscribes_every_topic_at_our_address_as_json(api, shopify, shopify_shop):
    response = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    assert response.status_code == 200, response.body
    assert response.json["webhooks"] == [{"topic": t, "status": "registered"} for t in SHOPIFY_TOPICS]
    # The compliance topics are not asked for (no API may subscribe them): the view says where they are set
    assert response.json["manual_topics"] == ["customers/data_request", "customers/redact", "shop/redact"]
    subscriptions = list(_store(shopify).webhooks.values())
    assert sorted(s["topic"] for s in subscriptions) == sorted(SHOPIFY_ENUMS)
    assert {(s["uri"], s["format"]) for s in subscriptions} == {(f"{BASE}/webhooks/shopify", "JSON")}
    assert [c["topic"] for c in shopify.calls("webhookSubscriptionCreate")] == SHOPIFY_ENUMS


def test_connecting_a_woocommerce_store_creates_every_topic_signed_with_the_shops_secret(api, woo, woo_shop, table):
    from chalicelib.store.shop_records import get_shop

    response = _woo(api, woo_shop)
    assert response.status_code == 200, response.body
    assert response.json["webhooks"] == [{"topic": t, "status": "registered"} for t in WOO_TOPICS]
    assert response.json["manual_topics"] == []
    webhooks = list(_site(woo).webhooks.values())
    secret = get_shop(table, woo_shop[0]).webhook_secret
    assert sorted(w["topic"] for w in webhooks) == sorted(WOO_TOPICS)
    assert {w["delivery_url"] for w in webhooks} == {f"{BASE}/webhooks/woocommerce/{woo_shop[0]}"}
    assert {w["status"] for w in webhooks} == {"active"}
    assert {woocommerce_webhooks.secret_of(w) for w in webhooks} == {secret}
    assert secret not in response.body.decode()


def test_a_foreign_subscription_is_left_alone_and_ours_is_made_beside_it(api, shopify, shopify_shop):
    foreign = subscription("ORDERS_CREATE", FOREIGN)
    _store(shopify).webhooks[foreign["id"]] = dict(foreign)
    response = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    assert _statuses(response)["orders/create"] == "registered"
    assert _store(shopify).webhooks[foreign["id"]] == foreign
    assert shopify.calls("webhookSubscriptionDelete") == []
    # And removing ours later leaves it too
    shop_id, key = shopify_shop
    assert api.request("DELETE", f"/shops/{shop_id}/connection", token=key).status_code == 204
    assert list(_store(shopify).webhooks.values()) == [foreign]


def test_a_subscription_already_at_our_address_is_kept_and_adopted_as_ours(api, shopify, shopify_shop):
    present = subscription("ORDERS_PAID", f"{BASE}/webhooks/shopify")
    _store(shopify).webhooks[present["id"]] = present
    response = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    assert _statuses(response)["orders/paid"] == "kept"
    assert "ORDERS_PAID" not in [c["topic"] for c in shopify.calls("webhookSubscriptionCreate")]
    assert len(_store(shopify).webhooks) == len(SHOPIFY_ENUMS)
    shop_id, key = shopify_shop
    assert api.request("DELETE", f"/shops/{shop_id}/connection", token=key).status_code == 204
    assert _store(shopify).webhooks == {}  # adopted: removed with ours


def test_registering_twice_changes_nothing_on_shopify(api, shopify, shopify_shop):
    connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    before = dict(_store(shopify).webhooks)
    created = len(shopify.calls("webhookSubscriptionCreate"))
    again = _again(api, shopify_shop)
    assert again.status_code == 200, again.body
    assert again.json["webhooks"] == [{"topic": t, "status": "kept"} for t in SHOPIFY_TOPICS]
    assert len(shopify.calls("webhookSubscriptionCreate")) == created
    assert shopify.calls("webhookSubscriptionDelete") == []
    assert _store(shopify).webhooks == before
    # Connecting again with the same key is no different
    reconnected = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    assert _statuses(reconnected) == dict.fromkeys(SHOPIFY_TOPICS, "kept")
    assert len(shopify.calls("webhookSubscriptionCreate")) == created


def test_registering_twice_changes_nothing_on_woocommerce(api, woo, woo_shop):
    _woo(api, woo_shop)
    before = dict(_site(woo).webhooks)
    again = _again(api, woo_shop)
    assert again.status_code == 200, again.body
    assert again.json["webhooks"] == [{"topic": t, "status": "kept"} for t in WOO_TOPICS]
    assert [r.method for r in woo.requests].count("POST") == len(WOO_TOPICS)
    assert "DELETE" not in [r.method for r in woo.requests]
    assert _site(woo).webhooks == before


def test_a_changed_base_url_replaces_ours_and_keeps_the_foreign_ones(api, shopify, shopify_shop, base_url):
    shop_id, key = shopify_shop
    connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    ours_before = set(_store(shopify).webhooks)
    foreign = subscription("ORDERS_CREATE", FOREIGN)
    _store(shopify).webhooks[foreign["id"]] = dict(foreign)
    base_url(MOVED)
    # Reading the connection says ours are stale, without asking the store
    asked = len(shopify.requests)
    stale = api.request("GET", f"/shops/{shop_id}/connection", token=key).json["webhooks"]
    assert len(shopify.requests) == asked
    assert all(w["status"] == "registered" and w["reason"].startswith("stale") for w in stale)
    # Registering again moves every one of ours, without the key pasted again
    response = _again(api, shopify_shop)
    assert response.status_code == 200, response.body
    assert response.json["webhooks"] == [{"topic": t, "status": "replaced"} for t in SHOPIFY_TOPICS]
    after = _store(shopify).webhooks
    assert not ours_before & set(after)
    assert after.pop(foreign["id"]) == foreign
    assert {s["uri"] for s in after.values()} == {f"{MOVED}/webhooks/shopify"}
    assert sorted(s["topic"] for s in after.values()) == sorted(SHOPIFY_ENUMS)
    # And the stale reason is gone
    assert "reason" not in json.dumps(api.request("GET", f"/shops/{shop_id}/connection", token=key).json["webhooks"])


def test_a_changed_base_url_replaces_ours_on_woocommerce_too(api, woo, woo_shop, base_url):
    shop_id = woo_shop[0]
    _woo(api, woo_shop)
    foreign = woocommerce_webhooks.seed(_site(woo), "order.created", FOREIGN, secret="theirs")
    ours_before = set(_site(woo).webhooks) - {foreign["id"]}
    base_url(MOVED)
    response = _again(api, woo_shop)
    assert response.json["webhooks"] == [{"topic": t, "status": "replaced"} for t in WOO_TOPICS]
    after = _site(woo).webhooks
    assert not ours_before & set(after) and after[foreign["id"]]["delivery_url"] == FOREIGN
    moved = [w for w in after.values() if w["id"] != foreign["id"]]
    assert {w["delivery_url"] for w in moved} == {f"{MOVED}/webhooks/woocommerce/{shop_id}"}


def test_one_of_ours_deleted_in_the_store_meanwhile_is_made_again(api, shopify, shopify_shop):
    connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    gone = next(i for i, s in _store(shopify).webhooks.items() if s["topic"] == "REFUNDS_CREATE")
    del _store(shopify).webhooks[gone]  # the owner deleted it in the admin
    response = _again(api, shopify_shop)
    assert _statuses(response) == {**dict.fromkeys(SHOPIFY_TOPICS, "kept"), "refunds/create": "registered"}
    assert shopify.calls("webhookSubscriptionDelete") == []
    assert len(_store(shopify).webhooks) == len(SHOPIFY_ENUMS)


def test_a_user_error_fails_that_topic_only_and_is_counted(api, shopify, shopify_shop, table):
    refusal = "This app is not approved to subscribe to webhook topics containing protected customer data."
    shopify.refuse_topics["ORDERS_PAID"] = refusal
    response = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    assert response.status_code == 200
    failed = [w for w in response.json["webhooks"] if w["status"] == "failed"]
    assert failed == [{"topic": "orders/paid", "status": "failed", "reason": f"Shopify said: {refusal}"}]
    assert _statuses(response) == {**dict.fromkeys(SHOPIFY_TOPICS, "registered"), "orders/paid": "failed"}
    item = table.get(keys.connection_key(shopify_shop[0]))
    assert item["failure_count"] == 1 and item["last_failure"]["what"] == "register webhook orders/paid"
    # Once allowed, registering again makes only the missing one
    del shopify.refuse_topics["ORDERS_PAID"]
    again = _again(api, shopify_shop)
    assert _statuses(again) == {**dict.fromkeys(SHOPIFY_TOPICS, "kept"), "orders/paid": "registered"}


def test_a_topic_shopify_does_not_know_fails_with_its_reason(api, shopify, shopify_shop, monkeypatch):
    from chalicelib.connections import webhooks

    monkeypatch.setattr(
        webhooks, "shopify_enum", lambda t: "ORDERS_MADE_UP" if t == "orders/paid" else t.replace("/", "_").upper()
    )
    response = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    (failed,) = [w for w in response.json["webhooks"] if w["status"] == "failed"]
    assert failed["topic"] == "orders/paid" and "WebhookSubscriptionTopic" in failed["reason"]
    assert sum(1 for w in response.json["webhooks"] if w["status"] == "registered") == len(SHOPIFY_TOPICS) - 1


def test_a_throttled_shopify_is_asked_no_more_and_each_topic_says_why(api, shopify, shopify_shop, table):
    _store(shopify).available = 5.0  # a query (2) fits, a mutation (10) does not
    response = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    assert response.status_code == 200
    webhooks = response.json["webhooks"]
    assert {w["status"] for w in webhooks} == {"failed"}
    assert webhooks[0]["reason"] == "Shopify's query cost limit is reached for now"
    assert all(w["reason"] == "not tried: Shopify's query cost limit is reached for now" for w in webhooks[1:])
    assert len(shopify.calls("webhookSubscriptionCreate")) == 1  # not hammered
    item = table.get(keys.connection_key(shopify_shop[0]))
    assert item["failure_count"] == 1 and item["last_failure"]["kind"] == "throttled"
    # The bucket refilled: registering again does it all
    _store(shopify).available = 2000.0
    assert _statuses(_again(api, shopify_shop)) == dict.fromkeys(SHOPIFY_TOPICS, "registered")


def test_a_woocommerce_429_fails_every_topic_with_the_reason_and_is_counted(api, woo, woo_shop, table):
    _woo(api, woo_shop)
    woo.fail_next.append((429, {"Retry-After": "30"}))
    response = _again(api, woo_shop)
    assert response.status_code == 200
    reasons = {w["reason"] for w in response.json["webhooks"] if w["status"] == "failed"}
    assert reasons == {"the store's webhooks could not be listed: the store asked us to slow down (429)"}
    assert len(response.json["webhooks"]) == len(WOO_TOPICS)
    item = table.get(keys.connection_key(woo_shop[0]))
    assert item["failure_count"] == 1 and item["last_failure"]["kind"] == "throttled"
    # What was ours stays ours: once the store answers again, every one is kept, none made twice
    assert _statuses(_again(api, woo_shop)) == dict.fromkeys(WOO_TOPICS, "kept")
    assert len(_site(woo).webhooks) == len(WOO_TOPICS)


def test_delete_removes_only_ours_on_woocommerce(api, woo, woo_shop, table):
    shop_id, key = woo_shop
    foreign = woocommerce_webhooks.seed(_site(woo), "order.updated", FOREIGN)
    _woo(api, woo_shop)
    assert api.request("DELETE", f"/shops/{shop_id}/connection", token=key).status_code == 204
    assert list(_site(woo).webhooks) == [foreign["id"]]
    deletes = [r.path for r in woo.requests if r.method == "DELETE"]
    assert len(deletes) == len(WOO_TOPICS) and all(p.endswith("?force=true") for p in deletes)
    assert table.get(keys.connection_key(shop_id)) is None


def test_a_revoked_token_at_delete_still_forgets_the_connection(api, shopify, shopify_shop, table):
    shop_id, key = shopify_shop
    connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    store = shopify.tokens.pop(TOKEN)  # the owner uninstalled the app: the token answers 401
    asked = len(shopify.requests)
    assert api.request("DELETE", f"/shops/{shop_id}/connection", token=key).status_code == 204
    assert table.get(keys.connection_key(shop_id)) is None
    assert len(shopify.requests) == asked + 1  # refused once: nothing more is tried
    assert len(store.webhooks) == len(SHOPIFY_ENUMS)  # the store keeps them (an uninstall removes an app's own)


def test_an_unreachable_store_at_delete_still_forgets_the_connection(api, woo, woo_shop, table):
    shop_id, key = woo_shop
    _woo(api, woo_shop)
    woo.close()
    assert api.request("DELETE", f"/shops/{shop_id}/connection", token=key).status_code == 204
    assert table.get(keys.connection_key(shop_id)) is None


def test_registering_again_without_a_connection_is_404_not_connected(api, shopify, shopify_shop):
    response = _again(api, shopify_shop)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_connected"
    assert shopify.requests == []


def test_another_owner_cannot_register_the_shops_webhooks(api, shopify, shopify_shop):
    connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    _, other_key = api.create_shop()
    assert _again(api, (shopify_shop[0], other_key)).status_code in (401, 403, 404)


def test_the_api_secret_key_becomes_the_shops_signing_secret_and_is_never_shown(
    api, shopify, shopify_shop, table, capfd, caplog
):
    shop_id, key = shopify_shop
    body = json.dumps(signers.fixture("shopify_order.json")).encode()
    send = lambda secret: api.request(  # noqa: E731
        "POST",
        "/webhooks/shopify",
        raw=body,
        headers=signers.shopify_headers("orders/create", SHOPIFY_DOMAIN, secret, body),
    )
    assert send(APP_SECRET).status_code == 401  # before: the store's notification secret signs
    response = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN, "api_secret_key": APP_SECRET}})
    assert response.status_code == 200, response.body
    # A delivery of a subscription the app registered, signed by Shopify with the app's client secret, is accepted
    assert send(APP_SECRET).status_code == 200
    assert send("the-old-notification-secret").status_code == 401
    answers = [response, api.request("GET", f"/shops/{shop_id}/connection", token=key)]
    answers.append(api.request("GET", f"/shops/{shop_id}", token=key))
    for answer in answers:
        assert APP_SECRET not in answer.body.decode()
    # Not on the connection either; the shop's item keeps its signing secret as every shop's webhook_secret is kept
    assert APP_SECRET not in json.dumps(table.get(keys.connection_key(shop_id)), default=str)
    out, err = capfd.readouterr()
    assert APP_SECRET not in out + err + caplog.text
    # The request's body never reached the store either
    assert all(APP_SECRET.encode() not in r.body for r in shopify.requests)
    assert "api_secret_key" not in scan(table)


def test_an_api_secret_key_of_the_wrong_shape_is_422_and_nothing_is_asked(api, shopify, shopify_shop):
    response = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN, "api_secret_key": "short"}})
    assert response.status_code == 422 and shopify.requests == []
