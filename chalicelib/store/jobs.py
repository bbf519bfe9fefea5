"""Long jobs the due work moves on: a CSV import (SHOP#<shop>/IMPORT#<job>, pattern 41) and the indexing of a
shop's older customers (its cursor, patterns 42 and 43).

An import moves on only while someone holds its lease; every write of a step holds only while the writer still
holds it and the job is in the state it was read in. A job is on the due index (GSI1) while it runs and leaves
it as it stops; the index keys are derived here from what the job module says (running or not)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.table import Table


# --- imports ------------------------------------------------------------------------------------------------
def create_import(table: Table, job: dict[str, Any], due_at: str | None) -> dict[str, Any]:
    """Store a new import job, due for the due work from `due_at` (None: it starts stopped); the item as stored.
    ConditionFailed when the job exists already (its page opened twice at once)."""
    item = dict(job)
    if due_at is not None:
        item.update(keys.import_due_keys(due_at, str(item["shop_id"]), str(item["job_id"])))
    table.put(item, "attribute_not_exists(PK)")
    return item


def lease_import(
    table: Table, shop_id: str, job_id: str, lease: str, until: int, now: int, status: str
) -> dict[str, Any] | None:
    """Take the job's lease until `until` (epoch seconds) while it is still `status` and no lease runs past `now`;
    the job as it then stands. ConditionFailed when another worker holds it, or it moved on."""
    return table.update(
        keys.import_key(shop_id, job_id),
        "SET lease_id = :lease, lease_until = :until",
        names={"#status": "status"},
        values={":lease": lease, ":until": until, ":now": now, ":was": status},
        condition="#status = :was AND (attribute_not_exists(lease_until) OR lease_until < :now)",
        return_new=True,
    )


def record_import_step(
    table: Table,
    shop_id: str,
    job_id: str,
    lease: str,
    status: str,
    changes: Mapping[str, Any],
    release: bool,
    running: bool,
) -> dict[str, Any] | None:
    """Write what a step changed in the job while this worker still holds `lease` and the job is still `status`;
    `release` gives the lease up with it, and a job no longer `running` leaves the due index. The job as it then
    stands; ConditionFailed when the lease is no longer this worker's (cancelled, or run out and taken on)."""
    names = {f"#{i}": name for i, name in enumerate(changes)}
    values: dict[str, Any] = {f":{i}": value for i, value in enumerate(changes.values())}
    sets = ", ".join(f"#{i} = :{i}" for i in range(len(changes)))
    removes = ["lease_id", "lease_until"] if release else []
    if not running:
        removes += [keys.GSI1PK, keys.GSI1SK]
    expression = f"SET {sets}" + (f" REMOVE {', '.join(removes)}" if removes else "")
    names["#status"], values[":lease"], values[":was"] = "status", lease, status
    return table.update(
        keys.import_key(shop_id, job_id),
        expression,
        names=names,
        values=values,
        condition="lease_id = :lease AND #status = :was",
        return_new=True,
    )


def release_import(table: Table, shop_id: str, job_id: str, lease: str) -> None:
    """Give the lease up (a step failed: the next poll may go on at once); ConditionFailed when it is not held."""
    table.update(
        keys.import_key(shop_id, job_id),
        "REMOVE lease_id, lease_until",
        values={":lease": lease},
        condition="lease_id = :lease",
    )


def start_import(
    table: Table, shop_id: str, job_id: str, now: str, importing: str, checked: str
) -> dict[str, Any] | None:
    """A `checked` job becomes `importing` from its first chunk, due for the due work from `now`; the job as it
    then stands. ConditionFailed when it is no longer `checked` (confirmed or cancelled already)."""
    due = keys.import_due_keys(now, shop_id, job_id)
    return table.update(
        keys.import_key(shop_id, job_id),
        "SET #status = :importing, #chunk = :zero, rows_done = :zero, imported = :zero, duplicates = :zero, "
        "updated_at = :now, committed_at = :now, GSI1PK = :pk, GSI1SK = :sk",
        names={"#status": "status", "#chunk": "chunk"},
        values={
            ":importing": importing,
            ":checked": checked,
            ":zero": 0,
            ":now": now,
            ":pk": due[keys.GSI1PK],
            ":sk": due[keys.GSI1SK],
        },
        condition="#status = :checked",
        return_new=True,
    )


def cancel_import(
    table: Table, shop_id: str, job_id: str, now: str, cancelled: str, open_states: tuple[str, str, str]
) -> dict[str, Any] | None:
    """The job becomes `cancelled` at `now`, its lease and its place on the due index gone, if it is still in one
    of `open_states`; the job as it then stands. ConditionFailed when it is over already."""
    first, second, third = open_states
    return table.update(
        keys.import_key(shop_id, job_id),
        "SET #status = :cancelled, updated_at = :now REMOVE lease_id, lease_until, GSI1PK, GSI1SK",
        names={"#status": "status"},
        values={":cancelled": cancelled, ":now": now, ":a": first, ":b": second, ":c": third},
        condition="#status IN (:a, :b, :c)",
        return_new=True,
    )


# --- the customer index's cursor ----------------------------------------------------------------------------
def create_index_cursor(table: Table, cursor: dict[str, Any], due: bool) -> dict[str, Any]:
    """Store a shop's index cursor, on the due work's list when `due` (customers are left to index); the item as
    stored. ConditionFailed when the shop has one already."""
    item = dict(cursor)
    if due:
        item.update(keys.customer_index_due_keys(str(item["shop_id"])))
    table.put(item, "attribute_not_exists(PK)")
    return item


def index_cursors_due(table: Table, limit: int = 10) -> list[dict[str, Any]]:
    """The cursors of shops whose customers are still being indexed (one page)."""
    return table.query(keys.CUSTOMER_INDEX_PARTITION, index=keys.GSI1, limit=limit)[0]


def save_index_cursor(table: Table, shop_id: str, after: str, indexed: int) -> None:
    """The shop's indexing went on up to customer `after`, indexing `indexed` more; ConditionFailed when the
    cursor is gone."""
    table.update(
        keys.customer_index_cursor_key(shop_id),
        "SET #after = :a ADD indexed_customers :n",
        names={"#after": "after"},
        values={":a": after, ":n": indexed},
        condition="attribute_exists(PK)",
    )


def finish_index_cursor(table: Table, shop_id: str, after: str | None, indexed: int, now: str) -> None:
    """The shop's last page is indexed (up to `after`, `indexed` more): done at `now`, off the due work's list.
    ConditionFailed when the cursor is gone."""
    values: dict[str, Any] = {":n": indexed, ":now": now}
    expression = "REMOVE GSI1PK, GSI1SK SET done_at = :now"
    if after is not None:
        expression += ", #after = :a"
        values[":a"] = after
    expression += " ADD indexed_customers :n"
    table.update(
        keys.customer_index_cursor_key(shop_id),
        expression,
        names={"#after": "after"} if after is not None else None,
        values=values,
        condition="attribute_exists(PK)",
    )
