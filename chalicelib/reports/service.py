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
from chalicelib.reviews.answering import figures as answer_figures
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
# Answering measured (chalicelib/reviews/answering.py): the period's reviews answered, their rates and median times.
ANSWER_COUNTS = ("unhappy_reviews", "answered_reviews", "answered_unhappy_reviews")
ANSWER_RATES = ("reply_rate", "unhappy_reply_rate")
ANSWER_MEDIANS = ("reply_hours_median", "unhappy_reply_hours_median")
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


REFERRED = "referred_revenue_"
REWARDED = "reward_value_"  # rewards issued, by currency (chalicelib/referrals/rewards.py)
PER_REWARD_VALUE = "referred_revenue_per_reward_value_"  # the CSV's column of the ratio, one per currency


def per_reward_value(referred: Decimal, rewarded: Decimal) -> float | None:
    """Referred revenue per unit of reward value issued, both in one currency: null without reward value in it (never
    a division by zero), otherwise rounded to 4 places as every funnel rate is."""
    return None if not rewarded else round(float(referred / rewarded), 4)


def revenue_per_reward_value(counters: dict[str, Decimal], currencies: list[str]) -> dict[str, float | None]:
    """`rates.referred_revenue_per_reward_value`: an object by currency, whatever their number (one currency is still
    `{"USD": 6.4}`), so that a reader never has to tell a number from an object; currencies are never added together
    nor converted. The JSON, CSV and console all compute it here, from the same counters."""
    return {
        c: per_reward_value(counters.get(REFERRED + c, Decimal(0)), counters.get(REWARDED + c, Decimal(0)))
        for c in currencies
    }


def _currencies(counters: dict[str, Decimal]) -> list[str]:
    """The currencies of referred revenue or reward value with a sum other than zero over the counters."""
    return sorted({k[len(p) :] for k, v in counters.items() for p in (REFERRED, REWARDED) if k.startswith(p) and v})


def _sum_days(days: dict[str, dict[str, Decimal]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for counters in days.values():
        for name, value in counters.items():
            totals[name] = totals.get(name, Decimal(0)) + value
    return totals


def program_figures(report: dict[str, Any]) -> dict[str, Any]:
    """The give-get program's figures of a report (its period): friends' claims, rewards issued, reward value and
    referred revenue by currency, referred revenue per unit of reward value. Counters all: no scan."""
    funnel = report["funnel"]
    return {
        "friend_claims": funnel["friend_claims"],
        "rewards_issued": funnel["rewards_issued"],
        "reward_value": funnel["reward_value"],
        "referred_revenue": funnel["referred_revenue"],
        "referred_revenue_per_reward_value": report["rates"]["referred_revenue_per_reward_value"],
    }


def period_program_figures(table: Table, shop: Shop, first: date, last: date) -> dict[str, Any]:
    """The program's figures for a period as the report gives them, read from the aggregates alone (no leaderboard)."""
    totals = _sum_days(aggregates.read_days(table, shop.shop_id, first.isoformat(), last.isoformat()))
    funnel = _funnel(totals)
    rates = {"referred_revenue_per_reward_value": revenue_per_reward_value(totals, _currencies(totals))}
    return {"from": first.isoformat(), "to": last.isoformat(), **program_figures({"funnel": funnel, "rates": rates})}


def build_report(table: Table, shop: Shop, first: date, last: date, top: int = 5) -> dict[str, Any]:
    days = aggregates.read_days(table, shop.shop_id, first.isoformat(), last.isoformat())
    totals = _sum_days(days)
    funnel = _funnel(totals)
    by_signal = {signal: int(totals.get(f"referred_by_{signal}", 0)) for signal in SIGNALS}
    series = []
    current = first
    while current <= last:
        counters = days.get(current.isoformat(), {})
        series.append({"date": current.isoformat(), **{n: int(counters.get(n, 0)) for n in SERIES}})
        current += timedelta(days=1)
    leaders = advocates_page(table, shop, top, None)["advocates"]
    answering = answer_figures(totals)
    funnel.update({name: answering[name] for name in ANSWER_COUNTS})
    rates: dict[str, Any] = {
        **scoring.funnel_rates(funnel),
        "referred_revenue_per_reward_value": revenue_per_reward_value(totals, _currencies(totals)),
        **{name: answering[name] for name in ANSWER_RATES},
    }
    return {
        "shop_id": shop.shop_id,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": shop.timezone,
        "funnel": funnel,
        "rates": rates,
        "series": series,
        "top_advocates": leaders,
        "referrals_by_signal": by_signal,
        **{name: answering[name] for name in ANSWER_MEDIANS},
        "score_model": scoring.score_model(),
    }


def _funnel(totals: dict[str, Decimal]) -> dict[str, Any]:
    """The report's funnel from a period's summed counters."""

    def count(name: str) -> int:
        return int(totals.get(name, 0))

    def by_prefix(prefix: str) -> dict[str, int | float]:
        return {k[len(prefix) :]: _number(v) for k, v in sorted(totals.items()) if k.startswith(prefix) and v}

    funnel: dict[str, Any] = {name: count(name) for name in (*THINGS, *PEOPLE)}
    funnel["shares"] = {"total": count("shares"), "by_channel": {c: count(f"shares_{c}") for c in CHANNELS}}
    funnel["clicks"] = {"total": count("clicks"), "by_channel": {c: count(f"clicks_{c}") for c in CHANNEL_CLICKS}}
    funnel["revenue"] = by_prefix("revenue_")
    funnel["referred_revenue"] = by_prefix(REFERRED)
    funnel["reward_value"] = by_prefix(REWARDED)
    funnel["ratings"] = {str(r): count(f"rating_{r}") for r in range(1, 6)}
    return funnel


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
    *ANSWER_COUNTS,
)
CSV_ANSWER_COLUMNS = (*ANSWER_RATES, *ANSWER_MEDIANS)  # computed from each row's counters, empty where null


def report_rows(table: Table, shop: Shop, first: date, last: date) -> Iterator[list[Any]]:
    """The CSV report's rows: one per day and a totals row, the same numbers as the JSON report."""
    days = aggregates.read_days(table, shop.shop_id, first.isoformat(), last.isoformat())
    currencies = sorted({k[len(REFERRED) :] for d in days.values() for k in d if k.startswith(REFERRED)})
    rewarded = sorted({k[len(REWARDED) :] for d in days.values() for k in d if k.startswith(REWARDED)})
    # Referred revenue per unit of reward value, a column per currency of either: the JSON report's
    # `rates.referred_revenue_per_reward_value` (the totals row is the period's), empty where it is null.
    ratios = sorted({*currencies, *rewarded})
    columns = (
        *CSV_COLUMNS[1:],
        *(f"{REFERRED}{c}" for c in currencies),
        *(f"{REWARDED}{c}" for c in rewarded),
    )
    # Every cell but the first column's (our own day or "total") is one of our counters (or a ratio of two), handed
    # to the writer as a number so that it stays one whatever its sign: a `-12.5` here is a numeral, not a formula.
    yield [CSV_COLUMNS[0], *columns, *(f"{PER_REWARD_VALUE}{c}" for c in ratios), *CSV_ANSWER_COLUMNS]
    current = first
    while current <= last:
        counters = days.get(current.isoformat(), {})
        yield [current.isoformat(), *_csv_cells(counters, columns, ratios)]
        current += timedelta(days=1)
    yield ["total", *_csv_cells(_sum_days(days), columns, ratios)]


def _csv_cells(counters: dict[str, Decimal], columns: tuple[str, ...], ratios: list[str]) -> list[Any]:
    per = revenue_per_reward_value(counters, ratios)
    answering = answer_figures(counters)
    counted = {name: Decimal(answering[name]) for name in ANSWER_COUNTS}
    return [
        *(_number(counted.get(n, counters.get(n, Decimal(0)))) for n in columns),
        *(per[c] for c in ratios),
        *("" if answering[n] is None else answering[n] for n in CSV_ANSWER_COLUMNS),
    ]
