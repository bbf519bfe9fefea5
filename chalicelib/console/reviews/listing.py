"""Every review of a shop as the console lists it: one Query plan chosen by the filters, what no key narrows
filtered here over a bounded read, a signed cursor at the last review examined (pattern 40 of keys.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import clock, signing
from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.console.reviews.models import ReviewFilters
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

PAGE_SIZE = 25  # reviews shown on one page
READ_BOUND = 200  # items one page request reads at most, whatever the filters
FIRST_READ = PAGE_SIZE  # without filters the key cannot apply, the first Query fills the page
NEXT_READ = 100
PRODUCT_CHOICES = 100  # products the filter offers by name; any other is still found by its id
# A pending review's index stamp is taken a moment after its created_at: the key range is widened by this much,
# and the exact day of created_at is checked here.
STAMP_SLACK = timedelta(seconds=1)


@dataclass(frozen=True)
class Plan:
    """The one partition a listing reads, how, and the order it shows."""

    partition: str
    index: str | None
    order: str  # in words, for the owner
    sk_prefix: str | None = None
    sk_between: tuple[str, str] | None = None
    newest_first: bool = False

    def scope(self, filters: ReviewFilters) -> str:
        """What a cursor is bound to: this partition under these filters (a cursor of others is refused), as a
        digest so that long filters do not make a long link."""
        import hashlib

        digest = hashlib.sha256(f"{self.partition}\x00{filters.query()}".encode()).hexdigest()[:32]
        return f"console-reviews:{digest}"


@dataclass(frozen=True)
class ReviewPage:
    reviews: list[dict[str, Any]]
    cursor: str | None  # the next stretch, signed; None when the listing is read to its end
    searched: int  # items read for this page
    order: str


def day_bounds(shop: Shop, first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """The UTC moments the shop's local days begin (first) and end (the day after last begins)."""
    zone = clock.zone(shop.timezone)
    start = datetime.combine(first, time(), zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), zone) if last else None
    return start, end


def plan_for(shop: Shop, filters: ReviewFilters) -> Plan:
    """The partition that holds what the filters ask for with the fewest other items."""
    shop_id = shop.shop_id
    if filters.status == "pending":
        between = None
        if filters.date_from or filters.date_to:
            start, end = day_bounds(shop, filters.date_from, filters.date_to)
            between = keys.pending_range(
                clock.stamp(start - STAMP_SLACK) if start else "0",
                clock.stamp(end + STAMP_SLACK) if end else "9",
            )
        return Plan(keys.pending_partition(shop_id), keys.GSI1, "newest first", None, between, newest_first=True)
    if filters.status == "published" and filters.product:
        return Plan(
            keys.published_partition(shop_id, filters.product), keys.GSI1, "newest published first", newest_first=True
        )
    return Plan(
        keys.shop_partition(shop_id),
        None,
        "as stored (by review id), not by date",
        sk_prefix=keys.REVIEW_PREFIX,
    )


def start_of(plan: Plan, filters: ReviewFilters) -> dict[str, Any] | None:
    """Where the page begins: the cursor's position, if this listing signed it (else 400 invalid_cursor)."""
    return signing.decode_cursor(plan.scope(filters), filters.cursor or None)


def matches(item: dict[str, Any], filters: ReviewFilters, timezone: str) -> bool:
    """Whether one stored review passes every filter (the key narrowed some of them already)."""
    if item.get("type") != "review":
        return False
    if filters.status != "any" and item.get("status") != filters.status:
        return False
    if filters.product and item.get("product_id") != filters.product:
        return False
    stars = filters.stars
    if stars and not stars[0] <= int(item.get("rating", 0)) <= stars[1]:
        return False
    if filters.date_from or filters.date_to:
        if not item.get("created_at"):
            return False
        day = clock.local_day(item["created_at"], timezone)
        if filters.date_from and day < filters.date_from.isoformat():
            return False
        if filters.date_to and day > filters.date_to.isoformat():
            return False
    if filters.q:
        needle = filters.q.casefold()
        if not any(needle in str(item.get(name) or "").casefold() for name in ("title", "body", "author")):
            return False
    return True


def list_page(table: Table, shop: Shop, filters: ReviewFilters, plan: Plan, start: dict[str, Any] | None) -> ReviewPage:
    """One page: up to PAGE_SIZE matching reviews, reading at most READ_BOUND items."""
    matched: list[dict[str, Any]] = []
    read = 0
    position = start
    while True:
        items, last = table.query(
            plan.partition,
            index=plan.index,
            sk_prefix=plan.sk_prefix,
            sk_between=plan.sk_between,
            limit=min(READ_BOUND - read, FIRST_READ if read == 0 else NEXT_READ),
            cursor=position,
            newest_first=plan.newest_first,
        )
        read += len(items)
        full_at = None
        for n, item in enumerate(items):
            if matches(item, filters, shop.timezone):
                matched.append(item)
                if len(matched) == PAGE_SIZE:
                    full_at = n
                    break
        if full_at is not None:
            # The page stops at the review that filled it; the next one begins right after it.
            position = keys.listing_position(items[full_at], plan.index) if last or full_at < len(items) - 1 else None
            break
        position = last
        if position is None or read >= READ_BOUND or not items:
            break
    return ReviewPage(
        reviews=[shown(table, item, shop.timezone) for item in matched],
        cursor=signing.encode_cursor(plan.scope(filters), position),
        searched=read,
        order=plan.order,
    )


def shown(table: Table, item: dict[str, Any], timezone: str) -> dict[str, Any]:
    """The owner's view of a review (its photos too), with its time in the shop's zone."""
    from chalicelib.reviews.owner import review_view

    view = review_view(item, table)
    view["moderation"] = list(item.get("moderation") or [])
    view["created_local"] = local_time(item.get("created_at"), timezone)
    return view


def local_time(moment: str | None, timezone: str) -> str:
    """A stored moment as the shop reads it: `2026-11-20 14:03`."""
    if not moment:
        return ""
    return clock.parse(moment).astimezone(clock.zone(timezone)).strftime("%Y-%m-%d %H:%M")


def product_choices(table: Table, shop_id: str) -> list[tuple[str, str]]:
    """The shop's products the filter offers, (id, title) by title: one Query, at most PRODUCT_CHOICES."""
    items, _ = table.query(keys.shop_partition(shop_id), sk_prefix=keys.PRODUCT_PREFIX, limit=PRODUCT_CHOICES)
    found = [(str(i["product_id"]), str(i.get("title") or i["product_id"])) for i in items if i.get("product_id")]
    return sorted(found, key=lambda pair: (pair[1].casefold(), pair[0]))
