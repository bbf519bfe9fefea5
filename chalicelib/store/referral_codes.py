"""Referral code pools in the table: every expression that adds, counts and hands out a code (patterns 51 to 53).

A code is one item, keyed by the code without regard to case (keys.referral_code_id), whichever pool it is in:
a Put on the condition that it is not there yet is what makes a code `already` in either pool. While available it
carries GSI1 keys on its pool's shard of the index; handing it out REMOVEs them in the same transaction that Puts
the holder's record (on the condition that the holder has none) and moves the shard's counters, so the counters
are exact and a code goes to one holder only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from chalicelib import clock
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed, TransactionConflict

if TYPE_CHECKING:
    from chalicelib.store.table import NamedOperation, Operation, Table

CODE_TYPE = "referral_code"
HOLDER_TYPE = "referral_holder"
COUNT_TYPE = "referral_pool_count"
CLAIMS_TYPE = "referral_claims"
AVAILABLE = "available"
HANDED_OUT = "handed_out"
TRANSACTION_ACTIONS = 100  # DynamoDB takes 100 actions a transaction (so do moto 5 and DynamoDB Local 2)
CODES_PER_TRANSACTION = TRANSACTION_ACTIONS - 1  # and the shard's counter
CANDIDATES = 25  # available codes read from a shard at a time; a claimant picks one of them at random

HandOut = Literal["handed_out", "code_taken", "holder_has_one", "conflict"]


@dataclass(frozen=True)
class Written:
    """What one group's transaction did: the codes it stored, and those some item already held."""

    added: list[str]
    already: list[str]


def _code_item(shop_id: str, pool: str, code: str, stamp: str) -> dict[str, Any]:
    return {
        **keys.referral_code_key(shop_id, code),
        **keys.referral_available_keys(shop_id, pool, code, stamp),
        "type": CODE_TYPE,
        "shop_id": shop_id,
        "pool": pool,
        "code": code,
        "state": AVAILABLE,
        "added_at": clock.iso(),
    }


def _count_op(table: Table, shop_id: str, pool: str, shard: int, available: int, handed_out: int = 0) -> Operation:
    expression = "SET #type = :type, #pool = :pool ADD #available :available"
    names = {"#type": "type", "#pool": "pool", "#available": AVAILABLE}
    values: dict[str, Any] = {":type": COUNT_TYPE, ":pool": pool, ":available": available}
    if handed_out:
        expression += ", #handed_out :handed_out"
        names["#handed_out"] = HANDED_OUT
        values[":handed_out"] = handed_out
    return table.update_op(keys.referral_pool_count_key(shop_id, pool, shard), expression, names=names, values=values)


def write_codes(table: Table, shop_id: str, pool: str, shard: int, codes: list[str]) -> Written:
    """Put codes of one shard (at most CODES_PER_TRANSACTION, distinct by id) that no item holds yet, and add
    them to the shard's `available`, in one transaction. A code whose condition fails is `already`: the group
    is written again without it. A conflict with a claim on the same counter raises TransactionConflict; the
    caller tries again."""
    if len(codes) > CODES_PER_TRANSACTION:
        raise ValueError(f"at most {CODES_PER_TRANSACTION} codes a transaction")
    remaining = list(codes)
    already: list[str] = []
    stamp = clock.stamp()
    while remaining:
        ops: list[NamedOperation] = [
            (f"code:{code}", table.put_op(_code_item(shop_id, pool, code, stamp), "attribute_not_exists(PK)"))
            for code in remaining
        ]
        ops.append(("counter", _count_op(table, shop_id, pool, shard, len(remaining))))
        try:
            table.transact(ops)
        except ConditionFailed as exc:
            taken = [code for code in remaining if exc.failed(f"code:{code}")]
            if not taken:
                raise
            already += taken
            remaining = [code for code in remaining if code not in taken]
            continue
        return Written(added=remaining, already=already)
    return Written(added=[], already=already)


def pool_counts(table: Table, shop_id: str, pools: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Each pool's `available` and `handed_out`, summed over its shards (one consistent BatchGetItem)."""
    return _counts(_read_counts(table, shop_id, pools), pools)


def _count_keys(shop_id: str, pools: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        keys.referral_pool_count_key(shop_id, pool, shard)
        for pool in pools
        for shard in range(keys.REFERRAL_POOL_SHARDS)
    ]


def _read_counts(table: Table, shop_id: str, pools: tuple[str, ...], *extra: dict[str, str]) -> list[dict[str, Any]]:
    return table.get_many([*_count_keys(shop_id, pools), *extra], consistent=True)


def _counts(items: list[dict[str, Any]], pools: tuple[str, ...]) -> dict[str, dict[str, int]]:
    counts = {pool: {AVAILABLE: 0, HANDED_OUT: 0} for pool in pools}
    for item in items:
        if item.get("type") == COUNT_TYPE and item.get("pool") in counts:
            counts[item["pool"]][AVAILABLE] += int(item.get(AVAILABLE, 0))
            counts[item["pool"]][HANDED_OUT] += int(item.get(HANDED_OUT, 0))
    return counts


def overview(
    table: Table, shop_id: str, pools: tuple[str, ...]
) -> tuple[dict[str, Any] | None, dict[str, Any], int, dict[str, int]]:
    """The shop's stored item, its pools' counts, its friends' claims and its rewards by state, read together
    (pattern 53)."""
    from chalicelib.store.rewards import counts_of

    items = _read_counts(
        table,
        shop_id,
        pools,
        keys.shop_key(shop_id),
        keys.referral_claims_key(shop_id),
        keys.reward_counts_key(shop_id),
    )
    shop = next((item for item in items if item.get("type") == "shop"), None)
    claims = next((int(item.get("claims", 0)) for item in items if item.get("type") == CLAIMS_TYPE), 0)
    return shop, _counts(items, pools), claims, counts_of(items)


def claim_state(table: Table, shop_id: str, pool: str, holder: str) -> tuple[str | None, int]:
    """The code the holder was handed from this pool (or None), and how many the pool has available: one
    consistent BatchGetItem."""
    holder_key = keys.referral_holder_key(shop_id, pool, holder)
    items = _read_counts(table, shop_id, (pool,), holder_key)
    held = next((item for item in items if item.get("type") == HOLDER_TYPE), None)
    return (str(held["code"]) if held else None), _counts(items, (pool,))[pool][AVAILABLE]


def held_code(table: Table, shop_id: str, pool: str, holder: str) -> str | None:
    item = table.get(keys.referral_holder_key(shop_id, pool, holder), consistent=True)
    return str(item["code"]) if item else None


def available_codes(table: Table, shop_id: str, pool: str, shard: int) -> list[str]:
    """A page of the shard's available codes, oldest first (GSI1 is eventually consistent: a code just handed
    out may still be listed, and the hand-out's condition then refuses it)."""
    items, _ = table.query(keys.referral_available_partition(shop_id, pool, shard), index=keys.GSI1, limit=CANDIDATES)
    return [str(item["code"]) for item in items]


def hand_out(table: Table, shop_id: str, pool: str, code: str, holder: str) -> HandOut:
    """Give `code` to `holder` in one transaction: the code only if it is still available, the holder's record
    only if the holder has none, and the code's shard's counters moved by one."""
    at = clock.iso()
    code_op = table.update_op(
        keys.referral_code_key(shop_id, code),
        "SET #state = :out, #holder = :holder, #at = :at REMOVE GSI1PK, GSI1SK",
        names={"#state": "state", "#pool": "pool", "#holder": "holder", "#at": "handed_out_at"},
        values={":out": HANDED_OUT, ":holder": holder, ":at": at, ":available": AVAILABLE, ":pool": pool},
        condition="#state = :available AND #pool = :pool AND attribute_exists(GSI1PK)",
    )
    ops: list[NamedOperation] = [
        ("code", code_op),
        ("holder", holder_op(table, shop_id, pool, holder, code, at)),
        ("counter", _count_op(table, shop_id, pool, keys.referral_pool_shard(code), -1, handed_out=1)),
    ]
    return write_hand_out(table, ops) or "handed_out"


def holder_op(table: Table, shop_id: str, pool: str, holder: str, code: str, at: str, **extra: str) -> Operation:
    """The holder's record of the code handed out to them, only if they hold none (role "holder")."""
    item = {
        **keys.referral_holder_key(shop_id, pool, holder),
        "type": HOLDER_TYPE,
        "shop_id": shop_id,
        "pool": pool,
        "holder": holder,
        "code": code,
        **extra,
        "handed_out_at": at,
    }
    return table.put_op(item, "attribute_not_exists(PK)")


def handed_out_count_op(table: Table, shop_id: str, pool: str, code: str) -> Operation:
    """One more code handed out on its shard's counter, made elsewhere (never available in the pool)."""
    return _count_op(table, shop_id, pool, keys.referral_pool_shard(code), 0, handed_out=1)


def write_hand_out(
    table: Table, ops: list[NamedOperation]
) -> Literal["holder_has_one", "code_taken", "conflict"] | None:
    """Write a hand-out's transaction (roles "code", "holder", "counter"): None once written, else why not."""
    try:
        table.transact(ops)
    except ConditionFailed as exc:
        return "holder_has_one" if exc.failed("holder") else "code_taken"
    except TransactionConflict:
        return "conflict"
    return None


def claim_counted_op(table: Table, shop_id: str) -> Operation:
    """One more friend's claim on the shop's count, for the claim's own transaction."""
    return table.update_op(
        keys.referral_claims_key(shop_id),
        "SET #t = :type ADD claims :one",
        {"#t": "type"},
        {":type": CLAIMS_TYPE, ":one": 1},
    )


def holder_erasure_ops(table: Table, held: dict[str, Any]) -> list[Operation]:
    """Forget who holds a code (pattern 57; `held` is their holder record): the record goes, since its key names
    them, and one keyed by the code takes its place, so a shop's erasure still finds the code; the code loses its
    `holder` and `handed_out_at` and stays handed out, never handed to anyone else."""
    shop_id, pool, code = str(held["shop_id"]), str(held["pool"]), str(held["code"])
    erased = {**keys.referral_erased_holder_key(shop_id, pool, code), "type": HOLDER_TYPE, "shop_id": shop_id}
    return [
        table.delete_op(keys.referral_holder_key(shop_id, pool, str(held["holder"]))),
        table.put_op({**erased, "pool": pool, "code": code}),
        table.update_op(
            keys.referral_code_key(shop_id, code),
            "REMOVE #holder, #at",
            names={"#holder": "holder", "#at": "handed_out_at"},
            condition="attribute_exists(PK)",
        ),
    ]


def shop_erasure_ops(table: Table, shop_id: str, pools: tuple[str, ...], limit: int) -> list[Operation]:
    """The deletes of the next page of a shop's referral codes and their records (a shop's erasure, pattern 57): the
    codes handed out (found by their holders' records) with those records, then the codes still available (found
    on their pools' index), then the pools' counters and the claims' count. None once all are gone.

    The index is eventually consistent: a code deleted a moment ago may be listed again, and deleted again."""
    partition = keys.shop_partition(shop_id)
    held, _ = table.query(partition, sk_prefix=keys.REFERRAL_HOLDER_PREFIX, limit=limit, consistent=True)
    if held:
        return [
            op
            for item in held
            for op in (
                table.delete_op({keys.PK: item[keys.PK], keys.SK: item[keys.SK]}),
                table.delete_op(keys.referral_code_key(shop_id, str(item["code"]))),
            )
        ]
    for pool in pools:
        for shard in range(keys.REFERRAL_POOL_SHARDS):
            available, _ = table.query(
                keys.referral_available_partition(shop_id, pool, shard), index=keys.GSI1, limit=limit
            )
            if available:
                return [table.delete_op(keys.referral_code_key(shop_id, str(item["code"]))) for item in available]
    counted, _ = table.query(partition, sk_prefix=keys.REFERRAL_COUNT_PREFIX, limit=limit, consistent=True)
    claims = table.get(keys.referral_claims_key(shop_id), consistent=True)
    return [
        table.delete_op({keys.PK: item[keys.PK], keys.SK: item[keys.SK]})
        for item in [*counted, *([claims] if claims else [])]
    ]
