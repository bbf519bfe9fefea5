"""Feed endpoints: Google's product review feed (owner key or its secret URL), its report and its URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.endpoints.authorizers import FEED_LINK, OWNER
from chalicelib.endpoints.registry import model, operation
from chalicelib.http import HttpRequest, HttpResponse, json_response
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop

MODELS = "chalicelib.feeds.models"
XML = "application/xml; charset=utf-8"


def _feed(shop: Shop) -> HttpResponse:
    from chalicelib.feeds.google import feed
    from chalicelib.feeds.spool import deliver

    return deliver(
        feed(get_table(), shop),
        XML,
        f"feeds/{shop.shop_id}/google-product-reviews.xml",
        {
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="google-product-reviews-{shop.shop_id}.xml"',
        },
    )


@operation(
    "GET",
    "/shops/{shop_id}/feeds/google-product-reviews.xml",
    summary="Google's product review feed (product_reviews.xsd 2.2): every published review Google takes",
    tag="feeds",
    auth=OWNER,
    responses={200: "application/xml", 303: "a large feed: its presigned read in storage"},
)
def google_review_feed(request: HttpRequest, shop: Shop) -> HttpResponse:
    return _feed(shop)


@operation(
    "GET",
    "/feeds/{token}/google-product-reviews.xml",
    summary="The same feed at its secret URL, for Merchant Center's scheduled fetch",
    tag="feeds",
    auth=FEED_LINK,
    responses={200: "application/xml", 303: "a large feed: its presigned read in storage"},
)
def google_review_feed_by_url(request: HttpRequest, shop: Shop) -> HttpResponse:
    return _feed(shop)


@operation(
    "GET",
    "/shops/{shop_id}/feeds/google-product-reviews",
    summary="What the feed holds, what Google would refuse and why, and the feed's secret URL",
    tag="feeds",
    auth=OWNER,
    responses={200: model("FeedReport", MODELS)},
)
def google_review_feed_report(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.feeds.access import feed_url
    from chalicelib.feeds.google import report

    answer = {**report(get_table(), shop), "feed_url": feed_url(shop)}
    return json_response(answer, headers={"Cache-Control": "no-store"})


@operation(
    "POST",
    "/shops/{shop_id}/feeds/google-product-reviews/url",
    summary="Issue a new secret feed URL (the one issued before stops working)",
    tag="feeds",
    auth=OWNER,
    responses={201: model("FeedUrl", MODELS)},
)
def issue_feed_url(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.feeds.access import feed_url, issue

    updated = issue(get_table(), shop)
    return json_response({"feed_url": feed_url(updated)}, status=201, headers={"Cache-Control": "no-store"})


@operation(
    "DELETE",
    "/shops/{shop_id}/feeds/google-product-reviews/url",
    summary="Revoke the secret feed URL (the owner key still reads the feed)",
    tag="feeds",
    auth=OWNER,
    responses={200: model("FeedUrl", MODELS)},
)
def revoke_feed_url(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.feeds.access import revoke

    revoke(get_table(), shop)
    return json_response({"feed_url": None}, headers={"Cache-Control": "no-store"})
