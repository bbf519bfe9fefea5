"""The console's customers: search by name or email, the top advocates, and one customer's timeline and score.

Every fact on a customer's page is read from where it is kept, with bounded calls (keys.py, pattern 44): their
record, their orders, reviews and share code, the orders their link brought, and the code's per-day counters.
What is kept without its time (shares and clicks are counted per day) is shown on its day and said so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors, scoring, signing
from chalicelib.store import keys
from chalicelib.store.advocates import leaderboard_page, stored_score
from chalicelib.store.orders import request_waiting

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

RESULTS = 50  # search results shown, highest score first
TOP = 25  # advocates a page of the starting list shows
MAX_LISTED = 100  # orders, reviews and referred orders a customer's page reads (each list; BatchGetItem)
CODE_DAYS = 400  # days of a share code's counters read per shard (Query; newest first)
SHARE_TIME_NOTE = "Shares and clicks are counted per day, without their time: each is shown at the end of its day."


# --- the list --------------------------------------------------------------------------------------------


def customer_row(item: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One customer as the list shows them: the leaderboard's view of them and their orders."""
    from chalicelib.reports.service import advocate_view

    return {**advocate_view(item, now), "orders": int(item.get("orders", 0)), "erased": bool(item.get("redacted"))}


def top_advocates(table: Table, shop: Shop, cursor: str | None) -> dict[str, Any]:
    """The starting list: the shop's advocates, highest score first (pattern 22), a page at a time."""
    scope = keys.leader_partition(shop.shop_id)
    items, last = leaderboard_page(table, shop.shop_id, TOP, signing.decode_cursor(scope, cursor))
    now = clock.now()
    return {"rows": [customer_row(i, now) for i in items], "cursor": signing.encode_cursor(scope, last)}


def search(table: Table, shop: Shop, query: str) -> dict[str, Any]:
    """The customers a search finds (every word must match), highest score first. Bad input raises
    ValidationFailed naming the field q."""
    from chalicelib.customer_index import find_customers, search_terms

    found = find_customers(table, shop.shop_id, search_terms(query))
    records = table.get_many([keys.customer_key(shop.shop_id, c) for c in found.customer_ids])
    now = clock.now()
    rows = [customer_row(r, now) for r in records if r.get("type") == "customer"]
    rows.sort(key=lambda r: (-r["score"], (r["name"] or "").casefold(), r["customer"]))
    return {"rows": rows[:RESULTS], "matched": len(rows), "complete": found.complete, "shown": min(len(rows), RESULTS)}


# --- one customer ----------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One step of a customer's timeline, at a moment (to the second) or on a day (a per-day counter)."""

    day: str  # the shop's local day
    moment: str  # the shop's local time hh:mm, or "" for a fact kept per day
    kind: str
    title: str
    detail: str = ""
    planned: bool = False  # due later (a review request still to go out)
    seq: int = 0

    @property
    def sort_key(self) -> tuple[str, int, str, int]:
        return (self.day, 1 if not self.moment else 0, self.moment, self.seq)


@dataclass
class Timeline:
    shop: Shop
    entries: list[Entry] = field(default_factory=list)

    def at(self, stamp: str, kind: str, title: str, detail: str = "", planned: bool = False) -> None:
        local = clock.parse(stamp).astimezone(clock.zone(self.shop.timezone))
        day, moment = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
        self.entries.append(Entry(day, moment, kind, title, detail, planned, len(self.entries)))

    def on(self, day: str, kind: str, title: str, detail: str = "") -> None:
        self.entries.append(Entry(day, "", kind, title, detail, False, len(self.entries)))

    def ordered(self) -> list[Entry]:
        return sorted(self.entries, key=lambda e: e.sort_key)


def _money(amount: Any, currency: str | None) -> str:
    return f"{Decimal(str(amount)):.2f} {currency or ''}".strip()


def _items_text(order: dict[str, Any]) -> str:
    items = order.get("items") or []
    shown = ", ".join(f"{i.get('title') or i.get('product_id')} \u00d7 {int(i.get('quantity', 1))}" for i in items[:5])
    return shown + (f" and {len(items) - 5} more" if len(items) > 5 else "")


REQUEST_WITHOUT_TIME = {
    "cancelled": "its review request was cancelled (the order was cancelled or refunded in full)",
    "suppressed": "its review request was not sent (unsubscribed, erased, or the shop left)",
    "reviewed": "its review request was not needed (reviewed before it was due)",
}


def _own_order(timeline: Timeline, order: dict[str, Any], notes: set[str]) -> None:
    oid, currency = order["order_id"], order.get("currency")
    if order.get("created_at"):
        detail = f"{_items_text(order)} · {_money(order.get('total', 0), currency)}"
        status = order.get("request_status")
        if status in REQUEST_WITHOUT_TIME:
            detail += f" · {REQUEST_WITHOUT_TIME[status]} (when is not stored)"
            notes.add("A review request that was cancelled or not sent is kept without its time: its order says so.")
        timeline.at(order["created_at"], "order", f"Order {oid} placed", detail)
    if order.get("fulfilled_at"):
        timeline.at(order["fulfilled_at"], "fulfilled", f"Order {oid} fulfilled")
    if order.get("delivered_at"):
        timeline.at(order["delivered_at"], "delivered", f"Order {oid} delivered")
    if order.get("sent_at"):
        timeline.at(order["sent_at"], "request", f"Review request sent for order {oid}")
    if order.get("postponed_at"):
        due = order.get("request_due_at")
        detail = f"next email planned for {_local(timeline.shop, due)}" if due else ""
        title = f"Not arrived yet: the buyer postponed order {oid}'s email"
        timeline.at(order["postponed_at"], "postponed", title, detail)
    if order.get("reminded_at"):
        timeline.at(order["reminded_at"], "reminder", f"Reminder sent for order {oid}")
    status, due = order.get("request_status"), order.get("request_due_at")
    waiting = request_waiting(order)
    if due and waiting and not order.get("reviewed_at"):  # a reviewed buyer is not asked again
        what = "Review request" if status == "scheduled" else "Reminder"
        timeline.at(due, "planned", f"{what} planned for order {oid}", planned=True)
    for _, refund in sorted((order.get("refunds") or {}).items(), key=lambda r: (r[1]["at"], r[0])):
        timeline.at(refund["at"], "refund", f"Refund of {_money(refund['amount'], currency)} on order {oid}")
    if order.get("cancelled_at"):
        timeline.at(order["cancelled_at"], "cancelled", f"Order {oid} cancelled")


def _local(shop: Shop, stamp: str) -> str:
    return clock.parse(stamp).astimezone(clock.zone(shop.timezone)).strftime("%Y-%m-%d %H:%M")


def _review(timeline: Timeline, review: dict[str, Any], threshold: int) -> None:
    rating = int(review.get("rating", 0))
    product = review.get("product_title") or review.get("product_id")
    mood = "happy" if rating >= threshold else "not happy"
    status = review.get("status", "")
    if review.get("created_at"):
        timeline.at(review["created_at"], "review", f"Reviewed {product}: {rating} of 5 stars", f"{mood}; {status} now")
    if review.get("published_at") and review.get("published_at") != review.get("created_at"):
        timeline.at(review["published_at"], "published", f"Review of {product} published by you")
    if review.get("rejected_at"):
        timeline.at(review["rejected_at"], "rejected", f"Review of {product} rejected by you")


def _referral_reversed_at(order: dict[str, Any]) -> str | None:
    """When a referral stopped standing: the cancellation, or the refund that made the refunds whole."""
    if order.get("cancelled_at"):
        return str(order["cancelled_at"])
    refunded = Decimal(0)
    for refund in sorted((order.get("refunds") or {}).values(), key=lambda r: r["at"]):
        refunded += Decimal(str(refund["amount"]))
        if refunded >= Decimal(str(order.get("total", 0))):
            return str(refund["at"])
    return None


def _referred(timeline: Timeline, order: dict[str, Any]) -> None:
    referral = order.get("referral") or {}
    currency = order.get("currency")
    friend = "A new customer" if referral.get("new_customer") else "A returning customer"
    if order.get("created_at"):
        timeline.at(
            order["created_at"],
            "referred",
            f"{friend} ordered through their link",
            f"{_money(order.get('total', 0), currency)} · the friend is not named here",
        )
    reversed_at = _referral_reversed_at(order) if referral.get("reversed") else None
    for refund in sorted((order.get("refunds") or {}).values(), key=lambda r: r["at"]):
        if refund["at"] != reversed_at:
            timeline.at(
                refund["at"],
                "referral_refund",
                f"A refund of {_money(refund['amount'], currency)} lowered a referral's credit",
            )
    if reversed_at:
        why = "cancelled" if order.get("cancelled_at") else "refunded in full"
        timeline.at(reversed_at, "referral_reversed", "Referral credit reversed", f"the referred order was {why}")


def _code_days(table: Table, code: str) -> dict[str, dict[str, int]]:
    """A share code's counters by day, every shard summed (pattern 19): shares and clicks by channel."""
    days: dict[str, dict[str, int]] = {}
    for shard in range(keys.CODE_SHARDS):
        items, _ = table.query(keys.code_stat_partition(code, shard), limit=CODE_DAYS, newest_first=True)
        for item in items:
            counters = days.setdefault(keys.day_of_sort_key(item[keys.SK]), {})
            for name, value in item.items():
                if name not in (keys.PK, keys.SK) and isinstance(value, Decimal):
                    counters[name] = counters.get(name, 0) + int(value)
    return days


def _share_days(timeline: Timeline, days: dict[str, dict[str, int]]) -> None:
    from chalicelib.reports.service import CHANNEL_CLICKS
    from chalicelib.sharing.channels import CHANNEL_NAMES, CHANNELS

    names = {**CHANNEL_NAMES, "link": "the plain link"}
    for day in sorted(days):
        counters = days[day]
        for channel in CHANNELS:
            count = counters.get(f"shares_{channel}", 0)
            if count:
                timeline.on(day, "share", f"Shared on {names[channel]}", f"{count} share{'s' if count > 1 else ''}")
        clicks = counters.get("clicks", 0)
        if clicks:
            by = ", ".join(
                f"{names[c]} {counters[f'clicks_{c}']}" for c in CHANNEL_CLICKS if counters.get(f"clicks_{c}")
            )
            timeline.on(day, "clicks", f"{clicks} friend{'s' if clicks > 1 else ''} clicked their link", by)
        previews = counters.get("previews", 0)
        if previews:
            timeline.on(day, "previews", f"{previews} link preview{'s' if previews > 1 else ''} shown")


def _noon(day: str, tz: str) -> datetime:
    """The middle of a shop's local day: where a fact kept per day is weighed (its time is not kept)."""
    from datetime import date

    return datetime.combine(date.fromisoformat(day), time(12), tzinfo=clock.zone(tz))


# --- the score, action by action --------------------------------------------------------------------------

ACTION_LABELS = {
    "review": "Reviews",
    "happy_review": "Happy reviews (on top)",
    "share": "Shares",
    "click": "Friends' clicks",
    "referred_order": "Referred orders",
    "referred_revenue": "Referred revenue",
    "reversal": "Refunds and reversals of referral credit",
    "unitemised": "Not itemised",
}


@dataclass
class Part:
    action: str
    count: Decimal
    earned: Decimal  # the score model's weight of these actions, before decay
    stored: Decimal  # what they added to the stored sum (weights referenced to the score's epoch)


def _weight(action: str, moment: datetime | str, amount: Decimal | int = 1) -> Decimal:
    return scoring.weight_at(action, clock.parse(moment), amount)


def score_parts(
    customer: dict[str, Any],
    reviews: list[dict[str, Any]],
    referred: list[dict[str, Any]],
    days: dict[str, dict[str, int]],
    shop: Shop,
) -> list[Part]:
    """What each kind of action added to the customer's stored score sum, from the facts that are kept.

    Reviews and referrals are weighed at their own times, as they were counted; clicks are their rolled-up
    weight as stored. A share's time is not kept: when every review and referral is accounted for, the
    shares' weight is exactly what the rest of the stored sum holds, else each share is weighed at the
    middle of its day and what the facts do not account for is a row of its own. Either way the parts add
    up to the stored sum the leaderboard ranks by."""
    weights = {action: Decimal(str(w)) for action, w in scoring.WEIGHTS.items()}
    threshold = shop.settings.happy_threshold
    parts: list[Part] = []

    def add(action: str, count: Decimal | int, earned: Decimal, stored: Decimal) -> None:
        if count or stored:
            parts.append(Part(action, Decimal(count), earned, stored))

    dated = [r for r in reviews if r.get("created_at")]
    happy = [r for r in dated if int(r.get("rating", 0)) >= threshold]
    add("review", len(dated), weights["review"] * len(dated), _sum("review", [r["created_at"] for r in dated]))
    add(
        "happy_review",
        len(happy),
        weights["happy_review"] * len(happy),
        _sum("happy_review", [r["created_at"] for r in happy]),
    )
    orders, revenue, stored_orders, stored_revenue = 0, Decimal(0), Decimal(0), Decimal(0)
    undone, undone_earned, undone_stored = 0, Decimal(0), Decimal(0)
    for order in referred:
        referral, at = order.get("referral") or {}, order.get("created_at")
        if not at:
            continue
        total = Decimal(str(order.get("total", 0)))
        orders += 1
        revenue += total
        stored_orders += _weight("referred_order", at)
        stored_revenue += _weight("referred_revenue", at, total)
        if referral.get("reversed"):
            undone += 1
            undone_earned += weights["referred_order"] + weights["referred_revenue"] * total
            undone_stored += _weight("referred_order", at) + _weight("referred_revenue", at, total)
        elif Decimal(str(referral.get("revenue", total))) < total:
            cut = total - Decimal(str(referral.get("revenue", total)))
            undone += 1
            undone_earned += weights["referred_revenue"] * cut
            undone_stored += _weight("referred_revenue", at, cut)
    add("referred_order", orders, weights["referred_order"] * orders, stored_orders)
    add("referred_revenue", revenue, weights["referred_revenue"] * revenue, stored_revenue)
    add("reversal", undone, -undone_earned, -undone_stored)

    held = stored_score(customer)
    shares = int(customer.get("shares", 0))
    accounted = (
        len(dated) == int(customer.get("reviews", 0))
        and len(happy) == int(customer.get("happy_reviews", 0))
        and orders == int(customer.get("referred_orders", 0)) + sum(1 for o in referred if _reversed(o))
    )
    if shares and accounted:
        # The events' part holds reviews, shares and referrals (clicks are kept apart, in their own part).
        rest = held.events - sum((p.stored for p in parts), Decimal(0))
        add("share", shares, weights["share"] * shares, rest)
    else:
        per_day = {day: c.get("shares", 0) for day, c in days.items() if c.get("shares", 0)}
        stored = sum((_weight("share", _noon(d, shop.timezone), n) for d, n in per_day.items()), Decimal(0))
        add("share", shares, weights["share"] * shares, stored)
    clicks = int(customer.get("clicks", 0))
    add("click", clicks, weights["click"] * clicks, held.clicks)
    rest = held.total - sum((p.stored for p in parts), Decimal(0))
    if rest:
        parts.append(Part("unitemised", Decimal(0), Decimal(0), rest))
    listed = list(ACTION_LABELS)
    return sorted(parts, key=lambda p: listed.index(p.action))


def _sum(action: str, moments: list[str]) -> Decimal:
    return sum((_weight(action, m) for m in moments), Decimal(0))


def _reversed(order: dict[str, Any]) -> bool:
    return bool((order.get("referral") or {}).get("reversed"))


def score_breakdown(customer: dict[str, Any], parts: list[Part], now: datetime) -> dict[str, Any]:
    """Each part's weight as earned, its weight decayed to today, and its points: the score shared out in
    proportion to today's weights, so the points add up to the score the leaderboard shows."""
    stored_total = stored_score(customer).total
    score = scoring.advocate_score(stored_total, now)
    decay = scoring.raw_score(1, now)  # 2^(-age/half-life) today, the same for every stored weight
    raw_total = scoring.raw_score(stored_total, now)
    rows: list[dict[str, Any]] = []
    for part in parts:
        today = float(part.stored) * decay
        if part.action == "unitemised" and abs(today) < 0.005:
            continue  # a rounding's worth: the weights are kept to six decimals
        rows.append(
            {
                "action": part.action,
                "label": ACTION_LABELS[part.action],
                "count": float(part.count) if part.action == "referred_revenue" else int(part.count),
                "weight": scoring.WEIGHTS.get(part.action),
                "earned": round(float(part.earned), 2),
                "today": round(today, 2),
                "points": round(score * today / raw_total, 2) if raw_total > 0 else 0.0,
            }
        )
    if rows and raw_total > 0:
        # Rounding each row can leave the sum a cent off the score: the largest row takes the difference.
        largest = max(rows, key=lambda r: abs(r["points"]))
        largest["points"] = round(largest["points"] + score - sum(r["points"] for r in rows), 2)
    return {
        "rows": rows,
        "score": score,
        "raw": round(raw_total, 2),
        "points": round(sum(r["points"] for r in rows), 2),
        "model": scoring.score_model(),
    }


def customer_page(table: Table, shop: Shop, customer_id: str) -> dict[str, Any]:
    """Everything the customer's page shows; NotFound for no such customer of this shop."""
    customer = table.get(keys.customer_key(shop.shop_id, customer_id), consistent=True)
    if customer is None or customer.get("type") != "customer":
        raise errors.NotFound("this shop has no such customer", code="customer_not_found")
    notes: set[str] = set()
    order_ids = sorted(customer.get("order_ids") or ())
    review_ids = sorted(customer.get("review_ids") or ())
    referred_ids = sorted(customer.get("referred_order_ids") or ())
    for name, listed in (("orders", order_ids), ("reviews", review_ids), ("referred orders", referred_ids)):
        if len(listed) > MAX_LISTED:
            notes.add(f"This page reads {MAX_LISTED} of their {len(listed)} {name}.")
    code = str(customer["share_code"]) if customer.get("share_code") else None
    wanted = [keys.order_key(shop.shop_id, o) for o in order_ids[:MAX_LISTED]]
    wanted += [keys.review_key(shop.shop_id, r) for r in review_ids[:MAX_LISTED]]
    wanted += [keys.order_key(shop.shop_id, o) for o in referred_ids[:MAX_LISTED]]
    if code:
        wanted.append(keys.code_key(code))
    found = table.get_many(wanted) if wanted else []
    own = set(order_ids)
    orders = [i for i in found if i.get("type") == "order" and i["order_id"] in own]
    reviews = [i for i in found if i.get("type") == "review" and i.get("customer_id") == customer_id]
    referred = [
        i
        for i in found
        if i.get("type") == "order"
        and i.get("shop_id") == shop.shop_id
        and (i.get("referral") or {}).get("advocate_id") == customer_id
    ]
    code_item = next((i for i in found if i.get("type") == "code" and i.get("customer_id") == customer_id), None)
    days = _code_days(table, code) if code and code_item else {}

    timeline = Timeline(shop)
    for order in orders:
        _own_order(timeline, order, notes)
    for review in reviews:
        _review(timeline, review, shop.settings.happy_threshold)
    if code_item and code_item.get("created_at"):
        # A code made on the buyer's own share page (the referral program's link in every request) has no review
        why = "after a happy review" if code_item.get("review_id") else "on their share page"
        timeline.at(code_item["created_at"], "code", "Their share link was made", why)
    _share_days(timeline, days)
    for order in referred:
        _referred(timeline, order)
    if customer.get("unsubscribed_at"):
        timeline.at(customer["unsubscribed_at"], "unsubscribed", "Unsubscribed from review emails")
    if customer.get("redacted_at"):
        timeline.at(customer["redacted_at"], "erased", "Personal data erased at their request")
    if days:
        notes.add(SHARE_TIME_NOTE)
    counted_referrals = int(customer.get("referred_orders", 0)) + sum(
        1 for o in referred if (o.get("referral") or {}).get("reversed")
    )
    if counted_referrals > len(referred) and len(referred_ids) <= MAX_LISTED:
        notes.add(
            "Orders their link brought before the console listed them are counted in the figures, "
            "but not shown one by one here."
        )
    rolled, counted = int(customer.get("clicks", 0)), sum(d.get("clicks", 0) for d in days.values())
    if counted > rolled:
        notes.add(f"{counted - rolled} of their friends' clicks are not in the score yet: the due work adds them.")

    now = clock.now()
    erased = bool(customer.get("redacted"))
    latest = max(orders, key=lambda o: str(o.get("created_at", "")), default=None)
    parts = score_parts(customer, reviews, referred, days, shop)
    return {
        "customer": {
            **customer_row(customer, now),
            "name": None if erased else customer.get("name"),
            "email": None if erased or latest is None else latest.get("email"),
            "first_order_at": customer.get("first_order_at"),
            "erased_at": customer.get("redacted_at"),
            "unsubscribed": bool(customer.get("unsubscribed")),
            "referred_revenue": str(customer.get("referred_revenue", 0)),
        },
        "timeline": timeline.ordered(),
        "breakdown": score_breakdown(customer, parts, now),
        "notes": sorted(notes),
        "erased": erased,
        "timezone": shop.timezone,
    }
