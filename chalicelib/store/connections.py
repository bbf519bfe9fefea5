"""A shop's store connection in the table (pattern 64): one item, the credential in it sealed, never plain."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.table import Table


def get_connection(table: Table, shop_id: str) -> dict[str, Any] | None:
    return table.get(keys.connection_key(shop_id), consistent=True)


def put_connection(table: Table, shop_id: str, fields: dict[str, Any]) -> None:
    """Replace the shop's connection with a checked one (a new credential replaces the old one whole)."""
    table.put({**keys.connection_key(shop_id), "type": "connection", "shop_id": shop_id, **fields})


def delete_connection(table: Table, shop_id: str) -> None:
    """Forget the shop's connection; nothing happens when there is none."""
    table.delete(keys.connection_key(shop_id))


def note_failure(table: Table, shop_id: str, failure: dict[str, str]) -> None:
    """Count one failed call to the store and keep the last one (`{"at", "what", "kind", "reason"}`) for the
    connect page; nothing happens when the shop has no connection (any more)."""
    from chalicelib.store.due import Change
    from chalicelib.store.table import ConditionFailed

    change = Change(sets={"last_failure": failure}, adds={"failure_count": 1}, exists=["PK"])
    with contextlib.suppress(ConditionFailed):
        table.apply(change.op(table, keys.connection_key(shop_id)))


def set_fields(table: Table, shop_id: str, fields: dict[str, Any]) -> bool:
    """Set some of the connection's own fields (its webhook registrations...); False when there is no connection."""
    from chalicelib.store.due import Change
    from chalicelib.store.table import ConditionFailed

    try:
        table.apply(Change(sets=fields, exists=["PK"]).op(table, keys.connection_key(shop_id)))
    except ConditionFailed:
        return False
    return True


def set_webhooks(table: Table, shop_id: str, webhooks: list[dict[str, Any]], at: str) -> bool:
    """Record the outcome of registering the shop's webhooks: per topic its status and the ids of the store's
    subscriptions that are OURS (to replace or remove later) and the address they point at. False when the shop
    has no connection (any more)."""
    return set_fields(table, shop_id, {"webhooks": webhooks, "webhooks_at": at})
