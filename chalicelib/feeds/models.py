"""What the feed endpoints answer: the secret URL, and the report on what Google would take."""

from __future__ import annotations

from pydantic import BaseModel


class FeedUrl(BaseModel):
    """The feed's secret URL for Merchant Center's scheduled fetch (null: none issued, or revoked)."""

    feed_url: str | None


class LeftOut(BaseModel):
    review_id: str
    product_id: str
    reason: str
    message: str


class ProductCoverage(BaseModel):
    product_id: str
    name: str
    product_url: str | None
    in_feed: int
    left_out: int


class FeedReport(BaseModel):
    """The feed as Google would read it: what goes in, what is left out and why, product by product."""

    shop_id: str
    feed_url: str | None
    reviews_in_feed: int
    reviews_left_out: int
    ratings: dict[str, int]
    deleted_reviews: int
    minimum_reviews: int
    meets_minimum: bool
    reasons: dict[str, int]
    left_out: list[LeftOut]
    products: list[ProductCoverage]
