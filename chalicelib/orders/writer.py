"""The order writer: read what an event touches, plan it, write the plan in one transaction, retry a lost race."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.customer_index import INDEX_VERSION, lookup_ops
from chalicelib.orders.ledger import (
    advocate_for,
    advocate_op,
    referral_event_ops,
    referral_for,
    referral_keys,
    referral_names,
)
from chalicelib.orders.planner import OrderPlan, plan_order_event
from chalicelib.referrals.rewards import reward_ops
from chalicelib.store import aggregates, customers, keys, orders
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table
    from chalicelib.webhooks.events import OrderEvent

RACE_ATTEMPTS = 8


def _operations(table: Table, shop: Shop, plan: OrderPlan, previous_version: int) -> list[dict[str, Any]]:
    ops = [orders.planned_put_op(table, plan.order, previous_version, plan.request)]
    if plan.new_customer is not None:
        ops.append(customers.new_record_op(table, plan.new_customer))
    elif plan.customer_update is not None:
        customer_id = plan.order["customer_id"]
        ops.append(customers.order_recorded_op(table, shop.shop_id, customer_id, plan.customer_update, INDEX_VERSION))
    if plan.advocate_update is not None:
        ops.append(advocate_op(table, shop, plan.advocate_update))
    ops += referral_event_ops(table, shop, plan.order, plan.facts)
    ops += reward_ops(table, shop, plan.order, plan.facts)
    referral = plan.order.get("referral") or {}
    offered = referral.get("experiments")
    converted = ("referred" in plan.facts) - ("referral_reversed" in plan.facts)
    if offered and converted:
        from chalicelib.store.experiments import conversion_ops, count_ops

        # A referred order through a claim made in offer experiments counts once for the claim's variants, and a
        # cancellation or full refund takes it back as the funnel's referred_orders does (both in one event: none).
        # The claim's visitor is the unit: its item is marked too (a referral of a claim made before the claims
        # kept their visitor counts as it comes only).
        visitor = str(referral.get("visitor") or "")
        if visitor:  # converted when the order was placed, taken back when it was (a webhook may come late)
            when = plan.order.get("created_at") if converted > 0 else referral.get("reversed_at")
            at = str(when or clock.iso())
            ops += conversion_ops(table, shop.shop_id, visitor, offered, at, converted)
        else:
            ops += count_ops(table, shop.shop_id, offered, "conversions", converted)
    if plan.newly_assigned:
        from chalicelib.experiments.assignment import closes, delay_window
        from chalicelib.store.experiments import unit_ops

        # A delay experiment's unit is the order as assigned (intent to treat): counted here, with the order's
        # version-conditioned put, so once; what befalls the order later (a cancellation, a review before the
        # send, an erasure) takes nothing back, and the send counts nothing more.
        at = clock.iso()
        assigned = plan.newly_assigned
        windows = closes(shop, assigned, at)
        terms = delay_window(shop, assigned)
        ops += unit_ops(table, shop.shop_id, str(plan.order["order_id"]), assigned, at, windows, terms)
    for day, deltas in sorted(plan.counters.items()):
        ops.append(aggregates.add_op(table, shop.shop_id, day, deltas))
    # The buyer's search lookups ride in the same transaction (no call of their own): at most
    # customer_index.MAX_NAME_WORDS + 2 of them beside a handful of operations, far below DynamoDB's 100.
    if plan.lookups:
        ops += lookup_ops(table, shop.shop_id, plan.order["customer_id"], plan.lookups)
    return ops


def apply_order_event(table: Table, shop: Shop, event: OrderEvent) -> str:
    """Record the event's new facts once; 'applied' or 'duplicate'."""
    from chalicelib.signing import email_hash

    snapshot = event.snapshot
    named = referral_names(snapshot)
    order_key = keys.order_key(shop.shop_id, event.order_id)
    wanted = [order_key]
    if snapshot:
        wanted.append(keys.customer_key(shop.shop_id, snapshot.customer_id))
    wanted += referral_keys(shop, named)
    buyer = email_hash(snapshot.email) if snapshot else None
    for _ in range(RACE_ATTEMPTS):
        found = table.get_many(wanted, consistent=True)
        current = next((i for i in found if i.get("type") == "order"), None)
        customer = next((i for i in found if i.get("type") == "customer"), None)
        chosen = referral_for(table, shop, current, snapshot, named, found)
        advocate = advocate_for(table, shop, current, chosen, buyer)
        plan = plan_order_event(current, customer, event, shop, chosen, advocate)
        if not plan.changed:
            return "duplicate"
        try:
            table.transact(_operations(table, shop, plan, int(current["version"]) if current else 0))
        except ConditionFailed:
            continue  # another delivery of this order (or of the advocate's) won the race: read again, re-plan
        return "applied"
    raise errors.RetryLater("this order is being updated by other deliveries; deliver again")
