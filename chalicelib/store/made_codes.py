"""Codes a connected store made for one holder, kept as the pools keep a code handed out (pattern 65).

A store-made code is recorded only once the store has it, as the same two items a pool's hand-out writes: the code
(REFCODE#<shop>#<CODE>, handed out, never on the pool's index) and the holder's record (REFHOLDER#<pool>#<holder>),
with the code's shard counter's `handed_out` moved by one, in one transaction. So the owner's counts, a customer's
erasure (referral_codes.holder_erasure_ops), the shop's erasure and the exports read them like any other code, and
a later ask by the same holder reads its record (referral_codes.held_code) without calling the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from chalicelib import clock
from chalicelib.store import keys
from chalicelib.store import referral_codes as codes

if TYPE_CHECKING:
    from chalicelib.store.table import NamedOperation, Table

Recorded = Literal["recorded", "holder_has_one", "code_taken", "conflict"]


def record(table: Table, shop_id: str, pool: str, holder: str, code: str, source: str) -> Recorded:
    """Keep that the store made `code` for `holder`: the code's item only if no item has the code (a pool's code,
    another holder's), the holder's record only if the holder has none, and the shard's `handed_out` counter."""
    at = clock.iso()
    code_item = {
        **keys.referral_code_key(shop_id, code),
        "type": codes.CODE_TYPE,
        "shop_id": shop_id,
        "pool": pool,
        "code": code,
        "state": codes.HANDED_OUT,
        "source": source,
        "holder": holder,
        "added_at": at,
        "handed_out_at": at,
    }
    ops: list[NamedOperation] = [
        ("holder", codes.holder_op(table, shop_id, pool, holder, code, at, source=source)),
        ("code", table.put_op(code_item, "attribute_not_exists(PK)")),
        ("counter", codes.handed_out_count_op(table, shop_id, pool, code)),
    ]
    return codes.write_hand_out(table, ops) or "recorded"
