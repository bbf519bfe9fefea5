"""Submitting a review: verified by its signed link, one per order line, counted exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors, scoring
from chalicelib.clock import local_day
from chalicelib.experiments.assignment import conversions
from chalicelib.reviews import ANONYMOUS
from chalicelib.reviews.answering import review_ops as answer_ops
from chalicelib.reviews.moderation import moderate
from chalicelib.reviews.tokens import read_review_token
from chalicelib.store import aggregates, keys, reviews, store_ratings
from chalicelib.store.advocates import Credit, credit_op
from chalicelib.store.experiments import conversion_ops
from chalicelib.store.shop_records import Shop
from chalicelib.store.table import ConditionFailed, NamedOperation, Operation

if TYPE_CHECKING:
    from chalicelib.reviews.models import ReviewSubmission
    from chalicelib.store.table import Table

RACE_ATTEMPTS = 6
# A customer record lists the reviews erasure anonymises up to this many (~54 KB), far below DynamoDB's 400 KB.
MAX_REMEMBERED_REVIEWS = 2000


@dataclass
class ReviewContext:
    """What the form and the submission need: the shop, the order, its buyer and existing reviews."""

    shop: Shop
    order: dict[str, Any]
    customer: dict[str, Any] | None
    product_ids: tuple[str, ...]
    token: str


def author_label(name: str | None) -> str:
    """First name and last initial, as review widgets show buyers."""
    parts = (name or "").split()
    if not parts:
        return "Verified buyer"
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


def load_context(table: Table, token: str) -> ReviewContext:
    grant = read_review_token(token)
    order_key = keys.order_key(grant.shop_id, grant.order_id)
    found = table.get_many([keys.shop_key(grant.shop_id), order_key], consistent=True)
    shop_item = next((i for i in found if i.get("type") == "shop"), None)
    order = next((i for i in found if i.get("type") == "order"), None)
    if shop_item is None or order is None or not order.get("known"):
        raise errors.NotFound("this review link's order is not known", code="order_not_found")
    if order.get("redacted"):
        raise errors.Gone("this order's data was erased at the buyer's request", code="order_redacted")
    customer = table.get(keys.customer_key(grant.shop_id, order["customer_id"]), consistent=True)
    return ReviewContext(Shop.from_item(shop_item), order, customer, grant.product_ids, token)


def existing_reviews(table: Table, ctx: ReviewContext) -> dict[str, dict[str, Any]]:
    review_keys = [
        keys.review_key(ctx.shop.shop_id, keys.review_id(ctx.shop.shop_id, ctx.order["order_id"], p))
        for p in ctx.product_ids
    ]
    return {r["product_id"]: r for r in table.get_many(review_keys, consistent=True)}


def submit_review(table: Table, ctx: ReviewContext, submission: ReviewSubmission) -> dict[str, Any]:
    """Store the review and move every counter it touches in one transaction.

    The same submission again is answered again (`replayed`); a different one for the same item is 409."""
    if submission.product_id not in ctx.product_ids:
        raise errors.Forbidden("this review link does not cover that product", code="product_not_in_order")
    shop, order = ctx.shop, ctx.order
    threshold = shop.settings.happy_threshold
    verdict = moderate(
        submission.title,
        submission.body,
        submission.rating,
        happy_threshold=threshold,
        auto_publish=shop.settings.auto_publish,
    )
    happy = submission.rating >= threshold
    rid = keys.review_id(shop.shop_id, order["order_id"], submission.product_id)
    title = next((i.get("title", "") for i in order.get("items", []) if i["product_id"] == submission.product_id), "")
    photo_ids = list(submission.photo_ids)
    if photo_ids:
        from chalicelib.photos.service import photos_to_attach

        photos_to_attach(table, shop.shop_id, rid, photo_ids)  # each one this review's own, none refused
    for _ in range(RACE_ATTEMPTS):
        customer = table.get(keys.customer_key(shop.shop_id, order["customer_id"]), consistent=True) or {}
        now_dt = clock.now()
        now = clock.iso(now_dt)
        day = local_day(now, shop.timezone)
        review = {
            **keys.review_key(shop.shop_id, rid),
            "type": "review",
            "review_id": rid,
            "shop_id": shop.shop_id,
            "order_id": order["order_id"],
            "product_id": submission.product_id,
            "product_title": title,
            "customer_id": order["customer_id"],
            "author": ANONYMOUS if submission.anonymous else author_label(order.get("name")),
            "anonymous": submission.anonymous,
            "rating": submission.rating,
            "title": submission.title,
            "body": submission.body,
            "status": verdict.status,
            "moderation": list(verdict.reasons),
            "verified": True,
            "source": "proofloop",
            "created_at": now,
        }
        if photo_ids:
            review["photo_ids"] = photo_ids
        if verdict.status == "published":
            review["published_at"] = now
            review.update(keys.published_keys(shop.shop_id, submission.product_id, rid))
        else:
            review.update(keys.pending_keys(shop.shop_id, rid))
        first_review = not customer.get("first_review_day")
        first_happy = happy and not customer.get("first_happy_day")
        counters: aggregates.Deltas = {"reviews": 1, f"rating_{submission.rating}": 1}
        if happy:
            counters["happy_reviews"] = 1
        if first_review:
            counters["reviewers"] = 1
        if first_happy:
            counters["promoters"] = 1
        weight = scoring.weight_at("review", now_dt) + (scoring.weight_at("happy_review", now_dt) if happy else 0)
        record: dict[str, Any] = {"reviews": 1}
        if len(customer.get("review_ids") or ()) < MAX_REMEMBERED_REVIEWS:
            record["review_ids"] = {rid}
        firsts = {"first_review_day": day}
        if happy:
            record["happy_reviews"] = 1
            firsts["first_happy_day"] = day
        new = [name for name, first in (("first_review_day", first_review), ("first_happy_day", first_happy)) if first]
        credit = Credit(weight=weight, counters=record, firsts=firsts, new=tuple(new), joins_leaderboard=True)
        # The order's first review converts it in each experiment it is a unit of (the delay's it was assigned, the
        # texts' its request was sent with), once, for its variant.
        converts = conversions(order) if not order.get("reviewed_at") else {}
        ops: list[Operation | NamedOperation] = [
            ("review", reviews.new_review_op(table, review)),
            (
                "first",
                reviews.order_reviewed_op(
                    table, shop.shop_id, order["order_id"], submission.product_id, now, first=bool(converts)
                ),
            ),
            *conversion_ops(table, shop.shop_id, str(order["order_id"]), converts, now),
            credit_op(table, shop.shop_id, order["customer_id"], credit),
            aggregates.add_op(table, shop.shop_id, day, counters),
        ]
        if photo_ids:
            from chalicelib.photos.service import attach_ops

            ops += [("photo", op) for op in attach_ops(table, shop.shop_id, rid, photo_ids)]
        ops += answer_ops(table, shop, review)  # answering measured: chalicelib/reviews/answering.py
        if verdict.status == "published":
            ops.append(reviews.product_stats_op(table, shop.shop_id, submission.product_id, submission.rating, +1))
            if store_ratings.wanted(shop.platform):  # the store's own product data shows the stars too
                ops.append(store_ratings.mark_op(table, shop.shop_id, submission.product_id, now))
            ops += published_event(table, shop, review)
        try:
            table.transact(ops)
        except ConditionFailed as exc:
            if exc.failed("review"):
                stored = table.get(keys.review_key(shop.shop_id, rid), consistent=True)
                if stored and _same_review(stored, submission):
                    # The same submission again (a retry after a lost answer or a failure after the
                    # commit, a double-tapped button): answer it again, count nothing twice.
                    return {"review": stored, "happy": happy, "replayed": True}
                raise errors.Conflict(
                    "this item of the order has been reviewed already", code="review_exists"
                ) from None
            if exc.failed("photo"):
                raise errors.ValidationFailed(
                    "a photo was refused meanwhile; look at it again", code="photo_refused"
                ) from None
            if exc.failed("first"):  # another review of the order came first: it converted it
                order = table.get(keys.order_key(shop.shop_id, order["order_id"]), consistent=True) or order
            continue  # the buyer's record changed meanwhile (another review of theirs): re-read
        return {"review": review, "happy": happy, "replayed": False}
    raise errors.RetryLater("the review could not be saved; try again")


def _same_review(stored: dict[str, Any], submission: ReviewSubmission) -> bool:
    return (
        int(stored.get("rating", 0)) == submission.rating
        and stored.get("title", "") == submission.title
        and stored.get("body", "") == submission.body
        and bool(stored.get("anonymous")) == submission.anonymous
        and list(stored.get("photo_ids") or []) == list(submission.photo_ids)
    )


def share_offer_for(table: Table, ctx: ReviewContext, review: dict[str, Any]) -> dict[str, Any] | None:
    """A happy reviewer's share offer (their own code, made on their first happy review); else None."""
    from chalicelib.sharing.codes import ensure_share_code, share_offer

    if int(review["rating"]) < ctx.shop.settings.happy_threshold:
        return None
    customer = table.get(keys.customer_key(ctx.shop.shop_id, ctx.order["customer_id"]), consistent=True)
    if customer is None:
        return None
    return share_offer(ensure_share_code(table, ctx.shop, customer, review))


def published_event(table: Table, shop: Shop, review: dict[str, Any]) -> list[dict[str, Any]]:
    from chalicelib.outbound import event_op

    op = event_op(
        table,
        shop,
        "review.published",
        {
            "review_id": review["review_id"],
            "product_id": review["product_id"],
            "order_id": review["order_id"],
            "customer_id": review["customer_id"],
            "rating": int(review["rating"]),
            "title": review["title"],
            "body": review["body"],
            "published_at": review.get("published_at"),
        },
    )
    return [op] if op else []
