"""Photo endpoints: the buyer's presigned upload and its states (signed review link), the owner hiding one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.http import HttpRequest, HttpResponse, json_response, parse_json_body
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.endpoints.authorizers import ReviewLink
    from chalicelib.store.shop_records import Shop

NO_STORE = {"Cache-Control": "no-store"}


def request_photo_upload(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    from chalicelib.photos.models import PhotoUploadRequest
    from chalicelib.photos.service import request_upload
    from chalicelib.reviews.submission import load_context

    body = parse_json_body(request, PhotoUploadRequest)
    if body.product_id not in link.grant.product_ids:
        raise errors.Forbidden("this review link does not cover that product", code="product_not_in_order")
    table = get_table()
    ctx = load_context(table, link.token)
    answer = request_upload(table, ctx.shop.shop_id, ctx.order, body.product_id, body.content_type, body.size)
    return json_response(answer, status=201, headers=NO_STORE)


def review_photo_states(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    from chalicelib.photos.service import order_photo_states

    grant = link.grant
    states = order_photo_states(get_table(), grant.shop_id, grant.order_id, grant.product_ids)
    return json_response({"photos": states}, headers=NO_STORE)


def _set_hidden(request: HttpRequest, shop: Shop, hidden: bool) -> HttpResponse:
    from chalicelib.photos.service import set_hidden

    params = request.path_params
    return json_response(set_hidden(get_table(), shop.shop_id, params["review_id"], params["photo_id"], hidden))


def hide_photo(request: HttpRequest, shop: Shop) -> HttpResponse:
    return _set_hidden(request, shop, True)


def show_photo(request: HttpRequest, shop: Shop) -> HttpResponse:
    return _set_hidden(request, shop, False)
