"""Calls to a connected store's own API, for the due work: Shopify's GraphQL Admin API, WooCommerce's REST API.

`store_api(table, shop)` opens the shop's sealed credential and gives a client, or None when the shop is not
connected. Every call goes through chalicelib/safe_http.py (the shop's `*.myshopify.com` only for Shopify; the shop's
own domain over HTTPS for WooCommerce) and either returns the parsed answer or raises `StoreCallFailed`, which says
whether the call may pass later and when: Shopify's cost-based throttle (`extensions.cost.throttleStatus`), a 429
and its Retry-After, a 5xx or no answer at all are `retryable`; a refused credential (401/403), a missing route or
object (404) and an answer of the wrong shape are not. Nothing here waits or retries: the due job that called puts its
item off (chalicelib/backoff.py), so no webhook and no buyer's request ever waits on a store.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from chalicelib.safe_http import Answer, Resolver
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

MAX_ANSWER_BYTES = 1024 * 1024
USER_AGENT = "proofloop-store/1"

FailureKind = Literal["throttled", "unavailable", "refused", "not_found", "unexpected"]


class StoreCallFailed(Exception):
    """A call to the store did not do its work. `retryable`: the same call may pass later, not before
    `retry_after` seconds when the store said how long (its throttle, a Retry-After header)."""

    def __init__(self, kind: FailureKind, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.kind: FailureKind = kind
        self.reason = reason
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in ("throttled", "unavailable")


def _retry_after(header: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds only; a date is read as no advice)."""
    if header is None:
        return None
    try:
        seconds = float(header.strip())
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 3600 else None


def _exchange(method: str, url: str, headers: dict[str, str], body: bytes | None, resolve: Resolver | None) -> Answer:
    from chalicelib import errors
    from chalicelib.config import get_settings
    from chalicelib.safe_http import exchange

    try:
        answer = exchange(
            method,
            url,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers},
            body=body,
            max_bytes=MAX_ANSWER_BYTES,
            allow_loopback=get_settings().is_dev,
            resolve=resolve,
        )
    except errors.ValidationFailed as exc:
        raise StoreCallFailed("refused", f"the store's address is not allowed: {exc.message}") from None
    if answer is None:
        raise StoreCallFailed("unavailable", "the store did not answer (refused, timed out, or too large)")
    if answer.status == 429:
        raise StoreCallFailed("throttled", "the store asked us to slow down (429)", _retry_after(answer.retry_after))
    if answer.status >= 500:
        raise StoreCallFailed("unavailable", f"the store answered {answer.status}", _retry_after(answer.retry_after))
    if answer.status in (401, 403):
        raise StoreCallFailed("refused", "the store refused the credential (revoked, or without the needed access)")
    return answer


def _json(answer: Answer) -> Any:
    try:
        return json.loads(answer.body)
    except ValueError:
        raise StoreCallFailed("unexpected", "the store's answer was not JSON") from None


@dataclass(frozen=True)
class Throttle:
    """Shopify's cost-based throttle as one answer reports it."""

    requested: float
    available: float
    restore_rate: float

    def wait_seconds(self) -> float:
        """How long until a query of the requested cost fits (at least one second)."""
        missing = max(self.requested - self.available, 0.0)
        return max(1.0, math.ceil(missing / self.restore_rate)) if self.restore_rate > 0 else 60.0


def _throttle(data: dict[str, Any]) -> Throttle | None:
    try:
        cost = data["extensions"]["cost"]
        status = cost["throttleStatus"]
        return Throttle(
            float(cost["requestedQueryCost"]), float(status["currentlyAvailable"]), float(status["restoreRate"])
        )
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ShopifyApi:
    """The GraphQL Admin API of one store, at its `*.myshopify.com` domain, in the pinned API version."""

    host: str
    token: str
    resolve: Resolver | None = None
    platform: str = "shopify"

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The answer's `data`. A THROTTLED error is retryable after the throttle's own wait; any other top-level
        GraphQL error is `unexpected` (a mutation's userErrors are in `data`, for the caller to read)."""
        from chalicelib.connections.stores import SHOPIFY_API_VERSION

        answer = _exchange(
            "POST",
            f"https://{self.host}/admin/api/{SHOPIFY_API_VERSION}/graphql.json",
            {"Content-Type": "application/json", "X-Shopify-Access-Token": self.token},
            json.dumps({"query": query, "variables": variables or {}}).encode(),
            self.resolve,
        )
        if answer.status == 404:
            raise StoreCallFailed("not_found", "no Shopify Admin API answers at the store's domain")
        if answer.status != 200:
            raise StoreCallFailed("unexpected", f"the store answered {answer.status}")
        body = _json(answer)
        if not isinstance(body, dict):
            raise StoreCallFailed("unexpected", "the store's answer had an unexpected shape")
        problems = body.get("errors")
        if problems:
            codes = (
                {str((p.get("extensions") or {}).get("code", "")) for p in problems if isinstance(p, dict)}
                if isinstance(problems, list)
                else set()
            )
            if "THROTTLED" in codes:
                throttle = _throttle(body)
                wait = throttle.wait_seconds() if throttle else 2.0
                raise StoreCallFailed("throttled", "Shopify's query cost limit is reached for now", wait)
            if "ACCESS_DENIED" in codes:
                raise StoreCallFailed("refused", "the access token lacks a scope this call needs")
            first = problems[0] if isinstance(problems, list) and problems else problems
            message = first.get("message") if isinstance(first, dict) else str(first)
            raise StoreCallFailed("unexpected", f"Shopify refused the query: {str(message)[:200]}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise StoreCallFailed("unexpected", "the store's answer had no data")
        return data


@dataclass(frozen=True)
class WooCommerceApi:
    """The REST API (wc/v3) of one WooCommerce store at the shop's own domain, over HTTPS with HTTP Basic auth."""

    host: str
    consumer_key: str
    consumer_secret: str
    resolve: Resolver | None = None
    platform: str = "woocommerce"

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, parsed JSON) for a 2xx or 4xx answer; `path` is under /wp-json/wc/v3 and starts with '/'.
        A 404 is `not_found`; other 4xx answers are the caller's to read (WooCommerce's `{"code", "message"}`)."""
        if not path.startswith("/"):
            raise ValueError("the path starts with '/'")
        basic = base64.b64encode(f"{self.consumer_key}:{self.consumer_secret}".encode()).decode("ascii")
        headers = {"Authorization": f"Basic {basic}"}
        raw = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            raw = json.dumps(body).encode()
        answer = _exchange(method, f"https://{self.host}/wp-json/wc/v3{path}", headers, raw, self.resolve)
        if answer.status == 404:
            raise StoreCallFailed("not_found", f"the store has no {path.split('?')[0]}")
        return answer.status, _json(answer) if answer.body else None


StoreApi = ShopifyApi | WooCommerceApi


def store_api(table: Table, shop: Shop, resolve: Resolver | None = None) -> StoreApi | None:
    """A client for the shop's connected store, or None when the shop has no connection."""
    from chalicelib.connections import sealing
    from chalicelib.store import connections as records

    item = records.get_connection(table, shop.shop_id)
    if item is None:
        return None
    credential = sealing.unseal(shop.shop_id, item["platform"], item["sealed"])
    if item["platform"] == "shopify":
        return ShopifyApi(str(item.get("api_host") or item["store"]), credential["access_token"], resolve)
    return WooCommerceApi(
        str(item.get("api_host") or shop.domains[0]), credential["consumer_key"], credential["consumer_secret"], resolve
    )


FAILURE_METRIC = "StoreCallFailed"  # one metric for every failed call to a store; the kind is in the log line


def record_failure(table: Table, shop_id: str, what: str, kind: str, reason: str, *, note: bool = True) -> None:
    """One failed call to the shop's store: counted on the connection (the connect page shows the count and the last
    one), as the StoreCallFailed metric, and in a log line with its kind. `note=False` when there is no connection
    left to count it on."""
    from chalicelib import clock
    from chalicelib.observability import logger, metrics
    from chalicelib.store.connections import note_failure

    if note:
        note_failure(table, shop_id, {"at": clock.iso(), "what": what, "kind": kind, "reason": reason})
    metrics.add_metric(name=FAILURE_METRIC, unit="Count", value=1)
    logger.warning("store call failed", extra={"shop_id": shop_id, "what": what, "kind": kind, "reason": reason})
