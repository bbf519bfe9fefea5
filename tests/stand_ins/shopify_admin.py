"""Shopify's GraphQL Admin API, as far as a connection asks it: the shop and the token's access scopes.

POST /admin/api/<version>/graphql.json with X-Shopify-Access-Token; an unknown or revoked token is 401
`{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tests.stand_ins.tls import Request, StandIn

PATH = re.compile(r"^/admin/api/\d{4}-\d{2}/graphql\.json$")


@dataclass
class Store:
    myshopify_domain: str
    primary_host: str
    scopes: list[str] = field(default_factory=list)


class ShopifyAdmin(StandIn):
    def __init__(self, cert: str, key: str) -> None:
        super().__init__(cert, key)
        self.tokens: dict[str, Store] = {}

    def answer(self, request: Request) -> tuple[int, Any]:
        if request.method != "POST" or not PATH.match(request.path):
            return 404, {"errors": "Not Found"}
        store = self.tokens.get(request.headers.get("x-shopify-access-token", ""))
        if store is None:
            return 401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
        query = json.loads(request.body).get("query", "")
        data: dict[str, Any] = {}
        if "shop" in query:
            data["shop"] = {"myshopifyDomain": store.myshopify_domain, "primaryDomain": {"host": store.primary_host}}
        if "currentAppInstallation" in query:
            data["currentAppInstallation"] = {"accessScopes": [{"handle": s} for s in store.scopes]}
        cost = {"requestedQueryCost": 2, "actualQueryCost": 2}
        throttle = {"maximumAvailable": 2000.0, "currentlyAvailable": 1998, "restoreRate": 100.0}
        return 200, {"data": data, "extensions": {"cost": {**cost, "throttleStatus": throttle}}}
