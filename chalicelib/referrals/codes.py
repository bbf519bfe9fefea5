"""Where the program's codes come from, behind one small interface.

The friend's claim and the advocate's reward ask a `CodeSource` for a code and never how it is made: `PoolSource`
hands out the owner's uploaded codes (pools.py); `ShopifySource` and `WooCommerceSource` have the shop's connected
store make one code per holder (store_codes.py). A source that calls a store does so only when it is made for the due
work (`due_work=True`); in a buyer's request it answers the code already recorded, or None (the code follows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chalicelib import errors
from chalicelib.referrals.pools import claim_code
from chalicelib.referrals.store_codes import CodeOffer, ShopifySource, WooCommerceSource

if TYPE_CHECKING:
    from chalicelib.referrals import Pool
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table


class CodeSource(Protocol):
    """Hands out single-use codes. `claim` gives `holder` one code of the pool, the same code every time the same
    holder asks, or None when there is none to give now (the claim then waits for one). `email`: the holder's
    mailbox, which a store may restrict the code to; `offer`: what the code takes off, when a store makes it (the
    shop's settings for the pool unless given)."""

    @property
    def name(self) -> str:
        """The source's name, as the shop's settings say it (`pool`, `shopify`, `woocommerce`)."""
        ...

    def claim(
        self, shop: Shop, pool: Pool, holder: str, *, email: str | None = None, offer: CodeOffer | None = None
    ) -> str | None: ...


@dataclass(frozen=True)
class PoolSource:
    """The owner's uploaded codes: each handed to one holder once (chalicelib/referrals/pools.py)."""

    table: Table
    due_work: bool = False
    name: str = "pool"

    def claim(
        self, shop: Shop, pool: Pool, holder: str, *, email: str | None = None, offer: CodeOffer | None = None
    ) -> str | None:
        return claim_code(self.table, shop.shop_id, pool, holder)


# settings.referral.codes -> its source, made with (table, due_work)
SOURCES: dict[str, Callable[[Table, bool], CodeSource]] = {
    "pool": PoolSource,
    "shopify": ShopifySource,
    "woocommerce": WooCommerceSource,
}


def code_source(table: Table, kind: str = "pool", *, due_work: bool = False) -> CodeSource:
    """The source a shop's program takes its codes from (its settings' `codes`). `due_work`: the caller is the due
    work, where a store may be called; otherwise (a buyer's request) no source calls a store."""
    source = SOURCES.get(kind)
    if source is None:
        raise errors.NotFound(f"no code source {kind!r}; the sources are {', '.join(SOURCES)}", code="unknown_source")
    return source(table, due_work)
