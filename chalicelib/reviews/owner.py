"""The owner's side of reviews: the moderation queue, publish, reject, reply in public."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors, signing
from chalicelib.store import keys, reviews
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

PUBLIC_FIELDS = (
    "review_id",
    "product_id",
    "product_title",
    "author",
    "rating",
    "title",
    "body",
    "status",
    "verified",
    "source",
    "created_at",
    "published_at",
    "reply",
    "moderation",
    "order_id",
)


def review_view(item: dict[str, Any], table: Table | None = None) -> dict[str, Any]:
    """The owner's view of a review; with the table, its photos too (each one's state and whether hidden)."""
    view = {k: item.get(k) for k in PUBLIC_FIELDS if k in item}
    view["rating"] = int(item["rating"])
    if table is not None and item.get("photo_ids"):
        from chalicelib.photos.service import owner_photos

        view["photos"] = owner_photos(table, item)
    return view


def list_reviews(table: Table, shop_id: str, status: str, limit: int, cursor: str | None) -> dict[str, Any]:
    if status != "pending":
        raise errors.BadRequest(
            "only status=pending is listed here; published reviews are public", code="unsupported_status"
        )
    scope = keys.pending_partition(shop_id)
    items, last = table.query(scope, index=keys.GSI1, limit=limit, cursor=signing.decode_cursor(scope, cursor))
    return {"reviews": [review_view(i, table) for i in items], "cursor": signing.encode_cursor(scope, last)}


def _get(table: Table, shop_id: str, review_id: str) -> dict[str, Any]:
    item = table.get(keys.review_key(shop_id, review_id), consistent=True)
    if item is None:
        raise errors.NotFound(f"review {review_id!r} does not exist", code="review_not_found")
    return item


def _now() -> str:
    return clock.iso()


def publish(table: Table, shop: Shop, review_id: str) -> dict[str, Any]:
    from chalicelib.reviews.submission import published_event

    shop_id = shop.shop_id
    review = _get(table, shop_id, review_id)
    if review["status"] == "published":
        return review_view(review)
    now = _now()
    try:
        table.transact(
            [
                reviews.publish_op(table, shop_id, review_id, review["product_id"], review["status"], now),
                reviews.product_stats_op(table, shop_id, review["product_id"], int(review["rating"]), +1),
                *published_event(table, shop, {**review, "published_at": now}),
                # Published again: Google's feed no longer lists it among the deleted reviews.
                reviews.feed_back_op(table, shop_id, review_id),
                *_stars_op(table, shop.platform, shop_id, review["product_id"], now),
            ]
        )
    except ConditionFailed:
        raise errors.Conflict("the review changed meanwhile; reload it", code="edit_conflict") from None
    return review_view({**review, "status": "published", "published_at": now})


def _stars_op(table: Table, platform: str, shop_id: str, product_id: str, now: str) -> list[Any]:
    """The product's marker for the store's own stars (its reviews.rating metafields), for a shop that keeps them."""
    from chalicelib.store import store_ratings

    return [store_ratings.mark_op(table, shop_id, product_id, now)] if store_ratings.wanted(platform) else []


def reject(table: Table, shop_id: str, review_id: str, platform: str = "") -> dict[str, Any]:
    """Reject a review; `platform` is the shop's (a published review's product is marked for the store's stars)."""
    review = _get(table, shop_id, review_id)
    if review["status"] == "rejected":
        return review_view(review)
    from chalicelib.reviews.answering import reject_ops

    ops = [reviews.reject_op(table, shop_id, review_id, review["status"], _now()), *reject_ops(table, shop_id, review)]
    if review["status"] == "published":
        ops.append(reviews.product_stats_op(table, shop_id, review["product_id"], int(review["rating"]), -1))
        ops += _stars_op(table, platform, shop_id, review["product_id"], _now())
        # Google's product review feed had it: the feed now tells Google it is gone.
        ops.append(reviews.feed_gone_op(table, shop_id, review_id, _now()))
    try:
        table.transact(ops)
    except ConditionFailed:
        raise errors.Conflict("the review changed meanwhile; reload it", code="edit_conflict") from None
    from chalicelib.photos.service import mark_card_due

    mark_card_due(table, shop_id, review.get("customer_id", ""), review_id)  # its share card is deleted
    return review_view({**review, "status": "rejected"})


def reply(table: Table, shop: Shop, review_id: str, body: str) -> dict[str, Any]:
    """The owner's public answer; the review's first one is counted (chalicelib/reviews/answering.py)."""
    from chalicelib.reviews.answering import record_reply

    review = _get(table, shop.shop_id, review_id)
    answer = {"body": body, "at": _now()}
    record_reply(table, shop, review, answer)
    return review_view({**review, "reply": answer})
