"""WooCommerce's REST API, as far as a connection asks it: GET /wp-json/wc/v3/system_status with HTTP Basic auth
(consumer key and secret, over HTTPS); a wrong or revoked key is 401 `woocommerce_rest_cannot_view`."""

from __future__ import annotations

import base64
from typing import Any

from tests.stand_ins.tls import Request, StandIn


class WooCommerceRest(StandIn):
    def __init__(self, cert: str, key: str) -> None:
        super().__init__(cert, key)
        self.keys: dict[tuple[str, str], str] = {}  # (consumer key, secret) -> the site's URL

    def answer(self, request: Request) -> tuple[int, Any]:
        if request.method != "GET" or request.path.split("?")[0] != "/wp-json/wc/v3/system_status":
            return 404, {"code": "rest_no_route", "message": "No route was found.", "data": {"status": 404}}
        auth = request.headers.get("authorization", "")
        pair: tuple[str, str] = ("", "")
        if auth.startswith("Basic "):
            key, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            pair = (key, secret)
        site = self.keys.get(pair)
        if site is None:
            return 401, {
                "code": "woocommerce_rest_cannot_view",
                "message": "Sorry, you cannot list resources.",
                "data": {"status": 401},
            }
        return 200, {
            "environment": {"home_url": site, "site_url": site, "version": "9.4.2", "wp_version": "6.7.1"},
            "database": {},
            "active_plugins": [],
            "settings": {"currency": "EUR"},
        }
