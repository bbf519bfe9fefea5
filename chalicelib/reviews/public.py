"""Published reviews as social proof: the listing, the aggregate, schema.org JSON-LD, helpful votes.

`sort=helpful` ranks by the lower bound of the Wilson score interval (95 %) on a review's helpful
votes: a review with 40 of 45 "helpful" ranks above one with 2 of 2, because two votes prove little.
Reviews without votes rank by recency after those with evidence.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib import errors, signing
from chalicelib.store import keys
from chalicelib.store.reviews import listed_at, vote_field
from chalicelib.store.reviews import vote as count_vote

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

SORTS = ("newest", "helpful", "rating")
MAX_SORTED = 1000  # a product's published reviews ranked in memory for helpful/rating


def wilson_lower_bound(positive: int, total: int, z: float = 1.96) -> float:
    if total <= 0:
        return 0.0
    phat = positive / total
    return (phat + z * z / (2 * total) - z * math.sqrt((phat * (1 - phat) + z * z / (4 * total)) / total)) / (
        1 + z * z / total
    )


def public_view(item: dict[str, Any], photos: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    reply = item.get("reply")
    return {
        "review_id": item["review_id"],
        "product_id": item["product_id"],
        "author": item.get("author") or "Anonymous",
        "rating": int(item["rating"]),
        "title": item.get("title") or "",
        "body": item.get("body") or "",
        "verified": bool(item.get("verified")),
        "source": item.get("source", "proofloop"),
        "published_at": item.get("published_at"),
        "helpful": int(item.get("helpful_yes", 0)),
        "not_helpful": int(item.get("helpful_no", 0)),
        "reply": {"body": reply["body"], "at": reply["at"]} if reply else None,
        "photos": photos or [],
    }


def aggregate(stats: dict[str, Any] | None) -> dict[str, Any]:
    count = int((stats or {}).get("review_count", 0))
    total = Decimal((stats or {}).get("rating_sum", 0))
    return {
        "count": count,
        "average": round(float(total / count), 2) if count else None,
        "distribution": {str(r): int((stats or {}).get(f"rating_{r}", 0)) for r in range(1, 6)},
    }


def json_ld(
    product_id: str, name: str, agg: dict[str, Any], reviews: list[dict[str, Any]], url: str | None
) -> dict[str, Any]:
    """A schema.org Product; aggregateRating only when the product has a published review."""
    block: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": name or product_id,
        "productID": product_id,
    }
    if url:
        block["url"] = url
    if agg["count"]:
        block["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": agg["average"],
            "reviewCount": agg["count"],
            "bestRating": 5,
            "worstRating": 1,
        }
        block["review"] = [
            {
                "@type": "Review",
                "author": {"@type": "Person", "name": r["author"]},
                "datePublished": (r["published_at"] or "")[:10],
                "name": r["title"] or None,
                "reviewBody": r["body"],
                "reviewRating": {"@type": "Rating", "ratingValue": r["rating"], "bestRating": 5, "worstRating": 1},
                "image": [p["url"] for p in r.get("photos") or []] or None,
            }
            for r in reviews
        ]
        for review in block["review"]:
            for optional in ("name", "image"):
                if review[optional] is None:
                    del review[optional]
    return block


def product_reviews(
    table: Table, shop: Shop, product_id: str, sort: str, limit: int, cursor: str | None, lang: str | None = None
) -> dict[str, Any]:
    """A page of the product's published reviews; `texts`: the widget's words in the page's language (`lang`,
    when it is one of ours), else in the shop's."""
    if sort not in SORTS:
        raise errors.BadRequest(f"sort is one of {', '.join(SORTS)}", code="invalid_sort")
    scope = keys.published_partition(shop.shop_id, product_id)
    stats_key = keys.product_stats_key(shop.shop_id, product_id)
    product_key = keys.product_key(shop.shop_id, product_id)
    wanted = [stats_key, product_key]
    answers_key = keys.answers_key(shop.shop_id)
    if shop.settings.show_answer_rate:  # the badge rides in the same BatchGetItem: no call more
        wanted.append(answers_key)
    found = {i[keys.SK]: i for i in table.get_many(wanted)}
    stats = found.get(stats_key[keys.SK])
    product = found.get(product_key[keys.SK])
    if sort == "newest":
        items, last = table.query(
            scope, index=keys.GSI1, limit=limit, newest_first=True, cursor=signing.decode_cursor(scope, cursor)
        )
        next_cursor = signing.encode_cursor(scope, last)
    else:
        items, next_cursor = _ranked(table, scope, sort, limit, cursor)
    photos = _photos(table, items)
    reviews = [public_view(i, photos.get(i["review_id"])) for i in items]
    agg = aggregate(stats)
    name = (product or {}).get("title") or next((i.get("product_title") for i in items if i.get("product_title")), "")
    answer: dict[str, Any] = {
        "shop_id": shop.shop_id,
        "product_id": product_id,
        "aggregate": agg,
        "reviews": reviews,
        "cursor": next_cursor,
        "json_ld": json_ld(product_id, str(name or ""), agg, reviews, (product or {}).get("url")),
    }
    if shop.settings.show_answer_rate:
        from chalicelib import clock
        from chalicelib.reviews.answering import shop_answers

        # Outside the JSON-LD on purpose: it is the shop's own claim about itself, not a review of the product.
        badge = shop_answers(found.get(answers_key[keys.SK]), clock.today(shop.timezone))
        if badge is not None:
            answer["shop_answers"] = badge
    from chalicelib.reviews.widget_texts import listing_language, widget_texts

    answer["texts"] = widget_texts(listing_language(lang, shop.settings.language), agg, answer.get("shop_answers"))
    return answer


def _photos(table: Table, items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The page's published photos by review; nothing is read when no review on it has any."""
    if not any(i.get("photo_ids") for i in items):
        return {}
    from chalicelib.photos.service import display_photos

    return display_photos(table, items)


def _ranked(
    table: Table, scope: str, sort: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    position = signing.decode_cursor(f"{scope}#{sort}", cursor) or {}
    try:
        offset = max(int(position.get("o", 0)), 0)
    except (TypeError, ValueError):
        raise errors.BadRequest("the cursor is not valid", code="invalid_cursor") from None
    everything: list[dict[str, Any]] = []
    page_key = None
    while len(everything) < MAX_SORTED:
        items, page_key = table.query(scope, index=keys.GSI1, limit=200, newest_first=True, cursor=page_key)
        everything += items
        if page_key is None:
            break

    def helpful(item: dict[str, Any]) -> tuple[float, str]:
        yes, no = int(item.get("helpful_yes", 0)), int(item.get("helpful_no", 0))
        return wilson_lower_bound(yes, yes + no), listed_at(item)

    def rating(item: dict[str, Any]) -> tuple[int, str]:
        return int(item["rating"]), listed_at(item)

    everything.sort(key=helpful if sort == "helpful" else rating, reverse=True)
    page = everything[offset : offset + limit]
    more = offset + limit < len(everything)
    return page, signing.encode_cursor(f"{scope}#{sort}", {"o": str(offset + limit)}) if more else None


def ratings_summary(table: Table, shop: Shop, product_ids: list[str]) -> dict[str, Any]:
    found = table.get_many([keys.product_stats_key(shop.shop_id, p) for p in product_ids])
    by_id = {i["product_id"]: i for i in found}
    return {"shop_id": shop.shop_id, "products": {p: aggregate(by_id.get(p)) for p in product_ids}}


def vote(table: Table, shop_id: str, review_id: str, helpful: bool, visitor: str) -> dict[str, Any]:
    """One helpful/not-helpful vote per visitor per review."""

    review = table.get(keys.review_key(shop_id, review_id))
    if review is None or review.get("status") != "published":
        raise errors.NotFound("no such published review", code="review_not_found")
    field = vote_field(helpful)
    counted = count_vote(table, shop_id, review_id, visitor, helpful)
    if counted == "voted_already":
        raise errors.Conflict("you voted on this review already", code="already_voted")
    if counted == "no_review":
        raise errors.NotFound("no such published review", code="review_not_found")
    review[field] = int(review.get(field, 0)) + 1
    return public_view(review)
