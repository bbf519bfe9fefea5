"""Shopify's webhook subscriptions (GraphQL Admin API), in the shapes Shopify documents, kept on `Store.webhooks`.

- `webhookSubscriptions(first:)` -> `{"nodes": [{"id", "topic", "uri", ...}], "pageInfo"}` (the app's own only);
- `webhookSubscriptionCreate(topic:, webhookSubscription: {uri, format})` -> `{"webhookSubscription", "userErrors"}`;
  the same topic at the same address twice is the userError "Address for this topic has already been taken"; a
  topic that is no value of WebhookSubscriptionTopic is a top-level GraphQL error (the variable is invalid), as
  Shopify answers before running anything; a test can make one topic's create fail with a userError
  (`admin.refuse_topics[enum] = message`, as Shopify refuses a topic of protected customer data to an app without
  that access);
- `webhookSubscriptionDelete(id:)` -> `{"deletedWebhookSubscriptionId", "userErrors"}`.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.stand_ins.shopify_admin import ShopifyAdmin, Store, user_error
from tests.stand_ins.tls import Request

# The part of WebhookSubscriptionTopic proofloop could ask for, and a few more.
TOPICS = frozenset(
    {
        "APP_UNINSTALLED",
        "ORDERS_CREATE",
        "ORDERS_PAID",
        "ORDERS_UPDATED",
        "ORDERS_FULFILLED",
        "ORDERS_CANCELLED",
        "FULFILLMENT_EVENTS_CREATE",
        "REFUNDS_CREATE",
        "PRODUCTS_CREATE",
        "PRODUCTS_UPDATE",
        "PRODUCTS_DELETE",
        "SHOP_UPDATE",
    }
)
_ids = itertools.count(1_000_001)


class InvalidVariable(Exception):
    """Shopify refuses a document whose variable is no value of its type, before running any field."""


def subscription(topic: str, uri: str, format_: str = "JSON") -> dict[str, Any]:
    """A subscription as Shopify shows it (a test seeds foreign ones with this)."""
    number = next(_ids)
    return {
        "id": f"gid://shopify/WebhookSubscription/{number}",
        "legacyResourceId": str(number),
        "topic": topic,
        "uri": uri,
        "format": format_,
        "includeFields": [],
        "metafieldNamespaces": [],
        "apiVersion": {"handle": "2026-10"},
        "createdAt": "2025-07-01T00:00:00Z",
        "updatedAt": "2025-07-01T00:00:00Z",
    }


def _list(store: Store, variables: dict[str, Any]) -> Any:
    first = int(variables.get("first") or 50)
    nodes = list(store.webhooks.values())[:first]
    return {
        "nodes": nodes,
        "pageInfo": {"hasNextPage": len(store.webhooks) > first, "endCursor": None},
    }


def _create(store: Store, variables: dict[str, Any], refuse: dict[str, str]) -> Any:
    topic = variables.get("topic")
    if topic not in TOPICS:
        raise InvalidVariable(
            f"Variable $topic of type WebhookSubscriptionTopic! was provided invalid value for {topic!r}"
        )
    given = variables.get("webhookSubscription") or {}
    uri = str(given.get("uri") or "")
    if topic in refuse:
        return {"webhookSubscription": None, "userErrors": [user_error(["webhookSubscription"], refuse[topic])]}
    if not uri.startswith(("https://", "http://", "pubsub://", "arn:aws:events:")):
        return {
            "webhookSubscription": None,
            "userErrors": [user_error(["webhookSubscription", "uri"], "Address is invalid")],
        }
    if any(w["topic"] == topic and w["uri"] == uri for w in store.webhooks.values()):
        return {
            "webhookSubscription": None,
            "userErrors": [
                user_error(["webhookSubscription", "callbackUrl"], "Address for this topic has already been taken")
            ],
        }
    created = subscription(topic, uri, str(given.get("format") or "JSON"))
    store.webhooks[created["id"]] = created
    return {"webhookSubscription": {k: created[k] for k in ("id", "topic", "uri", "format")}, "userErrors": []}


def _delete(store: Store, variables: dict[str, Any]) -> Any:
    ident = str(variables.get("id") or "")
    if store.webhooks.pop(ident, None) is None:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [user_error(["id"], "Webhook subscription does not exist")],
        }
    return {"deletedWebhookSubscriptionId": ident, "userErrors": []}


def install(admin: ShopifyAdmin) -> None:
    refuse: dict[str, str] = {}
    admin.refuse_topics = refuse  # type: ignore[attr-defined]
    admin.fields["webhookSubscriptions"] = _list
    admin.fields["webhookSubscriptionCreate"] = lambda store, variables: _create(store, variables, refuse)
    admin.fields["webhookSubscriptionDelete"] = _delete
    answer = admin.answer

    def answer_or_invalid(request: Request) -> tuple[int, Any]:
        try:
            return answer(request)
        except InvalidVariable as exc:
            return 200, {"errors": [{"message": str(exc), "extensions": {"code": "INVALID_VARIABLE"}}]}

    admin.answer = answer_or_invalid  # type: ignore[method-assign]
