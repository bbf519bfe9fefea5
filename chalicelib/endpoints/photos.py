"""Photo endpoints: the buyer's presigned upload and its states (signed review link), the owner hiding one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.endpoints.authorizers import OWNER, REVIEW_LINK
from chalicelib.endpoints.registry import model, operation
from chalicelib.http import HttpRequest, HttpResponse, json_response, parse_json_body
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.endpoints.authorizers import ReviewLink
    from chalicelib.store.shop_records import Shop

MODELS = "chalicelib.photos.models"
ANSWERS = "chalicelib.endpoints.answers"
NO_STORE = {"Cache-Control": "no-store"}


@operation(
    "POST",
    "/r/{token}/photos",
    summary="Ask to upload a photo for a review: a photo id and a presigned POST (the review link signs it)",
    tag="reviews",
    auth=REVIEW_LINK,
    body=model("PhotoUploadRequest", MODELS),
    responses={201: model("PhotoUpload", MODELS), 410: model("ErrorBody", ANSWERS)},
)
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


@operation(
    "GET",
    "/r/{token}/photos",
    summary="The photos uploaded with this review link: processing, ready, or refused and why",
    tag="reviews",
    auth=REVIEW_LINK,
    responses={200: model("PhotoStates", MODELS)},
)
def review_photo_states(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    from chalicelib.photos.service import order_photo_states

    grant = link.grant
    states = order_photo_states(get_table(), grant.shop_id, grant.order_id, grant.product_ids)
    return json_response({"photos": states}, headers=NO_STORE)


def _set_hidden(request: HttpRequest, shop: Shop, hidden: bool) -> HttpResponse:
    from chalicelib.photos.service import set_hidden

    params = request.path_params
    return json_response(set_hidden(get_table(), shop.shop_id, params["review_id"], params["photo_id"], hidden))


@operation(
    "POST",
    "/shops/{shop_id}/reviews/{review_id}/photos/{photo_id}/hide",
    summary="Hide one photo of a review (the review stays as it is)",
    tag="moderation",
    auth=OWNER,
    responses={200: model("PhotoState", MODELS)},
)
def hide_photo(request: HttpRequest, shop: Shop) -> HttpResponse:
    return _set_hidden(request, shop, True)


@operation(
    "POST",
    "/shops/{shop_id}/reviews/{review_id}/photos/{photo_id}/show",
    summary="Show a hidden photo of a review again",
    tag="moderation",
    auth=OWNER,
    responses={200: model("PhotoState", MODELS)},
)
def show_photo(request: HttpRequest, shop: Shop) -> HttpResponse:
    return _set_hidden(request, shop, False)
