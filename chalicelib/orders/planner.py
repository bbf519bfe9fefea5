"""The order planner: what one event adds to an order and which counters each new fact moves. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.clock import iso, local_day, parse
from chalicelib.customer_index import INDEX_VERSION, tokens_to_add
from chalicelib.experiments.assignment import delay_days
from chalicelib.orders.ledger import AdvocateCredit
from chalicelib.store import aggregates, keys
from chalicelib.store.customers import OrderOnRecord, ShippingOnRecord
from chalicelib.store.orders import RequestChange, request_waiting, reversed_order

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.webhooks.events import OrderEvent

# A customer record lists their orders (for erasure and data requests) up to this many, which keeps the item far
# below DynamoDB's 400 KB; a buyer past it is still counted, and Shopify's redact names every order to erase anyway.
MAX_REMEMBERED_ORDERS = 1000
# Refunds kept by id on an order (~100 bytes each); further ones are refused rather than grow the item past 400 KB.
MAX_REFUNDS_PER_ORDER = 250
# The keyed hashes of a customer's latest shipping addresses kept on their record, newest last: what the
# self-referral rule compares a friend's order against when they are the advocate.
MAX_SHIPPING_HASHES = 5


@dataclass
class OrderPlan:
    """What one event changes: the new order item, the buyer's and advocate's records, the counters."""

    order: dict[str, Any]
    counters: dict[str, aggregates.Deltas] = field(default_factory=dict)
    new_customer: dict[str, Any] | None = None
    customer_update: OrderOnRecord | None = None
    advocate_update: dict[str, Any] | None = None
    facts: list[str] = field(default_factory=list)
    # The buyer's new search lookups (customer_index tokens), written in the order's own transaction.
    lookups: list[str] = field(default_factory=list)
    # What the event did to the order's review request: scheduled it (due at the order's request_due_at) or
    # cancelled it; None leaves it as it was.
    request: RequestChange = None
    # The delay experiments this event first gives the order a variant of ({experiment_id: variant}): each counts
    # the order as a unit of its variant in the order's own transaction, once (an order already assigned: none).
    newly_assigned: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.facts)


def _blank_order(shop: Shop, order_id: str) -> dict[str, Any]:
    return {
        **keys.order_key(shop.shop_id, order_id),
        "type": "order",
        "shop_id": shop.shop_id,
        "order_id": order_id,
        "known": False,
        "refunds": {},
        "version": 0,
    }


def plan_order_event(
    current: dict[str, Any] | None,
    customer: dict[str, Any] | None,
    event: OrderEvent,
    shop: Shop,
    referral_code: dict[str, Any] | None = None,
    advocate: dict[str, Any] | None = None,
) -> OrderPlan:
    """Pure: the facts this event adds to the order, and what each fact moves. No I/O.

    referral_code is the code chosen to credit (when this event makes the order known) and
    advocate its owner's customer record, or the record of the advocate already credited.
    """
    tz = shop.timezone
    order: dict[str, Any] = dict(current) if current else _blank_order(shop, event.order_id)
    order["refunds"] = dict(order.get("refunds", {}))
    if order.get("referral"):
        order["referral"] = dict(order["referral"])
    plan = OrderPlan(order=order)
    credit = AdvocateCredit()
    snapshot = event.snapshot

    if snapshot is not None and not order["known"]:
        _record_snapshot(plan, snapshot, customer, shop, tz)

    new_refunds = {rid: amount for rid, amount in event.refunds.items() if rid not in order["refunds"]}
    if len(order["refunds"]) + len(new_refunds) > MAX_REFUNDS_PER_ORDER:
        raise errors.ValidationFailed(
            f"refunds: an order keeps at most {MAX_REFUNDS_PER_ORDER} refunds",
            details=[{"field": "refunds", "problem": f"more than {MAX_REFUNDS_PER_ORDER} refunds on one order"}],
        )
    for refund_id, amount in sorted(new_refunds.items()):
        order["refunds"][refund_id] = {"amount": amount, "at": iso(event.occurred_at)}
        plan.facts.append(f"refund:{refund_id}")

    if event.cancelled_at is not None and not order.get("cancelled_at"):
        order["cancelled_at"] = iso(event.cancelled_at)
        plan.facts.append("cancelled")
        aggregates.merge(plan.counters, local_day(event.cancelled_at, tz), {"cancelled_orders": 1})

    if event.fulfilled_at is not None and not order.get("fulfilled_at"):
        order["fulfilled_at"] = iso(event.fulfilled_at)
        plan.facts.append("fulfilled")
        aggregates.merge(plan.counters, local_day(event.fulfilled_at, tz), {"fulfilled_orders": 1})

    if event.delivered_at is not None and not order.get("delivered_at"):
        order["delivered_at"] = iso(event.delivered_at)
        plan.facts.append("delivered")

    became_known = "known" in plan.facts
    if became_known and referral_code is not None and advocate is not None and not order.get("cancelled_at"):
        _credit_referral(plan, referral_code, credit, new_customer=customer is None)

    if order["known"]:
        # A refund counts once the order is known: now if it was, or when the order arrives after it.
        counted = order["refunds"] if became_known else {rid: order["refunds"][rid] for rid in new_refunds}
        for refund in counted.values():
            amount = Decimal(refund["amount"])
            aggregates.merge(
                plan.counters, local_day(refund["at"], tz), {"refunds": 1, f"refunded_{order['currency']}": amount}
            )
            _reduce_referral(plan, amount, credit)

    referral = order.get("referral")
    if referral and not referral.get("reversed") and reversed_order(order):
        _reverse_referral(plan, credit, local_day(event.occurred_at, tz))
        if referral.get("visitor"):  # when, for the offer experiment's unit the referral converted
            referral["reversed_at"] = iso(event.occurred_at)

    if credit.touched and advocate is not None:
        plan.advocate_update = credit.update_for(advocate, plan.order["referral"], plan.counters, order["order_id"])
    plan.request, plan.newly_assigned = _schedule_review_request(order, shop)
    if plan.facts:
        order["version"] = int(order.get("version", 0)) + 1
    return plan


def _record_snapshot(plan: OrderPlan, snapshot: Any, customer: dict[str, Any] | None, shop: Shop, tz: str) -> None:
    order = plan.order
    currency = snapshot.currency
    day = local_day(snapshot.created_at, tz)
    order.update(
        known=True,
        customer_id=snapshot.customer_id,
        email=snapshot.email,
        name=snapshot.name,
        currency=currency,
        total=snapshot.total,
        created_at=iso(snapshot.created_at),
        landing_url=snapshot.entry_url,
        codes=snapshot.codes,
        items=[
            {"product_id": i.product_id, "title": i.title, "quantity": i.quantity, "price": i.price}
            for i in snapshot.items
        ],
        counted_day=day,
    )
    if snapshot.language:
        order["language"] = snapshot.language
    shipping = snapshot.shipping_hash
    if shipping:
        order["shipping_hash"] = shipping  # never the address itself
    deltas: aggregates.Deltas = {"orders": 1, f"revenue_{currency}": snapshot.total}
    plan.lookups = tokens_to_add(customer, snapshot.name, snapshot.email)
    if customer is None:
        deltas["customers"] = 1
        plan.new_customer = _new_customer(shop.shop_id, snapshot, day)
        if plan.lookups:
            plan.new_customer["find_tokens"] = set(plan.lookups)
        if shipping:
            plan.new_customer["shipping_hashes"] = [shipping]
    else:
        remembered = len(customer.get("order_ids") or ()) < MAX_REMEMBERED_ORDERS
        plan.customer_update = OrderOnRecord(
            order_id=snapshot.order_id,
            name=snapshot.name,
            remember=remembered,
            language=snapshot.language,  # their latest order's, for the unsubscribe page
            lookups=tuple(plan.lookups),
            indexed=bool(customer.get("find_indexed")),
            shipping=shipping_hashes(customer, shipping),
        )
    aggregates.merge(plan.counters, day, deltas)
    plan.facts.append("known")


def shipping_hashes(customer: dict[str, Any], shipping: str | None) -> ShippingOnRecord | None:
    """The customer's latest shipping hashes with this order's last (at most MAX_SHIPPING_HASHES), and the list they
    were read as; None when the order adds nothing new."""
    seen = [str(h) for h in customer.get("shipping_hashes") or ()]
    if not shipping or (seen and seen[-1] == shipping):
        return None
    kept = [h for h in seen if h != shipping] + [shipping]
    return ShippingOnRecord(kept=tuple(kept[-MAX_SHIPPING_HASHES:]), seen=tuple(seen))


def _credit_referral(plan: OrderPlan, code: dict[str, Any], credit: AdvocateCredit, new_customer: bool) -> None:
    order = plan.order
    day = order["counted_day"]
    signal = str(code.get("signal") or "landing")
    order["referral"] = {
        "code": code["code"],
        "advocate_id": code["customer_id"],
        "signal": signal,  # what named the advocate (sharing/attribution.py SIGNALS)
        "day": day,
        "revenue": order["total"],
        "new_customer": new_customer,
        "reversed": False,
    }
    if code.get("experiments"):  # a friend's claim made in offer experiments: their variants, the reward's value
        order["referral"]["experiments"] = dict(code["experiments"])
        if code.get("visitor"):  # the claim's visitor: the unit the referral converts
            order["referral"]["visitor"] = str(code["visitor"])
        if code.get("reward"):
            order["referral"]["reward"] = dict(code["reward"])
    deltas: aggregates.Deltas = {
        "referred_orders": 1,
        f"referred_revenue_{order['currency']}": order["total"],
        f"referred_by_{signal}": 1,
    }
    if new_customer:
        deltas["referred_customers"] = 1
    aggregates.merge(plan.counters, day, deltas)
    credit.orders += 1
    credit.revenue += Decimal(order["total"])
    credit.active += 1
    credit.score += _referral_weight(order, Decimal(order["total"]), with_order=True)
    credit.touched = True
    plan.facts.append("referred")


def _referral_weight(order: dict[str, Any], revenue: Decimal, with_order: bool) -> Decimal:
    """The advocate-score weight of a referral, dated at the order so a reversal removes it exactly."""
    from chalicelib import scoring

    at = parse(order["created_at"])
    weight = scoring.weight_at("referred_revenue", at, revenue)
    return weight + scoring.weight_at("referred_order", at) if with_order else weight


def _reduce_referral(plan: OrderPlan, amount: Decimal, credit: AdvocateCredit) -> None:
    """A partial refund lowers the revenue credited to the advocate, on the day it was credited."""
    referral = plan.order.get("referral")
    if not referral or referral.get("reversed"):
        return
    cut = min(amount, Decimal(referral["revenue"]))
    if cut <= 0:
        return
    referral["revenue"] = Decimal(referral["revenue"]) - cut
    aggregates.merge(plan.counters, referral["day"], {f"referred_revenue_{plan.order['currency']}": -cut})
    credit.revenue -= cut
    credit.score -= _referral_weight(plan.order, cut, with_order=False)
    credit.touched = True


def _reverse_referral(plan: OrderPlan, credit: AdvocateCredit, today: str) -> None:
    """A cancellation or full refund takes the whole credit back, on the day it was given."""
    referral = plan.order["referral"]
    remaining = Decimal(referral["revenue"])
    deltas: aggregates.Deltas = {"referred_orders": -1, f"referred_revenue_{plan.order['currency']}": -remaining}
    if referral.get("new_customer"):
        deltas["referred_customers"] = -1
    if referral.get("signal"):  # referrals made before signals were kept counted none
        deltas[f"referred_by_{referral['signal']}"] = -1
    aggregates.merge(plan.counters, referral["day"], deltas)
    aggregates.merge(plan.counters, today, {"referral_reversals": 1})
    referral.update(reversed=True, revenue=Decimal(0))
    credit.orders -= 1
    credit.revenue -= remaining
    credit.active -= 1
    credit.score -= _referral_weight(plan.order, remaining, with_order=True)
    credit.touched = True
    plan.facts.append("referral_reversed")


def _review_due(order: dict[str, Any], shop: Shop, delay_days: int) -> tuple[str, str] | None:
    """When to ask this buyer, and what the delay counted from; None while nothing says it shipped."""
    basis = request_basis(order, shop.settings.review_after, shop.settings.delivery_fallback_days)
    if basis is None:
        return None
    moment, named = basis
    return iso(moment + timedelta(days=delay_days)), named


def request_basis(order: Mapping[str, Any], review_after: str, fallback_days: int) -> tuple[datetime, str] | None:
    """What a request's delay counts from, and its name; None while nothing says the order shipped.

    With review_after=delivery the delay counts from the delivery the platform reported, or, until one
    is reported, from a delivery assumed `fallback_days` after the fulfilment."""
    if review_after == "delivery":
        if order.get("delivered_at"):
            return parse(order["delivered_at"]), "delivery"
        if order.get("fulfilled_at"):
            return parse(order["fulfilled_at"]) + timedelta(days=fallback_days), "assumed_delivery"
        return None
    shipped = order.get("fulfilled_at") or order.get("delivered_at")  # a delivery says it shipped
    if shipped:
        return parse(shipped), "fulfillment"
    return None


def _schedule_review_request(order: dict[str, Any], shop: Shop) -> tuple[RequestChange, dict[str, str]]:
    """Every shipped buyer is asked alike after the shop's delay; a reversed order is not asked. A request
    still waiting on an assumed delivery moves to the delivery once the platform reports it. Returns what it
    did to the request (scheduled or cancelled it), or None, and the delay experiments it first assigned the
    order a variant of (kept on the order's `assigned`; a re-plan or reschedule keeps the variant, assigns none)."""
    status = order.get("request_status")
    if reversed_order(order):
        if request_waiting(order):  # a request or its reminder
            order["request_status"] = "cancelled"
            return "cancelled", {}
        return None, {}
    if not (order.get("known") and order.get("email")):
        return None, {}
    # The shop's delay, or the order's variant of a running delay experiment (kept on the order when scheduled).
    days, assigned = delay_days(shop, order)
    timing = _review_due(order, shop, days)
    if timing is None:
        return None, {}
    due, basis = timing
    waiting_on_assumption = (
        status == "scheduled" and order.get("request_basis") == "assumed_delivery" and basis == "delivery"
    )
    if status is None or (waiting_on_assumption and not order.get("postponed_at")):
        order["request_status"] = "scheduled"
        order["request_due_at"] = due
        order["request_basis"] = basis
        kept = order.get("assigned") or {}
        newly = {experiment_id: key for experiment_id, key in assigned.items() if experiment_id not in kept}
        if assigned:
            order["assigned"] = {**kept, **assigned}
        return "scheduled", newly
    return None, {}


def _new_customer(shop_id: str, snapshot: Any, day: str) -> dict[str, Any]:
    from chalicelib.signing import email_hash

    return {
        **keys.customer_key(shop_id, snapshot.customer_id),
        "type": "customer",
        "shop_id": shop_id,
        "customer_id": snapshot.customer_id,
        "name": snapshot.name,
        "email_hash": email_hash(snapshot.email),
        "first_day": day,
        "first_order_at": iso(snapshot.created_at),
        "orders": 1,
        "order_ids": {snapshot.order_id},
        "find_indexed": INDEX_VERSION,  # found by name and email from the start (customer_index)
        **({"language": snapshot.language} if snapshot.language else {}),  # the unsubscribe page's
    }
