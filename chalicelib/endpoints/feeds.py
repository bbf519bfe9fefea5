"""Feed endpoints: Google's product review feed (owner key or its secret URL), its report and its URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.http import HttpRequest, HttpResponse, json_response
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop

XML = "application/xml; charset=utf-8"


def _feed(shop: Shop) -> HttpResponse:
    from chalicelib.feeds.google import feed
    from chalicelib.spool import deliver

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


def google_review_feed(request: HttpRequest, shop: Shop) -> HttpResponse:
    return _feed(shop)


def google_review_feed_by_url(request: HttpRequest, shop: Shop) -> HttpResponse:
    return _feed(shop)


def google_review_feed_report(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.feeds.access import feed_url
    from chalicelib.feeds.google import report

    answer = {**report(get_table(), shop), "feed_url": feed_url(shop)}
    return json_response(answer, headers={"Cache-Control": "no-store"})


def issue_feed_url(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.feeds.access import feed_url, issue

    updated = issue(get_table(), shop)
    return json_response({"feed_url": feed_url(updated)}, status=201, headers={"Cache-Control": "no-store"})


def revoke_feed_url(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.feeds.access import revoke

    revoke(get_table(), shop)
    return json_response({"feed_url": None}, headers={"Cache-Control": "no-store"})
