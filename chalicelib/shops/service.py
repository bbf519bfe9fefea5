"""Tenancy: creating shops (each with its owner key, chalicelib/auth/owner_keys.py), reading and changing them."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.store import shop_records as shop_store
from chalicelib.store.shop_records import Shop

if TYPE_CHECKING:
    from collections.abc import Sequence

    from chalicelib.shops.models import ShopCreate, ShopUpdate
    from chalicelib.store.table import NamedOperation, Table


def now_iso() -> str:
    from chalicelib import clock

    return clock.iso()


def create_shop(table: Table, request: ShopCreate, *, first: bool = False) -> tuple[Shop, str]:
    """The shop and its owner key (shown once); `first`: only while the instance has no shop (409 after)."""
    from chalicelib.auth.owner_keys import hash_api_key, new_api_key

    api_key = new_api_key()
    shop = Shop(
        shop_id=request.shop_id,
        name=request.name,
        platform=request.platform,
        domains=request.domains,
        webhook_secret=request.webhook_secret,
        settings=request.settings.stored(),
        api_key_hash=hash_api_key(api_key),
        created_at=now_iso(),
    )
    shop_store.insert_shop(table, shop, first=first)
    return shop, api_key


def get_shop_or_404(table: Table, shop_id: str) -> Shop:
    shop = shop_store.get_shop(table, shop_id)
    if shop is None:
        raise errors.NotFound(f"shop {shop_id!r} does not exist", code="shop_not_found")
    return shop


def shop_view(shop: Shop) -> dict[str, Any]:
    return {
        "shop_id": shop.shop_id,
        "name": shop.name,
        "platform": shop.platform,
        "domains": shop.domains,
        "settings": shop.settings.to_map(),
        "created_at": shop.created_at,
    }


def merged_settings(stored: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """The settings a change leaves: each setting it names replaces the stored one, except in a group (a setting
    stored as a map of settings, `referral` and its offers), where the change is merged the same way, key by key.
    `email_texts` is one setting, not a group: sent whole, it replaces the stored map."""
    from chalicelib.store.shop_settings import ShopSettings

    return _merged(stored, change, _groups(ShopSettings))


def _groups(record: type[Any]) -> dict[str, Any]:
    """The groups of a settings record, each with its own groups: {"referral": {"friend_offer": {}, ...}}."""
    import dataclasses

    defaults = record()
    return {
        spec.name: _groups(type(getattr(defaults, spec.name)))
        for spec in dataclasses.fields(record)
        if dataclasses.is_dataclass(getattr(defaults, spec.name))
    }


def _merged(stored: dict[str, Any], change: dict[str, Any], groups: dict[str, Any]) -> dict[str, Any]:
    merged = {**stored, **change}
    for name, inner in groups.items():
        if isinstance(stored.get(name), dict) and isinstance(change.get(name), dict):
            merged[name] = _merged(stored[name], change[name], inner)
    return merged


def update_shop(table: Table, shop: Shop, change: ShopUpdate, also: Sequence[NamedOperation] = ()) -> Shop:
    """The shop with the owner's change, validated as a whole and written if nobody changed it meanwhile; `also`:
    writes that stand or fall with it (an experiment ended by promoting its variant, experiments/service.py)."""
    from chalicelib.http import parse_model
    from chalicelib.shops.models import ShopSettings

    settings = shop.settings
    if change.settings is not None:
        settings = parse_model(ShopSettings, merged_settings(shop.settings.to_map(), change.settings)).stored()
        named = change.settings.get("referral")
        if isinstance(named, dict) and "codes" in named:
            _codes_need_connection(table, shop, settings.referral.codes)
    updated = replace(
        shop,
        name=change.name or shop.name,
        domains=change.domains or shop.domains,
        webhook_secret=change.webhook_secret or shop.webhook_secret,
        settings=settings,
        version=shop.version + 1,
    )
    shop_store.replace_shop(table, shop, updated, also)
    return updated


def rotate_api_key(table: Table, shop: Shop) -> str:
    """A new owner key; the old one stops working and every dashboard session it opened ends."""
    from chalicelib.auth.owner_keys import hash_api_key, new_api_key

    api_key = new_api_key()
    updated = replace(shop, api_key_hash=hash_api_key(api_key), version=shop.version + 1)
    shop_store.replace_shop(table, shop, updated)
    return api_key


def save_webhook_secret(table: Table, shop: Shop, secret: str) -> tuple[Shop | None, str | None]:
    """A new webhook signing secret through PATCH's code and checks (the console's form, a store connection's app
    secret); the updated shop, or the problem in words."""
    from pydantic import ValidationError

    from chalicelib.http import validation_failed
    from chalicelib.shops.models import ShopUpdate

    secret = secret.strip()
    if shop.platform == "generic" and not secret.startswith("whsec_"):
        return None, "a Standard Webhooks secret starts with whsec_"
    try:
        change = ShopUpdate(webhook_secret=secret)
    except ValidationError as exc:
        refused = validation_failed(exc)
        problems = [str(p.get("problem")) for p in refused.details or [] if p.get("problem")]
        return None, problems[0] if problems else refused.message
    return update_shop(table, shop, change), None


def _codes_need_connection(table: Table, shop: Shop, kind: str) -> None:
    """Codes made by a store (settings.referral.codes `shopify` or `woocommerce`) need the shop connected to that
    store: 422 not_connected otherwise."""
    from chalicelib.store.connections import get_connection

    if kind == "pool":
        return
    item = get_connection(table, shop.shop_id)
    if item is None or item.get("platform") != kind:
        raise errors.ValidationFailed(
            f"codes from {kind} need the shop connected to its {kind} store first (PUT /shops/{{id}}/connection)",
            code="not_connected",
            details=[{"field": "referral.codes", "problem": f"connect the shop's {kind} store first"}],
        )
