"""The order writer: read what an event touches, plan it, write the plan in one transaction, retry a lost race."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.customer_index import INDEX_VERSION, lookup_ops
from chalicelib.orders.ledger import advocate_for, advocate_op, referral_event_ops, referral_for
from chalicelib.orders.planner import OrderPlan, plan_order_event
from chalicelib.store import aggregates, keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table
    from chalicelib.webhooks.events import OrderEvent

RACE_ATTEMPTS = 8


def _operations(table: Table, shop: Shop, plan: OrderPlan, previous_version: int) -> list[dict[str, Any]]:
    if previous_version:
        order_op = table.put_op(plan.order, "#v = :v", names={"#v": "version"}, values={":v": previous_version})
    else:
        order_op = table.put_op(plan.order, "attribute_not_exists(PK)")
    ops = [order_op]
    if plan.new_customer is not None:
        ops.append(table.put_op(plan.new_customer, "attribute_not_exists(PK)"))
    elif plan.customer_update is not None:
        update = plan.customer_update
        values: dict[str, Any] = {":one": 1, ":name": update["name"] or ""}
        adds = "ADD orders :one"
        if update["remember"]:
            adds += ", order_ids :ids"
            values[":ids"] = {update["order_id"]}
        sets = " SET #n = if_not_exists(#n, :name)"
        if update.get("language"):
            sets += ", #lang = :lang"
            values[":lang"] = update["language"]
        if update["lookups"]:
            adds += ", find_tokens :tokens"
            values[":tokens"] = set(update["lookups"])
        if update["lookups"] or not update["indexed"]:
            sets += ", find_indexed = :indexed"
            values[":indexed"] = INDEX_VERSION
        ops.append(
            table.update_op(
                keys.customer_key(shop.shop_id, plan.order["customer_id"]),
                adds + sets,
                names={"#n": "name", **({"#lang": "language"} if update.get("language") else {})},
                values=values,
                condition="attribute_exists(PK)",
            )
        )
    if plan.advocate_update is not None:
        ops.append(advocate_op(table, shop, plan.advocate_update))
    ops += referral_event_ops(table, shop, plan.order, plan.facts)
    for day, deltas in sorted(plan.counters.items()):
        ops.append(aggregates.add_op(table, shop.shop_id, day, deltas))
    # The buyer's search lookups ride in the same transaction (no call of their own): at most
    # customer_index.MAX_NAME_WORDS + 2 of them beside a handful of operations, far below DynamoDB's 100.
    if plan.lookups:
        ops += lookup_ops(table, shop.shop_id, plan.order["customer_id"], plan.lookups)
    return ops


def apply_order_event(table: Table, shop: Shop, event: OrderEvent) -> str:
    """Record the event's new facts once; 'applied' or 'duplicate'."""
    from chalicelib.sharing.attribution import named_codes

    snapshot = event.snapshot
    codes = named_codes(snapshot.landing_url, snapshot.codes) if snapshot else []
    order_key = keys.order_key(shop.shop_id, event.order_id)
    wanted = [order_key]
    if snapshot:
        wanted.append(keys.customer_key(shop.shop_id, snapshot.customer_id))
    wanted += [keys.code_key(c) for c in codes]
    for _ in range(RACE_ATTEMPTS):
        found = table.get_many(wanted, consistent=True)
        current = next((i for i in found if i.get("type") == "order"), None)
        customer = next((i for i in found if i.get("type") == "customer"), None)
        chosen = referral_for(shop, current, snapshot, [i for i in found if i.get("type") == "code"])
        advocate = advocate_for(table, shop, current, chosen)
        plan = plan_order_event(current, customer, event, shop, chosen, advocate)
        if not plan.changed:
            return "duplicate"
        try:
            table.transact(_operations(table, shop, plan, int(current["version"]) if current else 0))
        except ConditionFailed:
            continue  # another delivery of this order (or of the advocate's) won the race: read again, re-plan
        return "applied"
    raise errors.RetryLater("this order is being updated by other deliveries; deliver again")
