"""Where the program's codes come from, behind one small interface.

The friend's claim and the advocate's reward ask a `CodeSource` for a code and never how it is made: `PoolSource`
hands out the owner's uploaded codes (pools.py). A store's own API (Shopify's or WooCommerce's discount codes, made
one at a time through a store connection) will be another implementation of the same protocol, and one more entry
of SOURCES, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chalicelib import errors
from chalicelib.referrals.pools import claim_code

if TYPE_CHECKING:
    from chalicelib.referrals import Pool
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table


class CodeSource(Protocol):
    """Hands out single-use codes. `claim` gives `holder` one code of the pool, the same code every time the same
    holder asks, or None when there is none to give now (the claim then waits for one)."""

    @property
    def name(self) -> str:
        """The source's name, as the shop's settings say it (`pool`, later `shopify`, `woocommerce`)."""
        ...

    def claim(self, shop: Shop, pool: Pool, holder: str) -> str | None: ...


@dataclass(frozen=True)
class PoolSource:
    """The owner's uploaded codes: each handed to one holder once (chalicelib/referrals/pools.py)."""

    table: Table
    name: str = "pool"

    def claim(self, shop: Shop, pool: Pool, holder: str) -> str | None:
        return claim_code(self.table, shop.shop_id, pool, holder)


# settings.referral.codes -> its source
SOURCES: dict[str, type[PoolSource]] = {"pool": PoolSource}


def code_source(table: Table, kind: str = "pool") -> CodeSource:
    """The source a shop's program takes its codes from (its settings' `codes`; `pool` until store connections
    add theirs)."""
    source = SOURCES.get(kind)
    if source is None:
        raise errors.NotFound(f"no code source {kind!r}; the sources are {', '.join(SOURCES)}", code="unknown_source")
    return source(table)
