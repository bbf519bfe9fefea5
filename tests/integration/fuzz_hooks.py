"""Schemathesis hooks for the fuzz test: generated webhook bodies are signed as the shop's platform would.

Without a valid signature every generated webhook stops at 401; signed, the fuzzer's bodies reach the
Shopify, WooCommerce and generic adapters, which must answer a malformed order with a 4xx, never a 5xx.
The shop's secret and domain come from the environment the test sets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Any

import schemathesis

from tests import signers

# Every topic we handle except shop/redact, which would erase the shop the rest of the run is fuzzing.
SHOPIFY_TOPICS = (
    "orders/create",
    "orders/paid",
    "orders/fulfilled",
    "orders/cancelled",
    "orders/updated",
    "refunds/create",
    "products/create",
    "products/update",
    "customers/redact",
    "customers/data_request",
)
WOOCOMMERCE_TOPICS = ("order.created", "order.updated", "order.restored", "product.created", "product.updated")


def _raw_json(case: Any) -> bytes | None:
    """The body as the bytes to sign and send, or None for a body that is not JSON (left unsigned)."""
    from schemathesis.core import NOT_SET

    if case.body is NOT_SET or case.body is None:
        return b""
    if isinstance(case.body, bytes):
        return case.body
    if case.media_type and "json" not in case.media_type:
        return None
    return json.dumps(case.body).encode()


def _pick(choices: tuple[str, ...], raw: bytes) -> str:
    """A topic chosen by the body itself, so a replayed case is signed for the same topic."""
    return choices[int(hashlib.sha256(raw).hexdigest(), 16) % len(choices)]


def _standard_headers(secret: str, raw: bytes) -> dict[str, str]:
    """Standard Webhooks headers; the reference library signs text only, so bytes that are not UTF-8
    are signed here by the spec's formula: HMAC-SHA256 over `id.timestamp.body` with the decoded secret."""
    try:
        raw.decode()
    except UnicodeDecodeError:
        msg_id, timestamp = f"msg_{hashlib.sha256(raw).hexdigest()[:24]}", str(int(time.time()))
        key = base64.b64decode(secret.removeprefix("whsec_"))
        mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + raw, hashlib.sha256).digest()
        return {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        }
    return signers.standard_headers(secret, raw)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    path = case.operation.path
    if not path.startswith("/webhooks/"):
        return
    raw = _raw_json(case)
    if raw is None:
        return
    secret = os.environ["FUZZ_WEBHOOK_SECRET"]
    if path == "/webhooks/shopify":
        headers = signers.shopify_headers(_pick(SHOPIFY_TOPICS, raw), os.environ["FUZZ_SHOP_DOMAIN"], secret, raw)
    elif path.startswith("/webhooks/woocommerce/"):
        headers = signers.woocommerce_headers(_pick(WOOCOMMERCE_TOPICS, raw), secret, raw)
    else:
        headers = _standard_headers(secret, raw)
    case.body = raw  # sent as these exact bytes, the ones signed
    case.headers = {**(case.headers or {}), **headers}
