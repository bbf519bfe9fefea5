"""The stand-ins' network and the shops that use them, as pytest fixtures (loaded by tests/conftest.py).

`shopify` and `woo` are loopback HTTPS stand-ins whose certificate names the test stores; the stores' names
resolve to 127.0.0.1 and port 443 is the stand-in's, so nothing beyond loopback is ever dialled."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from chalicelib import safe_http
from tests.stand_ins import (
    shopify_discounts,
    shopify_metafields,
    shopify_webhooks,
    woocommerce_coupons,
    woocommerce_webhooks,
)
from tests.stand_ins.shopify_admin import ShopifyAdmin, Store
from tests.stand_ins.tls import certificate
from tests.stand_ins.woocommerce_rest import WooCommerceRest

SHOPIFY_DOMAIN = "trail-summit.myshopify.com"
SHOP_HOST = "trailsummit.example"
WOO_HOST = "gruen-laden.example"
NAMES = [SHOPIFY_DOMAIN, SHOP_HOST, WOO_HOST]
TOKEN = "shpat_" + "0123456789abcdef" * 2
REVOKED = "shpat_" + "fedcba9876543210" * 2
OTHER_TOKEN = "shpat_" + "00112233445566778899aabbccddeeff"
CK = "ck_" + "1a2b3c4d5e" * 4
CS = "cs_" + "9f8e7d6c5b" * 4
ALL_SCOPES = ["read_orders", "write_products", "write_discounts"]

# What a connection registers, as the tests expect it (webhook_health.TOPICS less what no API may subscribe):
# Shopify's topics as deliveries name them and as its WebhookSubscriptionTopic enum does, WooCommerce's.
SHOPIFY_TOPICS = [
    "orders/create",
    "orders/paid",
    "orders/updated",
    "orders/fulfilled",
    "orders/cancelled",
    "fulfillment_events/create",
    "refunds/create",
    "products/create",
    "products/update",
]
SHOPIFY_ENUMS = [topic.upper().replace("/", "_") for topic in SHOPIFY_TOPICS]
WOO_TOPICS = ["order.created", "order.updated", "order.restored", "product.created", "product.updated"]

_real_create_connection = socket.create_connection


@pytest.fixture
def tls(tmp_path, monkeypatch) -> tuple[str, str]:
    cert, key = certificate(tmp_path, NAMES)
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # the client's default context trusts this one CA only
    return cert, key


def _point_at(monkeypatch, port: int) -> list[tuple[str, int]]:
    """The stores' names resolve to 127.0.0.1, and their port 443 is the stand-in's; nothing else is dialled."""
    dialled: list[tuple[str, int]] = []

    def resolve(host: str, port_: int) -> list[str]:
        if host not in NAMES:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not in the test's DNS")
        return ["127.0.0.1"]

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        dialled.append(address)
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(f"test guard: no traffic to {address[0]}")
        return _real_create_connection(("127.0.0.1", port if address[1] == 443 else address[1]), *args, **kwargs)

    monkeypatch.setattr(safe_http, "resolve_addresses", resolve)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return dialled


@pytest.fixture
def shopify(tls, monkeypatch):
    stand_in = ShopifyAdmin(*tls)
    shopify_webhooks.install(stand_in)
    stand_in.tokens[TOKEN] = Store(SHOPIFY_DOMAIN, SHOP_HOST, ["read_orders", "read_products", "write_discounts"])
    stand_in.tokens[OTHER_TOKEN] = Store("someone-else.myshopify.com", "someone-else.example", ALL_SCOPES)
    stand_in.dialled = _point_at(monkeypatch, stand_in.port)
    shopify_discounts.install(stand_in)
    shopify_metafields.install(stand_in)
    yield stand_in
    stand_in.close()


@pytest.fixture
def woo(tls, monkeypatch):
    stand_in = WooCommerceRest(*tls)
    woocommerce_webhooks.install(stand_in)
    stand_in.keys[(CK, CS)] = f"https://{WOO_HOST}"
    woocommerce_coupons.install(stand_in)
    _point_at(monkeypatch, stand_in.port)
    yield stand_in
    stand_in.close()


@pytest.fixture
def shopify_shop(api):
    body, key = api.create_shop(platform="shopify", domains=[SHOP_HOST, SHOPIFY_DOMAIN])
    return body["shop_id"], key


@pytest.fixture
def woo_shop(api):
    body, key = api.create_shop(platform="woocommerce", domains=[WOO_HOST])
    return body["shop_id"], key


def connect(api, shop, body) -> Any:
    shop_id, key = shop
    return api.request("PUT", f"/shops/{shop_id}/connection", body, token=key)


def scan(table) -> str:
    items = table.client.scan(TableName=table.name)["Items"]
    return json.dumps(items, default=str)
