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


def _view(item: dict[str, Any], shop: Shop) -> dict[str, Any]:
    """What the owner sees: never the sealed credential, nor anything of it."""
    from chalicelib.connections import webhooks

    return {
        "platform": item["platform"],
        "store": item["store"],
        "scopes": list(item.get("scopes") or []),
        "failures": {"count": int(item.get("failure_count") or 0), "last": item.get("last_failure")},
        "missing_scopes": [
            {"scope": m["scope"], "needed_for": m["needed_for"]} for m in item.get("missing_scopes") or []
        ],
        "webhooks": webhooks.view(item.get("webhooks") or [], webhooks.address(shop)),
        "manual_topics": list(webhooks.MANUAL_TOPICS.get(item["platform"], ())),
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
    previous = records.get_connection(table, shop.shop_id)
    if previous is not None and previous.get("platform") == platform and previous.get("webhooks"):
        item["webhooks"] = previous["webhooks"]  # which subscriptions are ours outlives a new credential
    records.put_connection(table, shop.shop_id, item)
    if platform == "shopify" and not any(m["scope"] == "write_products" for m in check.missing):
        from chalicelib.connections.ratings import mark_every_product

        mark_every_product(table, shop)  # stars already earned reach the store's own data with the first run
    if body.shopify is not None and body.shopify.api_secret_key is not None:
        shop = _signing_secret(table, shop, body.shopify.api_secret_key)
    return register(table, shop, resolve)


def _signing_secret(table: Table, shop: Shop, secret: str) -> Shop:
    """The app's client secret becomes the shop's webhook signing secret, through the console's own path."""
    from chalicelib.shops.service import save_webhook_secret

    updated, problem = save_webhook_secret(table, shop, secret)
    if updated is None:
        raise errors.ValidationFailed(f"api_secret_key: {problem}", code="invalid_secret")
    return updated


def register(table: Table, shop: Shop, resolve: Resolver | None = None) -> dict[str, Any]:
    """Register the shop's webhooks with its stored credential and answer the view; 404 not_connected without one."""
    from chalicelib.connections import webhooks
    from chalicelib.connections.api import store_api

    api = store_api(table, shop, resolve)
    if api is None:
        raise _not_connected()
    webhooks.register_webhooks(table, shop, api)
    item = records.get_connection(table, shop.shop_id)
    if item is None:  # forgotten meanwhile (a DELETE, an erasure)
        raise _not_connected()
    return _view(item, shop)


def _not_connected() -> errors.NotFound:
    return errors.NotFound("this shop is not connected to its store", code="not_connected")


def connection(table: Table, shop: Shop) -> dict[str, Any]:
    item = records.get_connection(table, shop.shop_id)
    if item is None:
        raise _not_connected()
    return _view(item, shop)


def disconnect(table: Table, shop: Shop, resolve: Resolver | None = None) -> None:
    """Remove the webhooks we registered (best effort: a store that cannot be asked, a credential that no longer
    opens, still lets the owner forget it), then forget the credential."""
    from chalicelib.connections import webhooks
    from chalicelib.connections.api import store_api
    from chalicelib.observability import logger

    try:
        api = store_api(table, shop, resolve)
        left = webhooks.remove_webhooks(table, shop, api) if api is not None else []
    except errors.ProofloopError as exc:
        logger.warning("store webhooks not removed", extra={"code": exc.code})
    else:
        if left:
            logger.warning("store webhooks not removed", extra={"code": "store_webhooks_left", "count": len(left)})
    records.delete_connection(table, shop.shop_id)


def forget(table: Table, shop_id: str) -> None:
    """A shop's erasure: the credential goes at once, before any page of the erasure runs."""
    records.delete_connection(table, shop_id)
