"""Any signed storefront body over real HTTP on DynamoDB Local: never a 5xx, a refusal stores nothing, counts exact."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings

from chalicelib.store import keys
from tests import signers
from tests.payload_mutations import SHOPIFY_BODIES, WOO_BODIES, consistent, mutated_delivery

SECRET = "shpss_integration_properties_0123456789"
BOUNDED = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def shop_items(db: Any, shop_id: str) -> list[dict[str, Any]]:
    """Everything a delivery to this shop can write: its own partition and its day-counter shards (raw items),
    but the console's note of the delivery (its health panel, which every delivery updates, refused or not)."""
    items: list[dict[str, Any]] = []
    for partition in [f"SHOP#{shop_id}", *(keys.aggregate_partition(shop_id, n) for n in range(keys.AGG_SHARDS))]:
        kwargs: dict[str, Any] = {
            "TableName": db.name,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ConsistentRead": True,
        }
        while True:
            page = db.client.query(**kwargs)
            items += [i for i in page["Items"] if not i["SK"]["S"].startswith(keys.DELIVERY_PREFIX)]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return items


def check(live: Any, db: Any, shop: dict[str, Any], key: str, response: Any, before: list[Any]) -> None:
    assert response.status_code < 500, response.text
    after = shop_items(db, shop["shop_id"])
    if response.status_code >= 400:
        assert response.json()["error"]["code"]
        assert after == before, "a refused delivery stored something"
    else:
        consistent(db, shop["shop_id"], after)
        assert live.request("GET", f"/shops/{shop['shop_id']}/report", token=key).status_code == 200


def test_any_signed_shopify_body_on_dynamodb_local(live, db, new_shop):
    shop, key = new_shop(platform="shopify", webhook_secret=SECRET)
    domain = shop["domains"][0]

    @BOUNDED
    @given(delivery=mutated_delivery(SHOPIFY_BODIES, ("5839274650112", "5839274650113")))
    def deliver(delivery: tuple[str, dict[str, Any]]) -> None:
        topic, body = delivery
        if "shop_domain" in body:
            body["shop_domain"] = domain
        raw = json.dumps(body).encode()
        before = shop_items(db, shop["shop_id"])
        response = live.request(
            "POST", "/webhooks/shopify", data=raw, headers=signers.shopify_headers(topic, domain, SECRET, raw)
        )
        check(live, db, shop, key, response, before)

    deliver()


def test_any_signed_woocommerce_body_on_dynamodb_local(live, db, new_shop):
    shop, key = new_shop(platform="woocommerce", webhook_secret=SECRET)

    @BOUNDED
    @given(delivery=mutated_delivery(WOO_BODIES, ("7321", "7322")))
    def deliver(delivery: tuple[str, dict[str, Any]]) -> None:
        topic, body = delivery
        raw = json.dumps(body).encode()
        before = shop_items(db, shop["shop_id"])
        response = live.request(
            "POST",
            f"/webhooks/woocommerce/{shop['shop_id']}",
            data=raw,
            headers=signers.woocommerce_headers(topic, SECRET, raw),
        )
        check(live, db, shop, key, response, before)

    deliver()
