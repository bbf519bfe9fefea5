"""The console's storage on the official DynamoDB Local: delivery health stays bounded, /setup closes."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from chalicelib import clock
from chalicelib.store import keys
from tests import signers
from tests.conftest import ADMIN_TOKEN

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def delivery_items(db, shop_id: str) -> list[dict]:
    items, _ = db.query(keys.shop_partition(shop_id), sk_prefix=keys.DELIVERY_PREFIX, limit=500, consistent=True)
    return items


def test_forged_deliveries_with_made_up_topics_touch_one_item_an_hour(live, db, new_shop):
    shop, _ = new_shop(platform="woocommerce", webhook_secret="a-woocommerce-secret-0123")
    body = json.dumps(signers.fixture("woocommerce_order.json")).encode()
    hours = {clock.now().strftime("%Y-%m-%dT%H")}
    for n in range(25):
        headers = signers.woocommerce_headers(f"made.up-{n}", "not-the-secret-at-all-0123", body)
        response = live.request("POST", f"/webhooks/woocommerce/{shop['shop_id']}", data=body, headers=headers)
        assert response.status_code == 401
    hours.add(clock.now().strftime("%Y-%m-%dT%H"))
    items = delivery_items(db, shop["shop_id"])
    # One item of the hour for every made-up topic; two only when the deliveries ran over the turn of an hour
    assert 1 <= len(items) <= len(hours)
    assert {i["SK"] for i in items} <= {f"{keys.DELIVERY_PREFIX}woocommerce#other#{hour}" for hour in hours}
    assert sum(i["refused_signature"] for i in items) == 25 and {i["last_kind"] for i in items} == {"signature"}
    for item in items:
        assert clock.epoch() + 24 * 3600 < item[keys.TTL_ATTRIBUTE] <= clock.epoch() + 27 * 3600


def test_a_signed_delivery_is_noted_and_the_console_shows_connected(live, db, new_shop):
    shop, key = new_shop()
    body = json.dumps(signers.generic_event("order.created", "int-o-1")).encode()
    headers = signers.standard_headers(shop["webhook_secret"], body)
    assert live.request("POST", f"/webhooks/generic/{shop['shop_id']}", data=body, headers=headers).status_code == 200
    (item,) = delivery_items(db, shop["shop_id"])
    assert item["SK"] == f"{keys.DELIVERY_PREFIX}generic#order.created" and item["last_accepted"]
    signed_in = live.request(
        "POST", f"/shops/{shop['shop_id']}/dashboard/session", data=urlencode({"api_key": key}), headers=FORM
    )
    cookie = signed_in.headers["Set-Cookie"].split(";")[0]
    page = live.request(
        "GET", f"/shops/{shop['shop_id']}/dashboard/connect", headers={"Cookie": cookie, "Accept": "text/html"}
    )
    assert page.status_code == 200 and '<h2 id="status-title">Connected</h2>' in page.text


def test_setup_is_closed_on_an_instance_with_shops(live, new_shop):
    new_shop()
    form = {"admin_token": ADMIN_TOKEN, "shop_id": "late-comer", "name": "Late", "platform": "generic"}
    response = live.request("POST", "/setup", data=urlencode({**form, "domains": "late.example.com"}), headers=FORM)
    assert response.status_code == 409
    assert "already has its shop" in live.request("GET", "/setup", headers={"Accept": "text/html"}).text
