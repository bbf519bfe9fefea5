"""WooCommerce's REST API (wc/v3), in the shapes WooCommerce documents, for the parts proofloop calls.

HTTP Basic auth with the consumer key and secret, over HTTPS; a wrong or revoked key is 401
`woocommerce_rest_cannot_view`; an unknown route is 404 `rest_no_route`; a test can queue raw failures (`fail_next`:
a 429 with Retry-After, a 5xx). The system status is answered here; webhooks and coupons add their routes from their
own modules (`install(rest)`), each keeping its state on the `Site`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.stand_ins.tls import Request, StandIn

PREFIX = "/wp-json/wc/v3"
NO_ROUTE = {
    "code": "rest_no_route",
    "message": "No route was found matching the URL and request method.",
    "data": {"status": 404},
}


@dataclass
class Site:
    url: str  # the site's home URL, https://host
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> the webhook as WooCommerce shows it
    coupons: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> the coupon as WooCommerce shows it
    next_id: int = 100


# handler(site, match, query, body) -> (status, json)
Route = Callable[[Site, "re.Match[str]", dict[str, str], Any], tuple[int, Any]]


def rest_error(status: int, code: str, message: str) -> tuple[int, Any]:
    return status, {"code": code, "message": message, "data": {"status": status}}


class WooCommerceRest(StandIn):
    def __init__(self, cert: str, key: str) -> None:
        self.keys: dict[tuple[str, str], str] = {}  # (consumer key, secret) -> the site's URL
        self.sites: dict[str, Site] = {}  # the site's URL -> what it keeps
        self.routes: list[tuple[str, re.Pattern[str], Route]] = [("GET", re.compile(r"^/system_status$"), _status)]
        self.fail_next: list[tuple[int, dict[str, str]]] = []
        self.lock = threading.Lock()
        super().__init__(cert, key)

    def site(self, url: str) -> Site:
        return self.sites.setdefault(url, Site(url))

    def answer(self, request: Request) -> tuple[int, Any]:
        path, _, query_string = request.path.partition("?")
        with self.lock:
            if self.fail_next:
                status, headers = self.fail_next.pop(0)
                request.reply_headers = headers
                return status, {"code": "internal_server_error", "message": "Error", "data": {"status": status}}
            if not path.startswith(PREFIX):
                return 404, NO_ROUTE
            auth = request.headers.get("authorization", "")
            pair: tuple[str, str] = ("", "")
            if auth.startswith("Basic "):
                key, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                pair = (key, secret)
            url = self.keys.get(pair)
            if url is None:
                return rest_error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
            query = dict(part.partition("=")[::2] for part in query_string.split("&") if part)
            body = json.loads(request.body) if request.body else None
            for method, pattern, route in self.routes:
                match = pattern.match(path[len(PREFIX) :])
                if match and method == request.method:
                    return route(self.site(url), match, query, body)
            return 404, NO_ROUTE


def _status(site: Site, match: re.Match[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
    return 200, {
        "environment": {"home_url": site.url, "site_url": site.url, "version": "9.4.2", "wp_version": "6.7.1"},
        "database": {},
        "active_plugins": [],
        "settings": {"currency": "EUR"},
    }
