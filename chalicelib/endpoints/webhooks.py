"""Webhook front doors: verify the signature over the raw body first, then translate and apply."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.http import HttpRequest, HttpResponse, json_response
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.webhooks.events import Event, Ignored


def _answer(shop: Shop, platform: str, topic: str, translate: Callable[[], list[Event] | Ignored]) -> HttpResponse:
    """Translate the verified body and apply it; the delivery's outcome goes on the shop's health panel
    (one UpdateItem: accepted, or refused for its body)."""
    from chalicelib.webhook_health import record_accepted, record_refused

    try:
        result = translate()
    except (errors.ValidationFailed, errors.BadRequest, errors.PayloadTooLarge) as refusal:
        record_refused(get_table(), shop.shop_id, platform, topic, "body", refusal.message)
        raise
    response = _apply(shop, result)
    record_accepted(get_table(), shop.shop_id, platform, topic)
    return response


def _apply(shop: Shop, result: list[Event] | Ignored) -> HttpResponse:
    from chalicelib.intake import apply_events
    from chalicelib.observability import logger, metrics

    if not isinstance(result, list):
        return json_response({"status": "ignored", "reason": result.reason, "outcomes": []})
    outcomes = apply_events(get_table(), shop, result)
    logger.debug("webhook applied", extra={"shop_id": shop.shop_id, "outcomes": outcomes})
    metrics.add_metric(name="WebhookEvents", unit="Count", value=len(outcomes))
    status = "accepted" if any(o == "applied" for o in outcomes) else "duplicate"
    return json_response({"status": status, "outcomes": outcomes})


# Each handler runs only after its authorizer verified the signature over the raw body, and gets the shop
# whose secret verified it; parsing starts here.
def shopify_webhook(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.webhooks import shopify
    from chalicelib.webhooks.common import json_object

    # The domain that named this shop, whose secret verified the body: a privacy request naming another is ignored.
    sender, topic = request.header("x-shopify-shop-domain"), request.header("x-shopify-topic")
    return _answer(
        shop,
        "shopify",
        topic,
        lambda: shopify.to_events(topic, json_object(request.body), shop.home, sender_domain=sender),
    )


def woocommerce_webhook(request: HttpRequest, shop: Shop | None) -> HttpResponse:
    from chalicelib.webhooks import woocommerce
    from chalicelib.webhooks.common import json_object

    if shop is None:
        # WooCommerce pings a new webhook with a form body; acknowledging it stores nothing.
        return json_response({"status": "ignored", "reason": "ping", "outcomes": []})
    topic = request.header("x-wc-webhook-topic")
    return _answer(
        shop,
        "woocommerce",
        topic,
        lambda: woocommerce.to_events(topic, json_object(request.body), shop.settings.delivered_status),
    )


def generic_webhook(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.webhook_health import generic_type
    from chalicelib.webhooks import standard
    from chalicelib.webhooks.common import json_object

    return _answer(shop, "generic", generic_type(request.body), lambda: standard.to_events(json_object(request.body)))
