"""A shop's store connection in the table (pattern 64): one item, the credential in it sealed, never plain."""

from __future__ import annotations

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
