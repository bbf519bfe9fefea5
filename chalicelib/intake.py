"""The intake: a verified delivery's normalized events, each applied by the module that owns its kind.

Above orders, products and privacy, which it hands events to, so none of them imports a room above its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.orders.writer import apply_order_event

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table
    from chalicelib.webhooks.events import Event


def apply_events(table: Table, shop: Shop, events: list[Event]) -> list[str]:
    """One outcome per event: orders are the common case; product and privacy modules load only when named."""
    outcomes = []
    for event in events:
        if event.kind == "order":
            outcomes.append(apply_order_event(table, shop, event))
        elif event.kind == "product":
            from chalicelib.products import apply_product_event

            outcomes.append(apply_product_event(table, shop, event))
        else:
            from chalicelib import privacy

            outcomes.append(privacy.apply_privacy_event(table, shop, event))
    return outcomes
