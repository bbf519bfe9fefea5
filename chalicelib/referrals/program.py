"""The owner's view of a shop's referral program: its settings, its pools, its rewards and claims."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.referrals import POOLS
from chalicelib.store import referral_codes as codes

if TYPE_CHECKING:
    from chalicelib.store.table import Table


def overview(table: Table, shop_id: str) -> dict[str, Any]:
    """The shop's `settings.referral` (its defaults before the owner set any), each pool's counts,
    the rewards by state (exact: moved in each reward's own transactions, chalicelib/referrals/rewards.py) and the
    friends' claims: one consistent BatchGetItem (pattern 53)."""
    from dataclasses import asdict

    from chalicelib.store.shop_settings import ShopSettings

    shop, counts, claims, rewards = codes.overview(table, shop_id, POOLS)
    settings = asdict(ShopSettings.from_map((shop or {}).get("settings")).referral)
    return {
        "settings": _plain(settings),
        "pools": {pool: counts[pool] for pool in POOLS},
        "rewards": rewards,
        "claims": claims,
    }


def _plain(value: Any) -> Any:
    """A stored value as JSON says it: DynamoDB's numbers are Decimals (a whole one an int, any other its text)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_plain(item) for item in value]
    return value
