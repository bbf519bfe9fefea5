"""Webhook front doors: verify the signature over the raw body first, then translate and apply."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chalicelib import errors, models
from chalicelib.endpoints.registry import Responses, operation
from chalicelib.http import HttpRequest, HttpResponse, json_response
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chalicelib.store.shops import Shop
    from chalicelib.webhooks.events import Event, Ignored

_WC_PING = re.compile(rb"^webhook_id=\d+$")
_RESPONSES: Responses = {200: models.WebhookResult}


def _answer(shop: Shop, result: list[Event] | Ignored) -> HttpResponse:
    from chalicelib.intake import apply_events
    from chalicelib.observability import logger, metrics

    if not isinstance(result, list):
        return json_response({"status": "ignored", "reason": result.reason, "outcomes": []})
    outcomes = apply_events(get_table(), shop, result)
    logger.debug("webhook applied", extra={"shop_id": shop.shop_id, "outcomes": outcomes})
    metrics.add_metric(name="WebhookEvents", unit="Count", value=len(outcomes))
    status = "accepted" if any(o == "applied" for o in outcomes) else "duplicate"
    return json_response({"status": status, "outcomes": outcomes})


def _generic_body() -> type[BaseModel]:
    from chalicelib.webhooks.standard import GenericWebhookBody

    return GenericWebhookBody


def _shop(shop_id: str) -> Shop:
    from chalicelib.shops import get_shop_or_404

    return get_shop_or_404(get_table(), shop_id)


@operation(
    "POST",
    "/webhooks/shopify",
    summary="Shopify webhooks (orders, refunds, products, privacy)",
    tag="webhooks",
    auth="signature",
    raw_body="application/json",
    responses=_RESPONSES,
)
def shopify_webhook(request: HttpRequest) -> HttpResponse:
    from chalicelib.store.shops import shop_for_domain
    from chalicelib.webhooks import shopify
    from chalicelib.webhooks.common import json_object
    from chalicelib.webhooks.signatures import verify_base64_hmac

    domain = request.header("x-shopify-shop-domain").strip().lower()
    shop = shop_for_domain(get_table(), domain) if domain else None
    if shop is None:
        # Without a known shop there is no secret to check the signature with.
        raise errors.Unauthorized("unknown X-Shopify-Shop-Domain; cannot verify", code="invalid_signature")
    verify_base64_hmac(shop.webhook_secret, request.body, request.header("x-shopify-hmac-sha256"))
    body = json_object(request.body)
    return _answer(shop, shopify.to_events(request.header("x-shopify-topic"), body, shop.home))


@operation(
    "POST",
    "/webhooks/woocommerce/{shop_id}",
    summary="WooCommerce webhooks (orders, products)",
    tag="webhooks",
    auth="signature",
    raw_body="application/json",
    responses=_RESPONSES,
)
def woocommerce_webhook(request: HttpRequest) -> HttpResponse:
    from chalicelib.webhooks import woocommerce
    from chalicelib.webhooks.common import json_object
    from chalicelib.webhooks.signatures import verify_base64_hmac

    if _WC_PING.match(request.body.strip()):
        # WooCommerce pings a new webhook with a form body; acknowledging it stores nothing.
        return json_response({"status": "ignored", "reason": "ping", "outcomes": []})
    shop = _shop(request.path_params["shop_id"])
    verify_base64_hmac(shop.webhook_secret, request.body, request.header("x-wc-webhook-signature"))
    body = json_object(request.body)
    return _answer(shop, woocommerce.to_events(request.header("x-wc-webhook-topic"), body))


@operation(
    "POST",
    "/webhooks/generic/{shop_id}",
    summary="Normalized order events signed per Standard Webhooks",
    tag="webhooks",
    auth="signature",
    body=_generic_body,
    responses=_RESPONSES,
)
def generic_webhook(request: HttpRequest) -> HttpResponse:
    from chalicelib.webhooks import standard
    from chalicelib.webhooks.common import json_object
    from chalicelib.webhooks.signatures import verify_standard

    shop = _shop(request.path_params["shop_id"])
    verify_standard(
        shop.webhook_secret,
        request.body,
        request.header("webhook-id"),
        request.header("webhook-timestamp"),
        request.header("webhook-signature"),
    )
    return _answer(shop, standard.to_events(json_object(request.body)))
