"""A review's record as the owner and buyers move it: stored once, published (onto its product's list) or
rejected (off every list), answered in public, voted helpful; and the product's published-review aggregate that
moves with it. The domain says what happens; the writes are built here, each
conditioned so that a review changed meanwhile, or a vote given twice, is refused rather than overwritten."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from chalicelib import clock
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table

Vote = Literal["counted", "voted_already", "no_review"]


def listed_at(review: dict[str, Any]) -> str:
    """Where a review sits on the list it was read from (its GSI1 sort key: when it was listed, then its id)."""
    return str(review[keys.GSI1SK])


def new_review_op(table: Table, review: dict[str, Any]) -> Operation:
    """Store a review that is not stored yet: refused when its item exists (the same order line reviewed, or
    imported, already)."""
    return table.put_op(review, "attribute_not_exists(PK)")


def order_reviewed_op(
    table: Table, shop_id: str, order_id: str, product_id: str, at: str, first: bool = False
) -> Operation:
    """The order says it is reviewed (since its first review) and which of its products are. `first`: only if this
    is its first review (what an experiment's conversion is counted with, once)."""
    return table.update_op(
        keys.order_key(shop_id, order_id),
        "SET reviewed_at = if_not_exists(reviewed_at, :now) ADD reviewed_products :p",
        values={":now": at, ":p": {product_id}},
        condition="attribute_exists(PK) AND attribute_not_exists(reviewed_at)" if first else "attribute_exists(PK)",
    )


def publish_op(table: Table, shop_id: str, review_id: str, product_id: str, was: str, at: str) -> Operation:
    """Publish the review, still `was` as read: onto its product's published list, newest first, as of `at`."""
    published = keys.published_keys(shop_id, product_id, review_id)
    return table.update_op(
        keys.review_key(shop_id, review_id),
        "SET #s = :pub, published_at = :now, GSI1PK = :gpk, GSI1SK = :gsk",
        names={"#s": "status"},
        values={
            ":pub": "published",
            ":now": at,
            ":gpk": published[keys.GSI1PK],
            ":gsk": published[keys.GSI1SK],
            ":was": was,
        },
        condition="#s = :was",
    )


def reject_op(table: Table, shop_id: str, review_id: str, was: str, at: str) -> Operation:
    """Reject the review, still `was` as read: off the moderation queue or its product's list."""
    return table.update_op(
        keys.review_key(shop_id, review_id),
        "SET #s = :rej, rejected_at = :now REMOVE GSI1PK, GSI1SK",
        names={"#s": "status"},
        values={":rej": "rejected", ":now": at, ":was": was},
        condition="#s = :was",
    )


def feed_gone_op(table: Table, shop_id: str, review_id: str, at: str) -> Operation:
    """A published review withdrawn at `at`: Google's product review feed lists it as deleted for
    `keys.FEED_GONE_TTL_SECONDS`."""
    return table.put_op(
        {
            **keys.feed_gone_key(shop_id, review_id),
            "type": "feed_gone",
            "review_id": review_id,
            "at": at,
            keys.TTL_ATTRIBUTE: clock.epoch() + keys.FEED_GONE_TTL_SECONDS,
        }
    )


def feed_back_op(table: Table, shop_id: str, review_id: str) -> Operation:
    """A review published (again): the feed no longer lists it among the deleted ones."""
    return table.delete_op(keys.feed_gone_key(shop_id, review_id))


def product_stats_op(table: Table, shop_id: str, product_id: str, rating: int, count: int) -> Operation:
    """Keep a product's published-review aggregate as reviews are published (+n) or withdrawn (-n)."""
    return table.update_op(
        keys.product_stats_key(shop_id, product_id),
        "ADD review_count :n, rating_sum :s, #r :n SET product_id = :p, shop_id = :shop",
        names={"#r": f"rating_{rating}"},
        values={":n": count, ":s": Decimal(count * rating), ":p": product_id, ":shop": shop_id},
    )


def vote_field(helpful: bool) -> str:
    """The review's counter a vote adds to."""
    return "helpful_yes" if helpful else "helpful_no"


def vote(table: Table, shop_id: str, review_id: str, visitor: str, helpful: bool) -> Vote:
    """One visitor's helpful (or not) vote on a review, counted once: the visitor's mark (kept for
    `keys.VOTE_TTL_SECONDS`) and the review's counter in one transaction. `voted_already` when the visitor's
    mark is there, `no_review` when the review is not (nothing is counted either way)."""
    try:
        table.transact(
            [
                (
                    "vote",
                    table.put_op(
                        {
                            **keys.vote_key(shop_id, review_id, visitor),
                            keys.TTL_ATTRIBUTE: clock.epoch() + keys.VOTE_TTL_SECONDS,
                        },
                        "attribute_not_exists(PK)",
                    ),
                ),
                (
                    "review",
                    table.update_op(
                        keys.review_key(shop_id, review_id),
                        f"ADD {vote_field(helpful)} :one",
                        values={":one": 1},
                        condition="attribute_exists(PK)",
                    ),
                ),
            ]
        )
    except ConditionFailed as exc:
        return "voted_already" if exc.failed("vote") else "no_review"
    return "counted"
