"""What a store's own API says of a credential: whose store it is and what it may do.

Every call goes through chalicelib/safe_http.py: the host resolved once, every address public (loopback in a local
run), that address dialled over HTTPS, no redirects. Shopify is asked at the shop's `*.myshopify.com` domain only;
WooCommerce at the shop's own domain. The credential travels in a header, never in a URL.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib import errors

if TYPE_CHECKING:
    from chalicelib.safe_http import Answer, Resolver

# The newest stable version (October 2026), whose documented shapes the stand-ins answer: `uri` on webhook
# subscriptions, `context` on code discounts. Shopify keeps a
# version for at least twelve months, then answers with the oldest one it still supports: move it with each release.
SHOPIFY_API_VERSION = "2026-10"
SHOPIFY_QUERY = "{ shop { myshopifyDomain primaryDomain { host } } currentAppInstallation { accessScopes { handle } } }"
MAX_ANSWER_BYTES = 256 * 1024

# The scopes proofloop uses, and what for; a write scope grants its read scope.
SHOPIFY_NEEDS: tuple[tuple[str, str], ...] = (
    ("read_orders", "order webhooks (review requests and referrals)"),
    ("write_products", "star ratings in the products' reviews.rating metafields, and product webhooks"),
    ("write_discounts", "give-get codes made by the store"),
)


@dataclass(frozen=True)
class StoreCheck:
    """The store's own domain, and hosts it also answers for; the credential's scopes and those missing."""

    store: str
    hosts: tuple[str, ...]
    scopes: list[str]
    missing: list[dict[str, str]] = field(default_factory=list)
    api_host: str = ""  # the host its API was asked at, and will be again


def _refused(platform: str) -> errors.ValidationFailed:
    return errors.ValidationFailed(
        f"the store refused the {platform} credential (revoked, mistyped, or without API access)",
        code="credential_refused",
    )


def _unreachable(detail: str) -> errors.RetryLater:
    return errors.RetryLater(f"the store could not be asked ({detail}); try again shortly", code="store_unreachable")


def _ask(
    method: str, url: str, headers: dict[str, str], body: bytes | None, platform: str, resolve: Resolver | None
) -> Any:
    from chalicelib.config import get_settings
    from chalicelib.safe_http import exchange

    try:
        answer: Answer | None = exchange(
            method,
            url,
            headers={"User-Agent": "proofloop-connect/1", "Accept": "application/json", **headers},
            body=body,
            max_bytes=MAX_ANSWER_BYTES,
            allow_loopback=get_settings().is_dev,
            resolve=resolve,
        )
    except errors.ValidationFailed as exc:
        raise errors.ValidationFailed(
            f"the store's address is not allowed: {exc.message}", code="store_address_refused"
        ) from None
    if answer is None:
        raise _unreachable("no answer")
    if answer.status in (401, 403):
        raise _refused(platform)
    if answer.status == 404:
        raise errors.ValidationFailed(f"no {platform} API answers at the shop's domain", code="store_api_not_found")
    if answer.status != 200:
        raise _unreachable(f"it answered {answer.status}")
    try:
        return json.loads(answer.body)
    except ValueError:
        raise _unreachable("its answer was not JSON") from None


def _shopify_domain(domains: list[str]) -> str:
    for host in domains:
        if host.lower().endswith(".myshopify.com"):
            return host.lower()
    raise errors.ValidationFailed(
        "add the store's *.myshopify.com domain to the shop's domains first: Shopify's API is asked there only",
        code="no_myshopify_domain",
    )


def check_shopify(domains: list[str], token: str, resolve: Resolver | None = None) -> StoreCheck:
    host = _shopify_domain(domains)
    data = _ask(
        "POST",
        f"https://{host}/admin/api/{SHOPIFY_API_VERSION}/graphql.json",
        {"Content-Type": "application/json", "X-Shopify-Access-Token": token},
        json.dumps({"query": SHOPIFY_QUERY}).encode(),
        "shopify",
        resolve,
    )
    try:
        shop = data["data"]["shop"]
        store = str(shop["myshopifyDomain"]).lower()
        primary = str((shop.get("primaryDomain") or {}).get("host") or "").lower()
        handles = sorted({str(s["handle"]) for s in data["data"]["currentAppInstallation"]["accessScopes"]})
    except (KeyError, TypeError):
        if isinstance(data, dict) and data.get("errors"):
            raise _refused("shopify") from None  # a GraphQL error for the query itself: access denied
        raise _unreachable("its answer had an unexpected shape") from None
    granted = set(handles) | {"read_" + h.removeprefix("write_") for h in handles if h.startswith("write_")}
    missing = [{"scope": scope, "needed_for": why} for scope, why in SHOPIFY_NEEDS if scope not in granted]
    return StoreCheck(store, tuple(h for h in (store, primary) if h), handles, missing, host)


def check_woocommerce(domains: list[str], key: str, secret: str, resolve: Resolver | None = None) -> StoreCheck:
    host = domains[0].lower()
    basic = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
    data = _ask(
        "GET",
        f"https://{host}/wp-json/wc/v3/system_status",
        {"Authorization": f"Basic {basic}"},
        None,
        "woocommerce",
        resolve,
    )
    from urllib.parse import urlsplit

    try:
        environment = data["environment"]
        hosts = [urlsplit(str(environment[k])).hostname or "" for k in ("home_url", "site_url") if environment.get(k)]
    except (KeyError, TypeError):
        raise _unreachable("its answer had an unexpected shape") from None
    hosts = [h.lower() for h in hosts if h]
    if not hosts:
        raise _unreachable("its answer named no site")
    # A REST key's permission (read, write, read_write) is not in any read-only answer: reading worked.
    return StoreCheck(hosts[0], tuple(hosts), ["read"], [], host)
