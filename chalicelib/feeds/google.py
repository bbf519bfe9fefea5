"""Google's product review feed (`product_reviews.xsd`, version 2.2), written out as the reviews are read.

Merchant Center shows product ratings from this feed. Google refuses feeds that leave out low ratings,
carry reviews from non-buyers or point at another domain, so every published review goes in whatever its
rating, and a review Google would refuse is left out by name and reason (the report says which and why):
a product without a page on the shop's own domains, a review without text.

Memory stays flat however many reviews a shop has: reviews are read a page at a time (access pattern 35),
each page's products once (a bounded cache), and the XML goes out in small pieces as it is made.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from chalicelib.reviews import ANONYMOUS
from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

VERSION = "2.2"
SCHEMA = f"http://www.google.com/shopping/reviews/schema/product/{VERSION}/product_reviews.xsd"
MINIMUM_REVIEWS = 50  # Google shows a publisher's product ratings once its feeds hold 50 reviews
PAGE = 200  # reviews read per query
PRODUCT_CACHE = 2000  # product items kept while writing (a shop's reviews come in id order, not by product)
REASONS = {
    "no_product_url": "the product has no page URL: send its product webhook, or name its url in the order",
    "foreign_domain": "the product's page is not on one of the shop's domains",
    "empty_content": "the review has no text",
}
# Characters XML 1.0 cannot carry at all: a review with one would make the whole feed unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Entry:
    """One review as the feed sees it: its product, and why Google would refuse it (None: it goes in)."""

    review: dict[str, Any]
    product: dict[str, Any]
    reason: str | None


def _text(value: Any) -> str:
    return _NOT_XML.sub("", str(value or "")).strip()


def _product_url(product: dict[str, Any], domains: list[str]) -> tuple[str | None, str | None]:
    """The product page and None, or None and why there is none Google would take."""
    url = str(product.get("url") or "")
    if not url:
        return None, "no_product_url"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in domains:
        return None, "foreign_domain"
    return url, None


def entries(table: Table, shop: Shop) -> Iterator[Entry]:
    """Every published review of the shop with its product, a page of reviews at a time."""
    products: OrderedDict[str, dict[str, Any]] = OrderedDict()
    domains = [d.lower() for d in shop.domains]
    cursor = None
    while True:
        items, cursor = table.query(
            keys.shop_partition(shop.shop_id), sk_prefix=keys.REVIEW_PREFIX, limit=PAGE, cursor=cursor
        )
        published = [i for i in items if i.get("status") == "published"]
        if any(i.get("photo_ids") for i in published):
            from chalicelib.photos.service import display_photos

            photos = display_photos(table, published)
            published = [{**i, "photos": photos.get(i["review_id"], [])} for i in published]
        wanted = {i["product_id"] for i in published} - products.keys()
        if wanted:
            found = {
                p["product_id"]: p
                for p in table.get_many([keys.product_key(shop.shop_id, pid) for pid in sorted(wanted)])
            }
            for pid in wanted:
                products[pid] = found.get(pid) or {"product_id": pid}
        for review in published:
            product = products[review["product_id"]]
            products.move_to_end(review["product_id"])
            url, reason = _product_url(product, domains)
            if reason is None and not _text(review.get("body")):
                reason = "empty_content"
            yield Entry(review, {**product, "url": url}, reason)
        while len(products) > PRODUCT_CACHE:
            products.popitem(last=False)
        if cursor is None:
            return


def deleted_review_ids(table: Table, shop_id: str) -> Iterator[str]:
    """Reviews published once and rejected since (kept for a month: access pattern 36)."""
    for item in table.query_all(keys.shop_partition(shop_id), sk_prefix=keys.FEED_GONE_PREFIX):
        yield str(item["review_id"])


def _element(name: str, value: Any, **attributes: str) -> str:
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in attributes.items())
    return f"<{name}{attrs}>{escape(_text(value))}</{name}>"


def _codes(container: str, element: str, values: list[str]) -> str:
    kept = [v for v in (_text(v) for v in values) if v]
    return f"<{container}>{''.join(_element(element, v) for v in kept)}</{container}>" if kept else ""


def _product(product: dict[str, Any], fallback_name: str) -> str:
    ids = "".join(
        [
            _codes("gtins", "gtin", list(product.get("gtins") or ())),
            _codes("mpns", "mpn", list(product.get("mpns") or ())),
            _codes("skus", "sku", list(product.get("skus") or ())),
            _codes("brands", "brand", [product["brand"]] if product.get("brand") else []),
        ]
    )
    name = _text(product.get("title")) or _text(fallback_name)
    return (
        "<product>"
        + (f"<product_ids>{ids}</product_ids>" if ids else "")
        + (_element("product_name", name) if name else "")
        + _element("product_url", product["url"])
        + "</product>"
    )


def review_xml(entry: Entry) -> str:
    """One <review>, its elements in the order the schema names them."""
    review, product = entry.review, entry.product
    author = _text(review.get("author"))
    anonymous = not author or author == ANONYMOUS or bool(review.get("anonymous"))
    reviewer = _element("name", ANONYMOUS, is_anonymous="true") if anonymous else _element("name", author)
    title = _text(review.get("title"))
    photos = [p["url"] for p in review.get("photos") or () if isinstance(p, dict) and p.get("url")]
    parts = [
        "<review>",
        _element("review_id", review["review_id"]),
        f"<reviewer>{reviewer}</reviewer>",
        _element("review_timestamp", review.get("created_at") or review.get("published_at")),
        _element("title", title) if title else "",
        _element("content", review.get("body")),
        _element("review_url", product["url"], type="group"),  # the widget shows it among the product's reviews
        (
            "<reviewer_images>"
            + "".join(f"<reviewer_image>{_element('url', u)}</reviewer_image>" for u in photos)
            + "</reviewer_images>"
            if photos
            else ""
        ),
        f"<ratings>{_element('overall', int(review['rating']), min='1', max='5')}</ratings>",
        f"<products>{_product(product, str(review.get('product_title') or ''))}</products>",
        # Our own requests go out after fulfilment; an imported review's origin is not known.
        _element("collection_method", "unsolicited" if review.get("imported") else "post_fulfillment"),
        _element("transaction_id", review["order_id"]) if review.get("order_id") else "",
        "</review>\n",
    ]
    return "".join(parts)


def feed(table: Table, shop: Shop) -> Iterator[str]:
    """The whole feed, piece by piece: the header, every review Google would take, the deleted reviews."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield (
        '<feed xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:noNamespaceSchemaLocation="{SCHEMA}">\n'
        f"<version>{VERSION}</version>\n"
        f"<publisher>{_element('name', _text(shop.name) or shop.shop_id)}</publisher>\n"
    )
    opened = False  # the schema wants <reviews> to hold at least one review, so it opens with the first
    for entry in entries(table, shop):
        if entry.reason is not None:
            continue
        if not opened:
            yield "<reviews>\n"
            opened = True
        yield review_xml(entry)
    if opened:
        yield "</reviews>\n"
    gone = list(dict.fromkeys(deleted_review_ids(table, shop.shop_id)))
    if gone:
        yield "<deleted_reviews>" + "".join(_element("review_id", rid) for rid in gone) + "</deleted_reviews>\n"
    yield "</feed>\n"


def report(table: Table, shop: Shop, detail_limit: int = 200) -> dict[str, Any]:
    """What the feed holds and what Google would refuse, product by product, and whether the shop has the
    reviews Google asks for before it shows ratings."""
    in_feed = 0
    reasons: Counter[str] = Counter()
    ratings: Counter[int] = Counter()
    products: dict[str, dict[str, Any]] = {}
    left_out: list[dict[str, Any]] = []
    for entry in entries(table, shop):
        pid = entry.review["product_id"]
        row = products.setdefault(
            pid,
            {
                "product_id": pid,
                "name": _text(entry.product.get("title")) or _text(entry.review.get("product_title")) or pid,
                "product_url": entry.product.get("url"),
                "in_feed": 0,
                "left_out": 0,
            },
        )
        if entry.reason is None:
            in_feed += 1
            row["in_feed"] += 1
            ratings[int(entry.review["rating"])] += 1
            continue
        row["left_out"] += 1
        reasons[entry.reason] += 1
        if len(left_out) < detail_limit:
            left_out.append(
                {
                    "review_id": entry.review["review_id"],
                    "product_id": pid,
                    "reason": entry.reason,
                    "message": REASONS[entry.reason],
                }
            )
    return {
        "shop_id": shop.shop_id,
        "reviews_in_feed": in_feed,
        "reviews_left_out": sum(reasons.values()),
        "ratings": {str(r): ratings[r] for r in range(1, 6)},
        "deleted_reviews": len(set(deleted_review_ids(table, shop.shop_id))),
        "minimum_reviews": MINIMUM_REVIEWS,
        "meets_minimum": in_feed >= MINIMUM_REVIEWS,
        "reasons": {reason: reasons[reason] for reason in REASONS if reasons[reason]},
        "left_out": left_out,
        "products": sorted(products.values(), key=lambda p: (-p["in_feed"] - p["left_out"], p["product_id"])),
    }
