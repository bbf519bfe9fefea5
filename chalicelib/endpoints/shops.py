"""Shop endpoints: create (admin), read and change (owner), rotate the owner key."""

from __future__ import annotations

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
