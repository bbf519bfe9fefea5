"""The owner API keys: a key is made once (shown once), stored only as its hash, and checked against the shop."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.store import shop_records as shop_store

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

API_KEY_PREFIX = "plk_"


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(api_key.encode()).hexdigest()


def authenticate_owner(table: Table, shop_id: str, api_key: str | None, *, consistent: bool = False) -> Shop:
    """The shop in the path if the key is its owner's: 401 for no or unknown key, 403 for another shop's."""
    if not api_key:
        raise errors.Unauthorized("send Authorization: Bearer <shop API key>")
    shop, key_owner = shop_store.get_shop_and_key_owner(table, shop_id, hash_api_key(api_key), consistent=consistent)
    if key_owner is None:
        raise errors.Unauthorized("the API key is not valid")
    if key_owner != shop_id:
        raise errors.Forbidden("this API key belongs to another shop")
    if shop is None:
        raise errors.NotFound(f"shop {shop_id!r} does not exist", code="shop_not_found")
    return shop
