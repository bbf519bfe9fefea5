"""Shopify's GraphQL Admin API, in the shapes Shopify documents, for the parts proofloop calls.

POST /admin/api/<version>/graphql.json with X-Shopify-Access-Token:
- an unknown or revoked token is 401 `{"errors": "[API] Invalid API key or access token ..."}`;
- every answer carries `extensions.cost` with its `throttleStatus`; a query that costs more than is available is
  200 `{"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}` with that cost extension;
- a test can queue raw failures (`fail_next`: a 429 with Retry-After, a 5xx) and lower the bucket (`available`).

Each root field a query or mutation names is answered by a handler in `fields` (name -> handler(store,
variables) -> value). The shop and the app installation are answered here; webhooks, metafields and discounts add
their handlers from their own modules (`install(admin)`), each keeping its state on the `Store`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.stand_ins.tls import Request, StandIn

PATH = re.compile(r"^/admin/api/\d{4}-\d{2}/graphql\.json$")
TOKEN = re.compile(r"[{}()]|[A-Za-z_][A-Za-z0-9_]*(?:\s*:)?")
REVOKED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
MAXIMUM_AVAILABLE = 2000.0
RESTORE_RATE = 100.0


@dataclass
class Store:
    myshopify_domain: str
    primary_host: str
    scopes: list[str] = field(default_factory=list)
    # What the stand-in keeps per store; each feature's handlers own one of these.
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # gid -> {"id", "topic", "uri", "format"}
    products: dict[str, dict[str, Any]] = field(default_factory=dict)  # product gid -> {"metafields": {...}}
    discounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> the discount as created
    available: float = MAXIMUM_AVAILABLE  # the cost bucket, as if restored between calls (a test lowers it)


Handler = Callable[[Store, dict[str, Any]], Any]


def root_fields(query: str) -> list[str]:
    """The top-level fields a GraphQL document selects, in order (aliases read as their field; our documents pass
    values as variables, so no string literal holds a brace or a parenthesis)."""
    start = query.find("{")
    names: list[str] = []
    if start < 0:
        return names
    depth = paren = 0
    for match in TOKEN.finditer(query[start:]):
        token = match.group()
        if token in "{}()":
            depth += {"{": 1, "}": -1}.get(token, 0)
            paren += {"(": 1, ")": -1}.get(token, 0)
        elif depth == 1 and paren == 0 and not token.endswith(":"):
            names.append(token)
    return names


class ShopifyAdmin(StandIn):
    def __init__(self, cert: str, key: str) -> None:
        self.tokens: dict[str, Store] = {}
        self.fields: dict[str, Handler] = {"shop": _shop, "currentAppInstallation": _installation}
        self.fail_next: list[tuple[int, dict[str, str]]] = []  # (status, headers) answered before anything else
        self.query_cost = 10.0
        self.lock = threading.Lock()
        super().__init__(cert, key)

    def calls(self, field_name: str) -> list[dict[str, Any]]:
        """The variables of every call that selected `field_name`, in order."""
        out = []
        for request in self.requests:
            try:
                body = json.loads(request.body)
            except ValueError:
                continue
            if field_name in root_fields(body.get("query", "")):
                out.append(body.get("variables") or {})
        return out

    def answer(self, request: Request) -> tuple[int, Any]:
        if request.method != "POST" or not PATH.match(request.path):
            return 404, {"errors": "Not Found"}
        with self.lock:
            if self.fail_next:
                status, headers = self.fail_next.pop(0)
                request.reply_headers = headers
                return status, {"errors": "Internal Server Error" if status >= 500 else "Exceeded 2 calls per second"}
            store = self.tokens.get(request.headers.get("x-shopify-access-token", ""))
            if store is None:
                return 401, REVOKED
            body = json.loads(request.body)
            query, variables = body.get("query", ""), body.get("variables") or {}
            cost = self.query_cost if "mutation" in query.split("{")[0] else min(self.query_cost, 2.0)
            throttle = {"maximumAvailable": MAXIMUM_AVAILABLE, "restoreRate": RESTORE_RATE}
            if store.available < cost:
                status = {**throttle, "currentlyAvailable": store.available}
                return 200, {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": {"cost": {"requestedQueryCost": cost, "throttleStatus": status}},
                }
            data: dict[str, Any] = {}
            for name in root_fields(query):
                handler = self.fields.get(name)
                if handler is None:
                    message = (
                        f"Field '{name}' doesn't exist on type '{'Mutation' if 'mutation' in query else 'QueryRoot'}'"
                    )
                    return 200, {"errors": [{"message": message, "extensions": {"code": "undefinedField"}}]}
                data[name] = handler(store, variables)
            cost_ext = {"requestedQueryCost": cost, "actualQueryCost": cost}
            status = {**throttle, "currentlyAvailable": store.available - cost}
            return 200, {"data": data, "extensions": {"cost": {**cost_ext, "throttleStatus": status}}}


def _shop(store: Store, variables: dict[str, Any]) -> Any:
    return {"myshopifyDomain": store.myshopify_domain, "primaryDomain": {"host": store.primary_host}}


def _installation(store: Store, variables: dict[str, Any]) -> Any:
    return {"accessScopes": [{"handle": s} for s in store.scopes]}


def user_error(field_path: list[str] | None, message: str, code: str | None = None) -> dict[str, Any]:
    """One entry of a mutation's `userErrors` (`code` where the payload's error type has one)."""
    error: dict[str, Any] = {"field": field_path, "message": message}
    if code is not None:
        error["code"] = code
    return error
