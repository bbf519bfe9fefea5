"""WooCommerce's webhooks (REST API wc/v3), in the shapes WooCommerce documents, kept on `Site.webhooks`.

- `GET /webhooks?per_page=` -> the list, each `{"id", "name", "status", "topic", "resource", "event", "hooks",
  "delivery_url", "date_created"...}`: the secret is write-only, never shown;
- `POST /webhooks` `{"name", "topic", "delivery_url", "secret", "status"}` -> 201 the webhook; a topic that is no
  `resource.event` of WooCommerce's is 400 `woocommerce_rest_webhook_invalid_topic`; a delivery URL that is not
  http(s) is 400 `woocommerce_rest_webhook_invalid_delivery_url` (WooCommerce refuses no duplicate);
- `DELETE /webhooks/<id>?force=true` -> 200 the webhook as it was; without force 501
  `woocommerce_rest_trash_not_supported`; an unknown id 404 `woocommerce_rest_webhook_invalid_id`.
The secret each was created with is kept beside it (`secret_of`), for a test to sign deliveries with.
"""

from __future__ import annotations

import re
from typing import Any

from tests.stand_ins.woocommerce_rest import Site, WooCommerceRest, rest_error

RESOURCES = ("coupon", "customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")
STAMP = "2025-07-01T00:00:00"
_SECRETS = "_secret"  # kept inside the stored webhook, never answered


def shown(webhook: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in webhook.items() if k != _SECRETS}


def secret_of(webhook: dict[str, Any]) -> str:
    return str(webhook.get(_SECRETS) or "")


def seed(site: Site, topic: str, delivery_url: str, status: str = "active", secret: str = "") -> dict[str, Any]:
    """A webhook made some other way (the admin's form, another plugin), as WooCommerce keeps it."""
    ident = site.next_id
    site.next_id += 1
    resource, _, event = topic.partition(".")
    webhook = {
        "id": ident,
        "name": f"Webhook {ident}",
        "status": status,
        "topic": topic,
        "resource": resource,
        "event": event,
        "hooks": [f"woocommerce_{topic.replace('.', '_')}"],
        "delivery_url": delivery_url,
        "date_created": STAMP,
        "date_created_gmt": STAMP,
        "date_modified": STAMP,
        "date_modified_gmt": STAMP,
        "_links": {"self": [{"href": f"{site.url}/wp-json/wc/v3/webhooks/{ident}"}]},
        _SECRETS: secret,
    }
    site.webhooks[ident] = webhook
    return webhook


def _list(site: Site, match: re.Match[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
    per_page = int(query.get("per_page") or 10)
    if not 1 <= per_page <= 100:
        return rest_error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
    return 200, [shown(w) for w in list(site.webhooks.values())[:per_page]]


def _create(site: Site, match: re.Match[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
    body = body if isinstance(body, dict) else {}
    topic = str(body.get("topic") or "")
    resource, _, event = topic.partition(".")
    if resource not in RESOURCES or event not in EVENTS:
        return rest_error(400, "woocommerce_rest_webhook_invalid_topic", "Webhook topic is required and must be valid.")
    url = str(body.get("delivery_url") or "")
    if not url.startswith(("http://", "https://")):
        return rest_error(
            400,
            "woocommerce_rest_webhook_invalid_delivery_url",
            "Webhook delivery URL must be a valid URL starting with http:// or https://.",
        )
    webhook = seed(site, topic, url, str(body.get("status") or "active"), str(body.get("secret") or ""))
    if body.get("name"):
        webhook["name"] = str(body["name"])
    return 201, shown(webhook)


def _delete(site: Site, match: re.Match[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
    if query.get("force") != "true":
        return rest_error(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
    webhook = site.webhooks.pop(int(match.group(1)), None)
    if webhook is None:
        return rest_error(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
    return 200, shown(webhook)


def install(rest: WooCommerceRest) -> None:
    rest.routes += [
        ("GET", re.compile(r"^/webhooks$"), _list),
        ("POST", re.compile(r"^/webhooks$"), _create),
        ("DELETE", re.compile(r"^/webhooks/(\d+)$"), _delete),
    ]
