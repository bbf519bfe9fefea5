"""Shop endpoints: create (admin), read and change (owner), rotate the owner key."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.endpoints.authorizers import Admin
from chalicelib.http import HttpRequest, HttpResponse, json_response, parse_json_body
from chalicelib.shops import service as shops
from chalicelib.store import keys
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop


def create_shop(request: HttpRequest, admin: Admin) -> HttpResponse:
    from chalicelib.shops.models import ShopCreate

    payload = parse_json_body(request, ShopCreate)
    shop, api_key = shops.create_shop(get_table(), payload)
    return json_response(
        {"shop_id": shop.shop_id, "api_key": api_key}, status=201, headers={"Cache-Control": "no-store"}
    )


def get_shop(request: HttpRequest, shop: Shop) -> HttpResponse:
    return json_response(shops.shop_view(shop), headers={"Cache-Control": "no-store"})


def update_shop(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.shops.models import ShopUpdate

    change = parse_json_body(request, ShopUpdate)
    updated = shops.update_shop(get_table(), shop, change)
    return json_response(shops.shop_view(updated), headers={"Cache-Control": "no-store"})


def rotate_api_key(request: HttpRequest, shop: Shop) -> HttpResponse:
    return json_response({"api_key": shops.rotate_api_key(get_table(), shop)}, headers={"Cache-Control": "no-store"})


def put_webhook_endpoint(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.outbound import register
    from chalicelib.shops.models import WebhookEndpointIn

    body = parse_json_body(request, WebhookEndpointIn)
    return json_response(
        register(get_table(), shop, body.url, list(body.events)), headers={"Cache-Control": "no-store"}
    )


def get_webhook_endpoint(request: HttpRequest, shop: Shop) -> HttpResponse:
    if not shop.outbound:
        raise errors.NotFound("no webhook endpoint is registered", code="no_endpoint")
    return json_response({"url": shop.outbound["url"], "events": shop.outbound["events"], "secret": None})


def delete_webhook_endpoint(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.outbound import unregister

    if shop.outbound:
        unregister(get_table(), shop)
    return HttpResponse(status=204)


def list_data_requests(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib import signing

    table = get_table()
    scope = keys.shop_partition(shop.shop_id)
    items, last = table.query(
        scope,
        sk_prefix=keys.DATA_REQUEST_PREFIX,
        limit=50,
        cursor=signing.decode_cursor(f"{scope}#datareq", request.query.get("cursor")),
    )
    requests = [
        {"request_id": i["request_id"], "customer_id": i.get("customer_id"), "requested_at": i["requested_at"]}
        for i in items
    ]
    return json_response(
        {"data_requests": requests, "cursor": signing.encode_cursor(f"{scope}#datareq", last)},
        headers={"Cache-Control": "no-store"},
    )


def list_parked(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib import signing
    from chalicelib.parked import parked_items_page

    scope = f"{keys.parked_partition(shop.shop_id)}#parked"
    cursor = signing.decode_cursor(scope, request.query.get("cursor"))
    items, last = parked_items_page(get_table(), shop.shop_id, cursor)
    return json_response(
        {"parked": items, "cursor": signing.encode_cursor(scope, last)}, headers={"Cache-Control": "no-store"}
    )


def retry_parked(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.parked import retry
    from chalicelib.shops.models import ParkedRetryIn

    body = parse_json_body(request, ParkedRetryIn)
    if not retry(get_table(), shop.shop_id, body.entry):
        raise errors.NotFound("no such parked item: retried already, or gone", code="not_parked")
    return json_response({"retried": True}, headers={"Cache-Control": "no-store"})


def customer_data(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.privacy import customer_data as assemble

    data = assemble(get_table(), shop.shop_id, request.path_params["customer_id"])
    if data is None:
        raise errors.NotFound("no such customer", code="customer_not_found")
    return json_response(json.loads(json.dumps(data, default=str)), headers={"Cache-Control": "no-store"})
