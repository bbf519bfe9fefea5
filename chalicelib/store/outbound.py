"""An outbound event (SHOP#<shop>/OUTBOUND#<event>): written in the transaction of the fact it reports, due on the
outbox index (pattern 31) until delivered, its attempts claimed one at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table


def created_op(table: Table, event: dict[str, Any], due_at: str) -> Operation:
    """The Put of a new event (the item as made), due for delivery from `due_at`."""
    return table.put_op({**event, **keys.outbox_keys(str(event["event_id"]), due_at)})


def due_page(table: Table, shard: int, cutoff: str, limit: int) -> list[dict[str, Any]]:
    """Events of one outbox shard due by `cutoff` (an ISO time), the earliest first (one page)."""
    return table.query(keys.outbox_partition(shard), index=keys.GSI1, sk_between=("0", cutoff + "~"), limit=limit)[0]


def claim_attempt(table: Table, shop_id: str, event_id: str, attempts: int, seen: Any) -> None:
    """Count one more delivery attempt (`attempts`), taking the event off the outbox while it is tried, if it still
    has the attempts it was read with (`seen`); ConditionFailed when an overlapping run claimed it first."""
    table.update(
        keys.outbound_event_key(shop_id, event_id),
        "SET attempts = :a REMOVE GSI1PK, GSI1SK",
        values={":a": attempts, ":was": seen},
        condition="attempts = :was",
    )


def delivered(table: Table, shop_id: str, event_id: str, at: str, status: int) -> None:
    """The receiver took the event at `at`, answering `status`."""
    table.update(
        keys.outbound_event_key(shop_id, event_id),
        "SET delivered_at = :now, last_status = :s",
        values={":now": at, ":s": status},
    )
