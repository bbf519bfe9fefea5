"""Unit-tier helpers for webhook tests: a Shopify/Woo/generic shop and a delivery sender."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from chalicelib.store import aggregates, keys
from tests import signers

SHOPIFY_SECRET = "shpss_0123456789abcdef0123456789abcdef"
WOO_SECRET = "wc-secret-7f3a9b2c1d4e5f60"


@contextmanager
def calls(client: Any) -> Iterator[list[str]]:
    """Every DynamoDB request sent meanwhile, by operation, in order (our code sends them one after another)."""
    sent: list[str] = []

    def note(model: Any, **_: Any) -> None:
        sent.append(model.name)

    client.meta.events.register("before-call.dynamodb", note)
    try:
        yield sent
    finally:
        client.meta.events.unregister("before-call.dynamodb", note)


def totals(table: Any, shop_id: str) -> dict[str, Decimal]:
    summed: dict[str, Decimal] = {}
    for day in aggregates.read_days(table, shop_id, "2000-01-01", "2999-12-31").values():
        for name, value in day.items():
            summed[name] = summed.get(name, Decimal(0)) + value
    return summed


def order_item(table: Any, shop_id: str, order_id: str) -> dict[str, Any] | None:
    return table.get(keys.order_key(shop_id, order_id))


class ShopifyStore:
    def __init__(self, api: Any) -> None:
        body, self.api_key = api.create_shop(platform="shopify", webhook_secret=SHOPIFY_SECRET)
        self.api = api
        self.shop_id = body["shop_id"]
        self.domain = body["domains"][0]

    def privacy_body(self, name: str) -> dict[str, Any]:
        """A privacy webhook fixture as Shopify would send it to this shop: naming this shop's domain."""
        return {**signers.fixture(name), "shop_domain": self.domain}

    def send(
        self,
        topic: str,
        payload: dict[str, Any],
        webhook_id: str | None = None,
        secret: str = SHOPIFY_SECRET,
        header_case: str = "title",
    ) -> Any:
        raw = json.dumps(payload).encode()
        headers = signers.shopify_headers(topic, self.domain, secret, raw, webhook_id)
        if header_case == "lower":
            headers = {k.lower(): v for k, v in headers.items()}
        return self.api.request("POST", "/webhooks/shopify", raw=raw, headers=headers)


class WooStore:
    def __init__(self, api: Any, domains: list[str] | None = None) -> None:
        body, self.api_key = api.create_shop(
            platform="woocommerce", webhook_secret=WOO_SECRET, domains=domains or ["gruen-laden.example"]
        )
        self.api = api
        self.shop_id = body["shop_id"]

    def send(self, topic: str, payload: dict[str, Any], secret: str = WOO_SECRET) -> Any:
        raw = json.dumps(payload).encode()
        return self.api.request(
            "POST",
            f"/webhooks/woocommerce/{self.shop_id}",
            raw=raw,
            headers=signers.woocommerce_headers(topic, secret, raw),
        )
