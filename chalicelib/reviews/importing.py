"""Bringing reviews from another app (Judge.me and Yotpo CSV exports) or another shop (our own export), and
exporting ours as CSV.

Rows stream through: a file of any length is read one row at a time, in chunks of 100 (a BatchGet
skips rows stored before), so memory stays flat. Each review is stored by a Put on the condition that
it is not there yet, in the same transaction as the ADDs to its product's aggregate: a review and its
counts are written together exactly once, even when two imports of one file run at the same time.
Imported reviews keep their dates, are published as the source had them, and are marked with their
source and as not verified by us.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.exports import restore
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed, conflict_pause

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

FORMATS: dict[str, dict[str, tuple[str, ...]]] = {
    # our field -> the column names the source app uses (compared case-insensitively)
    "judgeme": {
        "title": ("title",),
        "body": ("body",),
        "rating": ("rating",),
        "date": ("review_date",),
        "author": ("reviewer_name",),
        "product_id": ("product_id",),
        "product_handle": ("product_handle",),
        "reply": ("reply",),
        "published": ("curated",),
    },
    "yotpo": {
        "title": ("review title", "review_title", "title"),
        "body": ("review content", "review_content", "content"),
        "rating": ("review score", "review_score", "score"),
        "date": ("date", "created_at", "review date"),
        "author": ("display name", "display_name", "reviewer display name", "user name"),
        "product_id": ("product id", "product_id", "sku"),
        "product_handle": ("product title", "product_title"),
        "reply": ("comment content", "comment_content", "public comment"),
        "published": ("published", "status"),
    },
    # Our own export (EXPORT_COLUMNS), read back: its cells were neutralised by chalicelib.exports, and its
    # review ids are kept, so the same export imported twice, or into the shop it came from, stores nothing twice.
    "proofloop": {
        "review_id": ("review_id",),
        "title": ("title",),
        "body": ("body",),
        "rating": ("rating",),
        "date": ("created_at",),
        "author": ("author",),
        "product_id": ("product_id",),
        "product_handle": ("product_title",),
        "reply": ("reply",),
        "published": ("status",),
    },
}
OWN_FORMAT = "proofloop"
OWN_REVIEW_ID = re.compile(r"^(rv|im)_[0-9a-f]{24}$")  # keys.review_id's and imported_review_id's
REQUIRED = ("body", "rating", "date", "product_id")
# Actions in one transaction: DynamoDB takes 100, moto and older DynamoDB Local 25.
TRANSACTION_ACTIONS = 25
WRITE_ATTEMPTS = 5  # transactions that met another import's writes, tried again without its reviews
# A review its source had not published (or had waiting for moderation: our own export's "pending") stays hidden.
HIDDEN = {"false", "0", "no", "hidden", "unpublished", "not-yet", "spam", "rejected", "pending"}
# Our export's columns. rating (a number) and verified (a boolean) are ours and go to the CSV writer as such;
# every other column is text (the buyer's title, body and name, the platform's ids and product title, the
# owner's reply, and our own status, source and dates), neutralised by the writer where it looks like a formula.
EXPORT_COLUMNS = (
    "review_id",
    "product_id",
    "product_title",
    "rating",
    "title",
    "body",
    "author",
    "status",
    "verified",
    "source",
    "created_at",
    "published_at",
    "reply",
    "reply_at",
    "order_id",
)


Pending = tuple[dict[str, Any], dict[str, Any]]  # (the review's item, the parsed row)


@dataclass
class ImportReport:
    format: str
    dry_run: bool
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }


def _columns(header: list[str], fmt: str) -> dict[str, str]:
    lowered = {h.strip().lower(): h for h in header}
    found = {}
    for name, candidates in FORMATS[fmt].items():
        for candidate in candidates:
            if candidate in lowered:
                found[name] = lowered[candidate]
                break
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        raise errors.ValidationFailed(
            f"the CSV has no column for {', '.join(missing)} in the {fmt} layout", code="unknown_layout"
        )
    return found


def detect_format(header: list[str]) -> str | None:
    """The layout (judgeme, yotpo or our own) whose required columns a CSV's header has; None when none fits."""
    for fmt in FORMATS:
        try:
            _columns(header, fmt)
        except errors.ValidationFailed:
            continue
        return fmt
    return None


DATE_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S %Z", "%Y-%m-%d %H:%M:%S")


def _date(text: str) -> datetime:
    text = text.strip()
    try:
        # Judge.me writes "2025-08-14 09:12:33 UTC": read as ISO without the zone (UTC below), not by strptime,
        # which tries two layouts before its own and is most of a large file's parsing time.
        value = datetime.fromisoformat(text.removesuffix(" UTC").replace("Z", "+00:00"))
    except ValueError:
        for layout in DATE_FORMATS:
            try:
                value = datetime.strptime(text, layout)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"unreadable date {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def parse(lines: Iterable[str], fmt: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(row number, review) for good rows, (row number, reason) for rejected ones."""
    if fmt not in FORMATS:
        raise errors.BadRequest(f"format is one of {', '.join(FORMATS)}", code="invalid_format")
    reader = csv.DictReader(lines)
    if not reader.fieldnames:
        raise errors.ValidationFailed("the CSV is empty", code="empty_csv")
    columns = _columns(list(reader.fieldnames), fmt)
    own = fmt == OWN_FORMAT
    for number, row in enumerate(reader, start=2):
        value = {name: (row.get(column) or "").strip() for name, column in columns.items()}
        if own:
            # Our writer put a ' before text a spreadsheet would run: it comes off again here, and only here.
            # Another app's cells are read as that app wrote them: a leading ' there is its reviewer's text.
            value = {name: restore(text) for name, text in value.items()}
        try:
            rating = int(float(value["rating"]))
        except ValueError:
            yield number, f"rating {value['rating']!r} is not a number"
            continue
        if not 1 <= rating <= 5:
            yield number, f"rating {rating} is not between 1 and 5"
            continue
        if not value["body"] and not value.get("title"):
            yield number, "the review has no text"
            continue
        if len(value["body"]) > 5000 or len(value.get("title", "")) > 150:
            yield number, "the review is longer than 5000 characters (title 150)"
            continue
        if not value["product_id"] or len(value["product_id"]) > 64:
            yield number, "no product id"
            continue
        try:
            when = _date(value["date"])
        except ValueError as exc:
            yield number, str(exc)
            continue
        yield (
            number,
            {
                "product_id": value["product_id"],
                "product_title": value.get("product_handle", "")[:300],
                "rating": rating,
                "title": value.get("title", ""),
                "body": value["body"],
                "author": (value.get("author") or "Customer")[:100],
                "date": when,
                "reply": value.get("reply", ""),
                "published": value.get("published", "true").lower() not in HIDDEN,
                "review_id": value["review_id"] if OWN_REVIEW_ID.match(value.get("review_id", "")) else None,
            },
        )


def imported_review_id(shop_id: str, fmt: str, review: dict[str, Any]) -> str:
    """The id a parsed row is stored under: the same row of the same export is the same review; a row of our
    own export keeps its review's id."""
    if review.get("review_id"):
        return str(review["review_id"])
    digest = hashlib.sha256(
        "\x00".join(
            [shop_id, fmt, review["product_id"], review["author"], review["date"].isoformat(), review["body"]]
        ).encode()
    ).hexdigest()
    return "im_" + digest[:24]


def _item(shop_id: str, fmt: str, review: dict[str, Any], mark: str | None = None) -> dict[str, Any]:
    rid = imported_review_id(shop_id, fmt, review)
    stamp = clock.stamp(review["date"])
    when = stamp[:19] + "Z"
    item = {
        **keys.review_key(shop_id, rid),
        "type": "review",
        "review_id": rid,
        "shop_id": shop_id,
        "product_id": review["product_id"],
        "product_title": review["product_title"],
        "author": review["author"][:80],
        "rating": review["rating"],
        "title": review["title"],
        "body": review["body"],
        "status": "published" if review["published"] else "rejected",
        "verified": False,
        "source": fmt,
        "imported": True,
        "created_at": when,
    }
    if review["published"]:
        item["published_at"] = when
        item.update(keys.published_keys(shop_id, review["product_id"], rid, stamp))
    if review["reply"]:
        item["reply"] = {"body": review["reply"][:2000], "at": when}
    if mark:
        item["import_mark"] = mark
    return item


def import_reviews(
    table: Table,
    shop: Shop,
    lines: Iterable[str],
    fmt: str,
    dry_run: bool,
    max_rejections: int = 1000,
    chunk: int = 100,
    mark: str | None = None,
) -> ImportReport:
    """Import in chunks: read which rows are stored already, write the new ones in batches, then move
    each product's aggregate once per chunk by what was written (so a re-import adds nothing).

    `mark` (an import job's piece of the file) is stored on every review written: a review found stored
    with the same mark was written by an earlier run of this same piece, cut short, and counts as
    imported, not as a duplicate, so a piece run again reports what it stored."""
    report = ImportReport(format=fmt, dry_run=dry_run)
    pending: dict[str, Pending] = {}
    for number, parsed in parse(lines, fmt):
        report.rows += 1
        if isinstance(parsed, str):
            if len(report.rejected) < max_rejections:
                report.rejected.append({"row": number, "reason": parsed})
            continue
        if dry_run:
            report.imported += 1
            continue
        item = _item(shop.shop_id, fmt, parsed, mark)
        if item["review_id"] in pending:
            report.duplicates += 1
            continue
        pending[item["review_id"]] = (item, parsed)
        if len(pending) >= chunk:
            _write_chunk(table, shop, pending, report, mark)
            pending = {}
    if pending:
        _write_chunk(table, shop, pending, report, mark)
    return report


def _marked(items: list[dict[str, Any]], mark: str | None) -> int:
    """How many of these stored reviews an earlier run of the same marked piece wrote."""
    return 0 if mark is None else sum(1 for i in items if i.get("import_mark") == mark)


def _write_chunk(
    table: Table, shop: Shop, pending: dict[str, Pending], report: ImportReport, mark: str | None = None
) -> None:
    found = table.get_many([keys.review_key(shop.shop_id, rid) for rid in pending], consistent=True)
    stored = {i["review_id"] for i in found}
    fresh = [pair for rid, pair in pending.items() if rid not in stored]
    again = _marked(found, mark)
    report.imported += again
    report.duplicates += len(pending) - len(fresh) - again
    for group in _transaction_groups(fresh):
        written, again = _write_group(table, shop.shop_id, group, mark)
        report.imported += written + again
        report.duplicates += len(group) - written - again  # stored meanwhile by another import of the same rows
    _mark_stars(table, shop, fresh)


def _mark_stars(table: Table, shop: Shop, fresh: list[Pending]) -> None:
    """The products whose published aggregate the chunk moved, marked for the store's own stars right after it
    (a piece run again marks them again: a marker is one per product, so that only moves it)."""
    from chalicelib import clock
    from chalicelib.store import store_ratings

    products = {str(parsed["product_id"]) for _, parsed in fresh if parsed["published"]}
    if products and store_ratings.wanted(shop.platform):
        store_ratings.mark_many(table, shop.shop_id, products, clock.iso())


@dataclass
class _Transaction:
    """Reviews bound for one transaction, and the products whose aggregate it updates."""

    reviews: list[Pending] = field(default_factory=list)
    products: set[str] = field(default_factory=set)
    actions: int = 0

    def takes(self, product: str | None, size: int) -> bool:
        return product not in self.products and self.actions + size + (product is not None) <= TRANSACTION_ACTIONS

    def add(self, product: str | None, reviews: list[Pending]) -> None:
        self.reviews.extend(reviews)
        self.actions += len(reviews) + (product is not None)
        if product is not None:
            self.products.add(product)


def _transaction_groups(fresh: list[Pending]) -> list[list[Pending]]:
    """Reviews packed into transactions of at most TRANSACTION_ACTIONS actions: one Put per review and one
    counter update per product and rating. A transaction may touch an item once only, so a product comes
    with one rating per transaction; its other ratings go in other transactions."""
    by_counter: dict[tuple[str | None, int], list[Pending]] = {}
    for pair in fresh:
        parsed = pair[1]
        product = parsed["product_id"] if parsed["published"] else None  # hidden reviews count nowhere
        by_counter.setdefault((product, parsed["rating"]), []).append(pair)
    transactions: list[_Transaction] = []
    for (product, _), pairs in by_counter.items():
        room = TRANSACTION_ACTIONS - (product is not None)
        for start in range(0, len(pairs), room):
            piece = pairs[start : start + room]
            chosen = next((t for t in transactions if t.takes(product, len(piece))), None)
            if chosen is None:
                chosen = _Transaction()
                transactions.append(chosen)
            chosen.add(product, piece)
    return [t.reviews for t in transactions]


def _write_group(table: Table, shop_id: str, group: list[Pending], mark: str | None = None) -> tuple[int, int]:
    """Store the reviews not stored yet and add them to their products' aggregates, in one transaction.
    A review another import stored meanwhile fails its condition (or collides): it is dropped from the
    group, which is tried again. Returns how many reviews this call stored, and how many of those dropped
    another run of the same marked piece stored."""
    from chalicelib.store.reviews import new_review_op, product_stats_op

    remaining = list(group)
    again = 0
    for attempt in range(WRITE_ATTEMPTS):
        counts: dict[tuple[str, int], int] = {}
        for _, parsed in remaining:
            if parsed["published"]:
                key = (parsed["product_id"], parsed["rating"])
                counts[key] = counts.get(key, 0) + 1
        try:
            table.transact(
                [
                    *(new_review_op(table, item) for item, _ in remaining),
                    *(product_stats_op(table, shop_id, product, rating, n) for (product, rating), n in counts.items()),
                ]
            )
            return len(remaining), again
        except (ConditionFailed, errors.RetryLater):
            conflict_pause(attempt)
            found = table.get_many(
                [keys.review_key(shop_id, item["review_id"]) for item, _ in remaining], consistent=True
            )
            stored = {i["review_id"] for i in found}
            again += _marked(found, mark)
            remaining = [pair for pair in remaining if pair[0]["review_id"] not in stored]
            if not remaining:
                return 0, again
    raise errors.RetryLater("the import met another import of the same rows; send the file again")


def export_rows(table: Table, shop_id: str) -> Iterator[list[Any]]:
    yield list(EXPORT_COLUMNS)
    for item in table.query_all(keys.shop_partition(shop_id), sk_prefix=keys.REVIEW_PREFIX):
        reply = item.get("reply") or {}
        values = {
            **item,
            "rating": int(item["rating"]),
            "reply": reply.get("body", ""),
            "reply_at": reply.get("at", ""),
        }
        yield [
            values.get(column, "") if not isinstance(values.get(column), Decimal) else int(values[column])
            for column in EXPORT_COLUMNS
        ]
