"""Public social proof: product reviews with JSON-LD, rating summaries, helpful votes, the widget script."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.endpoints.registry import page_limit
from chalicelib.http import HttpRequest, HttpResponse, parse_json_body
from chalicelib.shops import service as shops
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop

CACHE = "public, max-age=60, stale-while-revalidate=300"


def _cors(shop: Shop, request: HttpRequest) -> dict[str, str]:
    """CORS for the shop's own storefront origins only."""
    from urllib.parse import urlsplit

    origin = request.header("origin")
    headers = {"Vary": "Origin"}
    if origin:
        parts = urlsplit(origin)
        if parts.scheme in ("http", "https") and parts.netloc.lower() in shop.domains:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Expose-Headers"] = "ETag"
    return headers


def cached_json(request: HttpRequest, payload: Any, extra: dict[str, str]) -> HttpResponse:
    """JSON with a strong ETag; a matching If-None-Match gets 304 and no body."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str)
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE, **extra}
    if etag in [t.strip() for t in request.header("if-none-match").split(",")]:
        return HttpResponse(status=304, body="", headers=headers)
    return HttpResponse(status=200, body=body, headers={"Content-Type": "application/json", **headers})


def _limit(request: HttpRequest) -> int:
    return page_limit(request, 10)


def product_reviews(request: HttpRequest) -> HttpResponse:
    from chalicelib.reviews.public import product_reviews as listing

    table = get_table()
    shop = shops.get_shop_or_404(table, request.path_params["shop_id"])
    payload = listing(
        table,
        shop,
        request.path_params["product_id"],
        request.query.get("sort", "newest"),
        _limit(request),
        request.query.get("cursor"),
        request.query.get("lang"),
    )
    # The words' language is in the URL (`lang`) or the shop's: the URL and the body's ETag key every cache.
    headers = {"Content-Language": payload["texts"]["language"], **_cors(shop, request)}
    return cached_json(request, payload, headers)


def ratings_summary(request: HttpRequest) -> HttpResponse:
    from chalicelib.reviews.public import ratings_summary as summary

    table = get_table()
    shop = shops.get_shop_or_404(table, request.path_params["shop_id"])
    ids = [p.strip() for p in request.query.get("products", "").split(",") if p.strip()]
    if not ids or len(ids) > 100 or any(len(p) > 64 for p in ids):
        raise errors.BadRequest("products is 1 to 100 comma-separated product ids", code="invalid_products")
    return cached_json(request, summary(table, shop, list(dict.fromkeys(ids))), _cors(shop, request))


def vote_review(request: HttpRequest) -> HttpResponse:
    from chalicelib.endpoints.sharing import visitor_of
    from chalicelib.http import json_response
    from chalicelib.reviews.models import VoteIn
    from chalicelib.reviews.public import vote

    table = get_table()
    shop = shops.get_shop_or_404(table, request.path_params["shop_id"])
    body = parse_json_body(request, VoteIn)
    result = vote(table, shop.shop_id, request.path_params["review_id"], body.helpful, visitor_of(request))
    return json_response(result, headers={"Cache-Control": "no-store", **_cors(shop, request)})


def widget_script(request: HttpRequest) -> HttpResponse:
    from chalicelib.web.render import static_file

    found = static_file("widget.js")
    assert found is not None
    return HttpResponse(
        status=200,
        body=found[0].decode(),
        headers={
            "Content-Type": found[1],
            "Cache-Control": "public, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Allow-Origin": "*",
        },
    )


def import_reviews(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.http import MAX_BODY_BYTES, json_response
    from chalicelib.reviews.importing import import_reviews as run_import

    if request.media_type not in ("text/csv", "text/plain", "application/csv"):
        raise errors.UnsupportedMediaType("send the CSV file as text/csv")
    if len(request.body) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge("send at most 256 KiB per request; the CLI splits large files")
    try:
        text = request.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise errors.BadRequest("the CSV is not UTF-8", code="invalid_encoding") from None
    dry_run = request.query.get("dry_run", "false").lower() in ("1", "true", "yes")
    # Lines end only at \n, \r or \r\n, as the csv module expects: str.splitlines would also end one at a
    # form feed or U+2028 inside a review's text, and cut its row in two.
    import io

    lines = io.StringIO(text, newline="")
    report = run_import(get_table(), shop, lines, request.query.get("format", ""), dry_run)
    return json_response(report.as_dict(), headers={"Cache-Control": "no-store"})


def export_reviews(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.exports import csv_download
    from chalicelib.reviews.importing import export_rows

    rows = export_rows(get_table(), shop.shop_id)
    return csv_download(rows, shop.shop_id, f"proofloop-reviews-{shop.shop_id}.csv")
