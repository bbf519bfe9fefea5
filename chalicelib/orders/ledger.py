"""The referral ledger: which code an order credits, and how a referral moves its advocate's record.

A referred order credits its advocate's record (orders, revenue, referrals still standing, score)
in the same transaction as the order; a partial refund lowers that credit and a cancellation or
full refund takes it back. The owner hears of each confirmed and reversed referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.clock import local_day
from chalicelib.store import aggregates, keys

if TYPE_CHECKING:
    from chalicelib.sharing.attribution import Named
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

# An advocate's record lists the orders their link brought up to this many (~40 KB), for the console; the
# counters go on counting past it.
MAX_REMEMBERED_REFERRALS = 1000


@dataclass
class AdvocateCredit:
    """How one plan changes the advocate's record: orders, revenue, and referrals still standing."""

    orders: int = 0
    revenue: Decimal = Decimal(0)
    active: int = 0
    score: Decimal = Decimal(0)
    touched: bool = False

    def update_for(
        self,
        advocate: dict[str, Any],
        referral: dict[str, Any],
        counters: dict[str, aggregates.Deltas],
        order_id: str,
    ) -> dict[str, Any]:
        """The advocate's update for the order's referral; becoming or ceasing to be an advocate moves `counters`."""
        old = int(advocate.get("active_referrals", 0))
        new = old + self.active
        update: dict[str, Any] = {
            "customer_id": advocate["customer_id"],
            "orders": self.orders,
            "revenue": self.revenue,
            "active": self.active,
            "old_active": old,
            "score": self.score,
        }
        if self.orders > 0 and len(advocate.get("referred_order_ids") or ()) < MAX_REMEMBERED_REFERRALS:
            update["order_id"] = order_id  # the console lists the orders a link brought (keys.py, pattern 44)
        if old <= 0 < new:
            update["advocate_day"] = referral["day"]
            aggregates.merge(counters, referral["day"], {"advocates": 1})
        elif new <= 0 < old and advocate.get("advocate_day"):
            aggregates.merge(counters, str(advocate["advocate_day"]), {"advocates": -1})
        return update


def referral_names(snapshot: Any) -> Named | None:
    """What an order's snapshot names that may credit an advocate, by signal; None without a snapshot."""
    from chalicelib.config import get_settings
    from chalicelib.referrals.offers import friend_key
    from chalicelib.sharing.attribution import named_by_signal

    if snapshot is None:
        return None
    return named_by_signal(
        landing_url=snapshot.landing_url,
        discount_codes=snapshot.discount_codes,
        note_codes=snapshot.note_codes,
        attribution_urls=snapshot.attribution_urls,
        base_url=get_settings().base_url,
        friend=friend_key(snapshot.email) if snapshot.email else None,
    )


def referral_keys(shop: Shop, named: Named | None) -> list[dict[str, str]]:
    """The keys an order's referral is read from, in the order's own BatchGetItem (pattern 20): the share codes it
    names, its discount codes among the pools' codes, and the claim of its buyer's mailbox."""
    if named is None:
        return []
    wanted = [keys.code_key(c) for c in named.share_codes()]
    wanted += [keys.referral_code_key(shop.shop_id, c) for c in named.pool_codes]
    if named.friend:
        wanted.append(keys.friend_claim_key(shop.shop_id, named.friend))
    return wanted


def referral_for(
    table: Table,
    shop: Shop,
    current: dict[str, Any] | None,
    snapshot: Any,
    named: Named | None,
    found: list[dict[str, Any]],
) -> dict[str, Any] | None:
    """The referral an order that is not yet known makes, from the items its BatchGetItem found (`found`), with
    the signal that named it; None for no referral. A friend's pool code whose claim the batch did not hold (a
    friend ordering from another mailbox) costs one more read, for that order only."""
    from chalicelib.sharing.attribution import choose_signal, friend_of
    from chalicelib.signing import email_hash
    from chalicelib.store.claims import CLAIM_TYPE
    from chalicelib.store.referral_codes import CODE_TYPE as REFERRAL_CODE_TYPE

    if named is None or snapshot is None or (current and current.get("known")):
        return None
    shares = [i for i in found if i.get("type") == "code"]
    pool_codes = [i for i in found if i.get("type") == REFERRAL_CODE_TYPE]
    claims = [i for i in found if i.get("type") == CLAIM_TYPE]
    if not (shares or pool_codes or claims):
        return None
    held = {str(c.get("friend")) for c in claims}
    named_pool = {c.upper() for c in named.pool_codes}
    missing = [
        friend
        for item in pool_codes
        if str(item.get("code", "")).upper() in named_pool
        and (friend := friend_of(item)) is not None
        and friend not in held
    ]
    if missing:
        claims += table.get_many([keys.friend_claim_key(shop.shop_id, f) for f in missing], consistent=True)
    return choose_signal(
        named,
        shares=shares,
        pool_codes=pool_codes,
        claims=claims,
        shop_id=shop.shop_id,
        order_at=snapshot.created_at,
        order_day=local_day(snapshot.created_at, shop.timezone),
        window_days=shop.settings.attribution_window_days,
        model=shop.settings.attribution_model,
        buyer_id=snapshot.customer_id,
        buyer_email_hash=email_hash(snapshot.email),
    )


def advocate_for(
    table: Table,
    shop: Shop,
    current: dict[str, Any] | None,
    chosen: dict[str, Any] | None,
    buyer_email_hash: str | None = None,
) -> dict[str, Any] | None:
    """The record of the advocate this event may credit or debit: one more read, only for referred orders.

    None for a new referral whose advocate's record has the buyer's mailbox: whatever signal named them, nobody
    refers themself."""
    referral = (current or {}).get("referral")
    advocate_id = chosen["customer_id"] if chosen else (referral or {}).get("advocate_id")
    if not advocate_id:
        return None
    advocate = table.get(keys.customer_key(shop.shop_id, advocate_id), consistent=True)
    if chosen and advocate and buyer_email_hash and advocate.get("email_hash") == buyer_email_hash:
        return None
    return advocate


def advocate_op(table: Table, shop: Shop, update: dict[str, Any]) -> dict[str, Any]:
    """Move the advocate's counters, guarded on the standing-referral count the plan was made from."""
    from chalicelib.store.advocates import Credit, credit_op

    counters: dict[str, Any] = {
        "referred_orders": update["orders"],
        "referred_revenue": update["revenue"],
        "active_referrals": update["active"],
    }
    if "order_id" in update:
        counters["referred_order_ids"] = {update["order_id"]}
    credit = Credit(
        weight=update["score"],
        counters=counters,
        sets={"advocate_day": update["advocate_day"]} if "advocate_day" in update else {},
        standing={"active_referrals": update["old_active"]},
    )
    return credit_op(table, shop.shop_id, update["customer_id"], credit)


def referral_event_ops(table: Table, shop: Shop, order: dict[str, Any], facts: list[str]) -> list[dict[str, Any]]:
    """The owner's referral.confirmed / referral.reversed events for the facts a plan adds, if they subscribe."""
    events = [("referral.confirmed", "referred"), ("referral.reversed", "referral_reversed")]
    if not any(fact in facts for _, fact in events):
        return []  # most orders: nothing to tell the owner, and the outbound module stays unloaded
    from chalicelib.outbound import event_op

    referral = order.get("referral") or {}
    data = {
        "order_id": order["order_id"],
        "code": referral.get("code"),
        "advocate_id": referral.get("advocate_id"),
        "currency": order.get("currency"),
        "revenue": referral.get("revenue"),
    }
    ops = [event_op(table, shop, name, data) for name, fact in events if fact in facts]
    return [op for op in ops if op]
