"""Sign deliveries the way each storefront does, for the unit and integration tiers."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(topic: str, domain: str, secret: str, body: bytes, webhook_id: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-Hmac-Sha256": b64_hmac(secret, body),
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
        "X-Shopify-API-Version": "2025-10",
    }


def woocommerce_headers(topic: str, secret: str, body: bytes) -> dict[str, str]:
    resource, event = topic.split(".")
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": b64_hmac(secret, body),
        "X-WC-Webhook-Delivery-ID": str(uuid.uuid4().int % 10**6),
        "X-WC-Webhook-ID": "17",
        "X-WC-Webhook-Source": "https://gruen-laden.example/",
    }


def standard_headers(
    secret: str, body: bytes, msg_id: str | None = None, when: datetime | None = None
) -> dict[str, str]:
    """Signed by the `standardwebhooks` reference library, as a generic sender would."""
    from standardwebhooks.webhooks import Webhook

    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    when = when or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, when, body.decode())
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }


def days_ago(days: float, at: str = "12:00:00") -> str:
    """A moment `days` before the clock's today at `at` UTC, as events stamp it: fixtures dated relative to the
    clock stay inside "the last 30 days" of a report and before "now" whatever day the tests run on."""
    from datetime import timedelta

    from chalicelib import clock

    day = (clock.now() - timedelta(days=days)).strftime("%Y-%m-%d")
    return f"{day}T{at}Z"


def generic_event(kind: str, order_id: str, customer_id: str = "cust-1", **data: Any) -> dict[str, Any]:
    body = {
        "type": kind,
        "timestamp": data.pop("timestamp", days_ago(2)),
        "data": {
            "order_id": order_id,
            "customer_id": customer_id,
            "email": f"{customer_id}@example.com",
            "name": "Mia Chen",
            "currency": "USD",
            "total": "59.00",
            "created_at": days_ago(3, "09:30:00"),
            "items": [{"product_id": "p-100", "title": "Trail Mug", "quantity": 2, "price": "29.50"}],
        },
    }
    body["data"].update(data)
    return body
