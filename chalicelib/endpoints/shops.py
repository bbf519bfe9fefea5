"""Shop endpoints: create (admin), read and change (owner), rotate the owner key."""

from __future__ import annotations

import json

from chalicelib import errors, models, shops
from chalicelib.endpoints.registry import operation
from chalicelib.http import HttpRequest, HttpResponse, json_response, parse_json_body
from chalicelib.store.table import get_table


@operation(
    "POST",
    "/shops",
    summary="Create a shop and its owner API key (shown once)",
    tag="shops",
    auth="admin",
    body=models.ShopCreate,
    responses={201: models.ShopCreated},
)
def create_shop(request: HttpRequest) -> HttpResponse:
    shops.require_admin(request.bearer_token())
    payload = parse_json_body(request, models.ShopCreate)
    shop, api_key = shops.create_shop(get_table(), payload)
    return json_response(
        {"shop_id": shop.shop_id, "api_key": api_key}, status=201, headers={"Cache-Control": "no-store"}
    )


@operation(
    "GET",
    "/shops/{shop_id}",
    summary="The shop's profile and settings",
    tag="shops",
    auth="owner",
    responses={200: models.ShopView},
)
def get_shop(request: HttpRequest) -> HttpResponse:
    shop = shops.authenticate_owner(get_table(), request.path_params["shop_id"], request.bearer_token())
    return json_response(shops.shop_view(shop), headers={"Cache-Control": "no-store"})


@operation(
    "PATCH",
    "/shops/{shop_id}",
    summary="Change the shop's name, domains, webhook secret or settings",
    tag="shops",
    auth="owner",
    body=models.ShopUpdate,
    responses={200: models.ShopView},
)
def update_shop(request: HttpRequest) -> HttpResponse:
    table = get_table()
    shop = shops.authenticate_owner(table, request.path_params["shop_id"], request.bearer_token())
    change = parse_json_body(request, models.ShopUpdate)
    updated = shops.update_shop(table, shop, change)
    return json_response(shops.shop_view(updated), headers={"Cache-Control": "no-store"})


@operation(
    "POST",
    "/shops/{shop_id}/api-key",
    summary="Replace the owner API key; the old one stops working",
    tag="shops",
    auth="owner",
    responses={200: models.ApiKeyRotated},
)
def rotate_api_key(request: HttpRequest) -> HttpResponse:
    table = get_table()
    shop = shops.authenticate_owner(table, request.path_params["shop_id"], request.bearer_token())
    return json_response({"api_key": shops.rotate_api_key(table, shop)}, headers={"Cache-Control": "no-store"})


@operation(
    "PUT",
    "/shops/{shop_id}/webhook-endpoint",
    summary="Register the owner's receiver of signed events",
    tag="shops",
    auth="owner",
    body=models.WebhookEndpointIn,
    responses={200: models.WebhookEndpointOut},
)
def put_webhook_endpoint(request: HttpRequest) -> HttpResponse:
    from chalicelib.outbound import register

    table = get_table()
    shop = shops.authenticate_owner(table, request.path_params["shop_id"], request.bearer_token())
    body = parse_json_body(request, models.WebhookEndpointIn)
    return json_response(register(table, shop, body.url, list(body.events)), headers={"Cache-Control": "no-store"})


@operation(
    "GET",
    "/shops/{shop_id}/webhook-endpoint",
    summary="The registered receiver (without its secret)",
    tag="shops",
    auth="owner",
    responses={200: models.WebhookEndpointOut},
)
def get_webhook_endpoint(request: HttpRequest) -> HttpResponse:
    shop = shops.authenticate_owner(get_table(), request.path_params["shop_id"], request.bearer_token())
    if not shop.outbound:
        raise errors.NotFound("no webhook endpoint is registered", code="no_endpoint")
    return json_response({"url": shop.outbound["url"], "events": shop.outbound["events"], "secret": None})


@operation(
    "DELETE",
    "/shops/{shop_id}/webhook-endpoint",
    summary="Stop sending events",
    tag="shops",
    auth="owner",
    responses={204: ""},
)
def delete_webhook_endpoint(request: HttpRequest) -> HttpResponse:
    from chalicelib.outbound import unregister

    table = get_table()
    shop = shops.authenticate_owner(table, request.path_params["shop_id"], request.bearer_token())
    if shop.outbound:
        unregister(table, shop)
    return HttpResponse(status=204)


@operation(
    "GET",
    "/shops/{shop_id}/data-requests",
    summary="Customers' data requests received from the storefront",
    tag="privacy",
    auth="owner",
    responses={200: "application/json"},
    query={"cursor": "from the last page"},
)
def list_data_requests(request: HttpRequest) -> HttpResponse:
    from chalicelib import signing

    table = get_table()
    shop = shops.authenticate_owner(table, request.path_params["shop_id"], request.bearer_token())
    scope = f"SHOP#{shop.shop_id}"
    items, last = table.query(
        scope,
        sk_prefix="DATAREQ#",
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


@operation(
    "GET",
    "/shops/{shop_id}/customers/{customer_id}/data",
    summary="Everything stored about one customer, to answer their data request",
    tag="privacy",
    auth="owner",
    responses={200: "application/json"},
)
def customer_data(request: HttpRequest) -> HttpResponse:
    from chalicelib.privacy import customer_data as assemble

    table = get_table()
    shop = shops.authenticate_owner(table, request.path_params["shop_id"], request.bearer_token())
    data = assemble(table, shop.shop_id, request.path_params["customer_id"])
    if data is None:
        raise errors.NotFound("no such customer", code="customer_not_found")
    return json_response(json.loads(json.dumps(data, default=str)), headers={"Cache-Control": "no-store"})
