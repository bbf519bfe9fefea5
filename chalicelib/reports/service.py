"""The owner's numbers: the funnel report, its CSV, and the advocate leaderboard, read from aggregates.

A report reads one Query per aggregate shard for its days and one Query of the leaderboard index:
its cost depends on the days and advocates shown, never on how many events the shop has.

Counts of people (customers, reviewers, promoters, sharers, advocates, referred customers) are
counted on the day the person first reached that stage, so a period's count is of distinct people
who reached the stage in it; counts of things (orders, reviews, shares, clicks) are of things in it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors, scoring, signing
from chalicelib.sharing.attribution import SIGNALS
from chalicelib.sharing.channels import CHANNELS
from chalicelib.store import aggregates, keys
from chalicelib.store.advocates import leaderboard, leaderboard_page, stored_score

if TYPE_CHECKING:
    from collections.abc import Iterator

    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

MAX_DAYS = 366
PEOPLE = ("customers", "reviewers", "promoters", "sharers", "advocates", "referred_customers")
THINGS = (
    "orders",
    "review_requests",
    "reminders",
    "reviews",
    "happy_reviews",
    "shares",
    "clicks",
    "previews",
    "referred_orders",
    "referral_reversals",
    "refunds",
    "cancelled_orders",
    "fulfilled_orders",
    "friend_claims",
    "rewards_issued",
)
SERIES = ("orders", "reviews", "shares", "clicks", "referred_orders")
CHANNEL_CLICKS = (*CHANNELS, "link")


def period(shop: Shop, start: str | None, end: str | None) -> tuple[date, date]:
    """The report's days in the shop's time zone; the last 30 days by default."""
    today = date.fromisoformat(clock.today(shop.timezone))
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=29)
    except ValueError:
        raise errors.BadRequest("from and to are dates as YYYY-MM-DD", code="invalid_date") from None
    if first > last:
        raise errors.BadRequest("from is after to", code="invalid_period")
    if (last - first).days + 1 > MAX_DAYS:
        raise errors.BadRequest(f"a report covers at most {MAX_DAYS} days", code="invalid_period")
    return first, last


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def build_report(table: Table, shop: Shop, first: date, last: date, top: int = 5) -> dict[str, Any]:
    days = aggregates.read_days(table, shop.shop_id, first.isoformat(), last.isoformat())
    totals: dict[str, Decimal] = {}
    for counters in days.values():
        for name, value in counters.items():
            totals[name] = totals.get(name, Decimal(0)) + value

    def count(name: str) -> int:
        return int(totals.get(name, 0))

    def by_prefix(prefix: str) -> dict[str, int | float]:
        return {k[len(prefix) :]: _number(v) for k, v in sorted(totals.items()) if k.startswith(prefix) and v}

    funnel: dict[str, Any] = {name: count(name) for name in (*THINGS, *PEOPLE)}
    funnel["shares"] = {"total": count("shares"), "by_channel": {c: count(f"shares_{c}") for c in CHANNELS}}
    funnel["clicks"] = {"total": count("clicks"), "by_channel": {c: count(f"clicks_{c}") for c in CHANNEL_CLICKS}}
    funnel["revenue"] = by_prefix("revenue_")
    funnel["referred_revenue"] = by_prefix("referred_revenue_")
    funnel["reward_value"] = by_prefix("reward_value_")  # rewards issued, by currency (chalicelib/referrals/rewards.py)
    funnel["ratings"] = {str(r): count(f"rating_{r}") for r in range(1, 6)}
    by_signal = {signal: count(f"referred_by_{signal}") for signal in SIGNALS}
    series = []
    current = first
    while current <= last:
        counters = days.get(current.isoformat(), {})
        series.append({"date": current.isoformat(), **{n: int(counters.get(n, 0)) for n in SERIES}})
        current += timedelta(days=1)
    leaders = advocates_page(table, shop, top, None)["advocates"]
    return {
        "shop_id": shop.shop_id,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": shop.timezone,
        "funnel": funnel,
        "rates": scoring.funnel_rates(funnel),
        "series": series,
        "top_advocates": leaders,
        "referrals_by_signal": by_signal,
        "score_model": scoring.score_model(),
    }


def advocate_view(item: dict[str, Any], now: datetime) -> dict[str, Any]:
    total = stored_score(item).total
    return {
        "customer": item["customer_id"],
        "name": None if item.get("redacted") else item.get("name"),
        "stage": scoring.stage(item),
        "score": scoring.advocate_score(total, now),
        "reviews": int(item.get("reviews", 0)),
        "shares": int(item.get("shares", 0)),
        "clicks": int(item.get("clicks", 0)),
        "referred_orders": int(item.get("referred_orders", 0)),
        "referred_revenue": _number(Decimal(item.get("referred_revenue", 0))),
        "code": item.get("share_code"),
    }


def advocates_page(table: Table, shop: Shop, limit: int, cursor: str | None) -> dict[str, Any]:
    """Customers who reached at least the reviewer stage, highest score first, from the ByScore index."""
    scope = keys.leader_partition(shop.shop_id)
    items, last = leaderboard_page(table, shop.shop_id, limit, signing.decode_cursor(scope, cursor))
    now = clock.now()
    return {"advocates": [advocate_view(i, now) for i in items], "cursor": signing.encode_cursor(scope, last)}


# score, the four counts and referred_revenue are our own numbers and go to the writer as numbers; customer
# (the platform's id), name (the buyer's), stage and code are text, neutralised where they look like a formula.
ADVOCATE_COLUMNS = (
    "customer",
    "name",
    "stage",
    "score",
    "reviews",
    "shares",
    "clicks",
    "referred_orders",
    "referred_revenue",
    "code",
)


def advocate_rows(table: Table, shop: Shop) -> Iterator[list[Any]]:
    """Every advocate of the shop, highest score first, as the leaderboard shows them (all pages)."""
    yield list(ADVOCATE_COLUMNS)
    now = clock.now()
    for item in leaderboard(table, shop.shop_id):
        view = advocate_view(item, now)
        yield [view.get(column) if view.get(column) is not None else "" for column in ADVOCATE_COLUMNS]


CSV_COLUMNS = (
    "date",
    "orders",
    "customers",
    "review_requests",
    "reviews",
    "reviewers",
    "promoters",
    "sharers",
    "shares",
    "clicks",
    "referred_orders",
    "referred_customers",
    "advocates",
    "friend_claims",
    *(f"referred_by_{signal}" for signal in SIGNALS),
    "rewards_issued",
)


def report_rows(table: Table, shop: Shop, first: date, last: date) -> Iterator[list[Any]]:
    """The CSV report's rows: one per day and a totals row, the same numbers as the JSON report."""
    days = aggregates.read_days(table, shop.shop_id, first.isoformat(), last.isoformat())
    currencies = sorted(
        {k[len("referred_revenue_") :] for d in days.values() for k in d if k.startswith("referred_revenue_")}
    )
    rewarded = sorted({k[len("reward_value_") :] for d in days.values() for k in d if k.startswith("reward_value_")})
    columns = (
        *CSV_COLUMNS[1:],
        *(f"referred_revenue_{c}" for c in currencies),
        *(f"reward_value_{c}" for c in rewarded),
    )
    # Every cell but the first column's (our own day or "total") is one of our counters, handed to the writer
    # as a number so that it stays one whatever its sign: a `-12.5` here is a numeral, not a formula.
    yield [CSV_COLUMNS[0], *columns]
    totals: dict[str, Decimal] = {}
    current = first
    while current <= last:
        counters = days.get(current.isoformat(), {})
        row: list[Any] = [current.isoformat()]
        for name in columns:
            value = counters.get(name, Decimal(0))
            totals[name] = totals.get(name, Decimal(0)) + value
            row.append(_number(value))
        yield row
        current += timedelta(days=1)
    yield ["total", *(_number(totals[n]) for n in columns)]
