"""The advocates' rewards in the table: every expression that creates, moves, counts and schedules one (patterns 58
to 62).

A reward is one item per referred order (its id derived from shop+order), Put on the condition that it is not there,
so a redelivery never makes two. Its state names its GSI1 partition (REWARDS#<shop>#<state>), so a move of state is
one Update that also moves it on the index, conditioned on the state it was read in, with the shop's counters
(REWARDCOUNT) moved in the same transaction: the counts by state are exact. A reward with work left for the due work
(its hold to wait out, its code to hand out, its email to send) has a marker item on the sparse REWARDDUE partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.store import keys
from chalicelib.store.due import Change

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table

REWARD_TYPE = "reward"
DUE_TYPE = "reward_due"
COUNTS_TYPE = "reward_counts"
ADVOCATE_TYPE = "reward_advocate"
MONTH_TYPE = "reward_month"
STATES = ("pending", "held", "issued", "void")
STATUS = "status"
STEP_ISSUE = "issue"  # the marker's work: hand out the code
STEP_MAIL = "mail"  # the code is handed out: its email is left to send
ERASED = "erased"  # the advocate (or friend) of a reward once that customer was erased


@dataclass(frozen=True)
class DueReward:
    """A marker of the due work: which reward, and what is left of it."""

    shop_id: str
    reward_id: str
    step: str
    item: dict[str, Any]  # as read from the index (its GSI1 keys: where it was)


def read(table: Table, shop_id: str, rid: str) -> dict[str, Any] | None:
    """The reward, read consistently (a move a moment ago is seen)."""
    return table.get(keys.reward_key(shop_id, rid), consistent=True)


def create_op(table: Table, item: dict[str, Any], stamp: str) -> Operation:
    """The new reward's Put, listed under its state; refused when the order has a reward already."""
    stored = {
        **item,
        **keys.reward_key(item["shop_id"], item["reward_id"]),
        **keys.reward_list_keys(item["shop_id"], item[STATUS], stamp, item["reward_id"]),
        "type": REWARD_TYPE,
        "listed_at": stamp,
    }
    return table.put_op(stored, condition="attribute_not_exists(PK)")


def move_op(
    table: Table,
    reward: dict[str, Any],
    to: str,
    sets: dict[str, Any] | None = None,
    removes: tuple[str, ...] = (),
) -> Operation:
    """The reward from the state it was read in to `to` (and onto that state's listing), with `sets`; refused if
    it has moved meanwhile."""
    shop_id, rid = str(reward["shop_id"]), str(reward["reward_id"])
    change = Change(
        sets={STATUS: to, **keys.reward_list_keys(shop_id, to, str(reward["listed_at"]), rid), **(sets or {})},
        removes=list(removes),
        equal={STATUS: reward[STATUS]},
    )
    return change.op(table, keys.reward_key(shop_id, rid))


def note_op(table: Table, reward: dict[str, Any], sets: dict[str, Any]) -> Operation:
    """Facts noted on a reward that stays in its state (the friend's order fulfilled, a clawback after issue)."""
    change = Change(sets=dict(sets), equal={STATUS: reward[STATUS]})
    return change.op(table, keys.reward_key(str(reward["shop_id"]), str(reward["reward_id"])))


def counts_op(table: Table, shop_id: str, deltas: dict[str, int]) -> Operation:
    """The shop's rewards by state moved by `deltas` (a state -> +1/-1)."""
    change = Change(sets={"type": COUNTS_TYPE}, adds={state: delta for state, delta in deltas.items() if delta})
    return change.op(table, keys.reward_counts_key(shop_id))


def counts_of(items: list[dict[str, Any]]) -> dict[str, int]:
    """The rewards by state, from whatever items were read with the counters (none yet: zeros)."""
    found = next((item for item in items if item.get("type") == COUNTS_TYPE), {})
    return {state: int(found.get(state, 0)) for state in STATES}


def month_op(table: Table, shop_id: str, advocate_id: str, month: str, delta: int) -> Operation:
    """An advocate's pending and issued rewards of a month, moved by `delta`."""
    change = Change(sets={"type": MONTH_TYPE}, adds={"rewards": delta})
    return change.op(table, keys.reward_month_key(shop_id, advocate_id, month))


def month_count(items: list[dict[str, Any]]) -> int:
    found = next((item for item in items if item.get("type") == MONTH_TYPE), {})
    return int(found.get("rewards", 0))


def advocate_recent(items: list[dict[str, Any]]) -> tuple[list[str], int]:
    """The advocate's recent referred orders (their times) and the version they were read at (0: none yet)."""
    found = next((item for item in items if item.get("type") == ADVOCATE_TYPE), {})
    return [str(at) for at in found.get("recent") or []], int(found.get("version", 0))


def advocate_recent_op(table: Table, shop_id: str, advocate_id: str, recent: list[str], seen: int) -> Operation:
    """The advocate's recent referred orders, written back only if nobody wrote them since `seen`."""
    item = {
        **keys.reward_advocate_key(shop_id, advocate_id),
        "type": ADVOCATE_TYPE,
        "shop_id": shop_id,
        "advocate_id": advocate_id,
        "recent": recent,
        "version": seen + 1,
    }
    if seen == 0:
        return table.put_op(item, condition="attribute_not_exists(PK)")
    return table.put_op(item, condition="#v = :seen", names={"#v": "version"}, values={":seen": seen})


def due_put_op(table: Table, shop_id: str, rid: str, due_at: str, step: str = STEP_ISSUE) -> Operation:
    """The reward's marker on the due index from `due_at` (a new one, or the one there moved)."""
    item = {
        **keys.reward_due_key(shop_id, rid),
        **keys.reward_due_keys(due_at, shop_id, rid),
        "type": DUE_TYPE,
        "shop_id": shop_id,
        "reward_id": rid,
        "step": step,
    }
    return table.put_op(item)


def due_delete_op(table: Table, shop_id: str, rid: str) -> Operation:
    return table.delete_op(keys.reward_due_key(shop_id, rid))


def due(table: Table, now: str, limit: int) -> list[DueReward]:
    """Markers whose time has come, oldest first."""
    items, _ = table.query(
        keys.REWARD_DUE_PARTITION, index=keys.GSI1, sk_between=("0", keys.reward_due_until(now)), limit=limit
    )
    return [
        DueReward(str(i["shop_id"]), str(i["reward_id"]), str(i.get("step") or STEP_ISSUE), i)
        for i in items
        if i.get("type") == DUE_TYPE
    ]


def step_op(table: Table, marker: DueReward, step: str) -> Operation:
    """The marker's work moves on (the code is handed out: the email is left), if it is still there."""
    change = Change(sets={"step": step}, exists=[keys.PK])
    return change.op(table, keys.reward_due_key(marker.shop_id, marker.reward_id))


def put_off_change(due_at: str, marker: DueReward) -> tuple[dict[str, str], dict[str, str]]:
    """The marker's key and its due keys at `due_at`, for the due work's put-off and park (chalicelib/store/due.py)."""
    return keys.reward_due_key(marker.shop_id, marker.reward_id), keys.reward_due_keys(
        due_at, marker.shop_id, marker.reward_id
    )


def page(
    table: Table, shop_id: str, status: str, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the shop's rewards in one state, newest first."""
    return table.query(
        keys.reward_list_partition(shop_id, status), index=keys.GSI1, limit=limit, cursor=cursor, newest_first=True
    )


# --- erasure (pattern 63)


def advocate_months(table: Table, shop_id: str, advocate_id: str) -> list[dict[str, Any]]:
    """An advocate's month items (their erasure deletes them with their recent referred orders' item)."""
    return list(table.query_all(keys.shop_partition(shop_id), sk_prefix=keys.reward_months_prefix(advocate_id)))


def recent_orders(items: list[dict[str, Any]]) -> list[str]:
    """The order ids of an advocate's recent referred orders (`<time>#<order>` each), from their items."""
    recent, _ = advocate_recent(items)
    return [entry.split("#", 1)[1] for entry in recent if "#" in entry]


def customer_erasure_ops(
    table: Table, customer_id: str, items: list[dict[str, Any]], rewards: list[dict[str, Any]]
) -> list[Operation]:
    """Forget a customer in the rewards: their own items (`items`: REWARDADV and `advocate_months`) are deleted,
    and each reward of `rewards` that names them as advocate or friend names `erased` instead; the rewards stay,
    counted."""
    ops = [table.delete_op({keys.PK: i[keys.PK], keys.SK: i[keys.SK]}) for i in items]
    for reward in rewards:
        if reward.get("type") != REWARD_TYPE:
            continue
        named = {name: customer_id for name in ("advocate", "friend_customer") if str(reward.get(name)) == customer_id}
        if named:  # one update of the reward (a transaction takes one action per item)
            change = Change(sets=dict.fromkeys(named, ERASED), equal=named)
            ops.append(change.op(table, keys.reward_key(str(reward["shop_id"]), str(reward["reward_id"]))))
    return ops


def shop_erasure_ops(table: Table, shop_id: str, limit: int) -> list[Operation]:
    """The deletes of the next page of a shop's reward items (rewards, their markers, the counts, the advocates' and
    months' items); none once all are gone."""
    found, _ = table.query(
        keys.shop_partition(shop_id), sk_prefix=keys.REWARD_ITEMS_PREFIX, limit=limit, consistent=True
    )
    return [table.delete_op({keys.PK: i[keys.PK], keys.SK: i[keys.SK]}) for i in found]
