"""Connect a shop to its store, show the connection, forget it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.store import connections as records

if TYPE_CHECKING:
    from chalicelib.connections.models import ConnectionIn
    from chalicelib.safe_http import Resolver
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table


def _view(item: dict[str, Any]) -> dict[str, Any]:
    """What the owner sees: never the sealed credential, nor anything of it."""
    return {
        "platform": item["platform"],
        "store": item["store"],
        "scopes": list(item.get("scopes") or []),
        "failures": {"count": int(item.get("failure_count") or 0), "last": item.get("last_failure")},
        "missing_scopes": [
            {"scope": m["scope"], "needed_for": m["needed_for"]} for m in item.get("missing_scopes") or []
        ],
        "webhooks": [],  # registration is not built yet: nothing registered
    }


def connect(table: Table, shop: Shop, body: ConnectionIn, resolve: Resolver | None = None) -> dict[str, Any]:
    """Check the credential against the shop's store, then keep it sealed: 422 credential_refused when the store
    says no, 409 other_store when it is another store, 503 store_unreachable when the store cannot be asked."""
    from chalicelib.connections import sealing, stores

    platform = body.platform
    if platform != shop.platform:
        raise errors.ValidationFailed(
            f"this shop is a {shop.platform} shop; send a {shop.platform} credential", code="platform_mismatch"
        )
    credential: dict[str, Any]
    if body.shopify is not None:
        credential = {"access_token": body.shopify.access_token}
        check = stores.check_shopify(shop.domains, body.shopify.access_token, resolve)
    else:
        assert body.woocommerce is not None
        credential = {
            "consumer_key": body.woocommerce.consumer_key,
            "consumer_secret": body.woocommerce.consumer_secret,
        }
        check = stores.check_woocommerce(
            shop.domains, body.woocommerce.consumer_key, body.woocommerce.consumer_secret, resolve
        )
    domains = {d.lower() for d in shop.domains}
    if not domains & set(check.hosts):
        raise errors.Conflict(
            f"the credential is for {check.store}, which is not among the shop's domains", code="other_store"
        )
    item = {
        "platform": platform,
        "store": check.store,
        "api_host": check.api_host,
        "scopes": check.scopes,
        "missing_scopes": check.missing,
        "sealed": sealing.seal(shop.shop_id, platform, credential),
        "scheme": sealing.SCHEME,
        "checked_at": clock.iso(clock.now()),
    }
    records.put_connection(table, shop.shop_id, item)
    return _view(item)


def connection(table: Table, shop: Shop) -> dict[str, Any]:
    item = records.get_connection(table, shop.shop_id)
    if item is None:
        raise errors.NotFound("this shop is not connected to its store", code="not_connected")
    return _view(item)


def disconnect(table: Table, shop: Shop) -> None:
    """Forget the credential (removing our webhooks from the store comes with their registration)."""
    records.delete_connection(table, shop.shop_id)


def forget(table: Table, shop_id: str) -> None:
    """A shop's erasure: the credential goes at once, before any page of the erasure runs."""
    records.delete_connection(table, shop_id)
