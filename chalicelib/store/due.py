"""Due items that failed: put off with their attempts and reason, parked on their shop's list, put back (pattern 50).

Every due job keeps its items on a sparse GSI1 partition sorted by when they are due. These writes are the
ones they share: moving an item later, moving it to PARKED#<shop> (off the due partition, in the same write),
and back. Each is one UpdateItem conditioned on the key the item was read with, so an item changed meanwhile
(sent by an overlapping run, erased, marked again) is left as that change left it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table

FAILED = "failed"  # `due_state` of a parked item
REASON = "due_reason"  # the last failure, in words for the owner
FAILED_AT = "due_failed_at"
STATE = "due_state"
ATTEMPTS = "due_attempts"  # failures in a row, unless the job counts its own (outbound `attempts`)
# When an item whose due key holds no time (a customer erasure) may be tried again: its job skips it until then.
NOT_BEFORE = "due_not_before"
PARKED_PAGE = 25
BOOKKEEPING = (ATTEMPTS, REASON, FAILED_AT, STATE, NOT_BEFORE)  # the due work's own: no export hands them out


@dataclass(frozen=True)
class Failure:
    """One failure of one item: how many in a row it now has, why (the owner reads it), and when."""

    attempts: int
    reason: str
    at: str  # ISO time


@dataclass
class Change:
    """One UpdateItem, built from what it means: attributes to set, remove and add, and what must still hold.

    Names and values are all placeholders, so any attribute name may be used (status, GSI keys...)."""

    sets: dict[str, Any] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)
    adds: dict[str, Any] = field(default_factory=dict)
    equal: dict[str, Any] = field(default_factory=dict)  # the condition: each attribute still has this value
    exists: list[str] = field(default_factory=list)

    def op(self, table: Table, key: dict[str, str]) -> Operation:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}

        def name(attribute: str) -> str:
            placeholder = f"#a{len(names)}"
            names[placeholder] = attribute
            return placeholder

        def value(given: Any) -> str:
            placeholder = f":v{len(values)}"
            values[placeholder] = given
            return placeholder

        clauses = []
        if self.sets:
            clauses.append("SET " + ", ".join(f"{name(a)} = {value(v)}" for a, v in self.sets.items()))
        if self.adds:
            clauses.append("ADD " + ", ".join(f"{name(a)} {value(v)}" for a, v in self.adds.items()))
        if self.removes:
            clauses.append("REMOVE " + ", ".join(name(a) for a in dict.fromkeys(self.removes)))
        conditions = [f"{name(a)} = {value(v)}" for a, v in self.equal.items()]
        conditions += [f"attribute_exists({name(a)})" for a in self.exists]
        return table.update_op(
            key, " ".join(clauses), names=names, values=values or None, condition=" AND ".join(conditions) or None
        )


def index_entry(item: dict[str, Any]) -> str:
    """Where a due (or parked) item sits on its index: its sort key there, as the item was read."""
    return str(item[keys.GSI1SK])


def moved(due: dict[str, str], seen: str | None) -> Change:
    """The item onto `due` (its GSI1 keys), if it is still where it was read (`seen`, its GSI1SK then)."""
    return Change(sets=dict(due), equal={keys.GSI1SK: seen} if seen is not None else {})


def put_off(change: Change, later: dict[str, str], failure: Failure, attempts_name: str = ATTEMPTS) -> Change:
    """`change`, and the item due again at `later` (its GSI1 keys) with its failures counted."""
    change.sets.update(later)
    change.sets.update({attempts_name: failure.attempts, REASON: failure.reason, FAILED_AT: failure.at})
    return change


def park(
    change: Change, shop_id: str, job: str, ref: str, failure: Failure, stamp: str, attempts_name: str = ATTEMPTS
) -> Change:
    """`change`, and the item off its due partition onto its shop's parked list, `failed` with its reason."""
    change.sets.update(keys.parked_keys(shop_id, job, ref, stamp))
    change.sets.update({attempts_name: failure.attempts, REASON: failure.reason, FAILED_AT: failure.at, STATE: FAILED})
    return change


def put_back(shop_id: str, entry: str, due: dict[str, str], attempts_name: str = ATTEMPTS) -> Change:
    """A parked item due again (`due`, its GSI1 keys) with a fresh run of attempts, if it is still parked there."""
    return Change(
        sets={**due, attempts_name: 0},
        removes=[STATE],
        equal={keys.GSI1PK: keys.parked_partition(shop_id), keys.GSI1SK: entry},
    )


def put_back_item(
    table: Table,
    item: dict[str, Any],
    shop_id: str,
    entry: str,
    due: dict[str, str],
    attempts_name: str = ATTEMPTS,
    sets: dict[str, Any] | None = None,
    removes: list[str] | None = None,
) -> bool:
    """The parked `item` (as its shop's list read it) due again; False when it is no longer parked there."""
    change = put_back(shop_id, entry, due, attempts_name)
    change.sets.update(sets or {})
    change.removes += removes or []
    try:
        table.apply(change.op(table, {keys.PK: item[keys.PK], keys.SK: item[keys.SK]}))
    except ConditionFailed:
        return False
    return True


def apply(table: Table, key: dict[str, str], change: Change, what: dict[str, Any]) -> bool:
    """Write one change on its own, best effort: False when the item changed meanwhile, or the write failed
    (logged: the item stays where it was, and the run goes on with the next)."""
    try:
        table.apply(change.op(table, key))
    except ConditionFailed:
        return False
    except Exception:  # noqa: BLE001 - one item's bookkeeping must not stop the queue behind it
        from chalicelib.observability import logger

        logger.exception("due item not moved (put off or parked)", extra=what)
        return False
    return True


def parked_page(
    table: Table, shop_id: str, limit: int = PARKED_PAGE, cursor: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A shop's parked items, the most recently parked first."""
    return table.query(keys.parked_partition(shop_id), index=keys.GSI1, limit=limit, cursor=cursor, newest_first=True)


def parked_entry(table: Table, shop_id: str, entry: str) -> dict[str, Any] | None:
    """The item parked under `entry` on the shop's list; None when it is not (or no longer) there."""
    found, _ = table.query(keys.parked_partition(shop_id), index=keys.GSI1, sk_between=(entry, entry), limit=1)
    return found[0] if found else None
