"""Signature checks over the raw body, in constant time, before anything is parsed."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

from chalicelib import errors

TOLERANCE_SECONDS = 5 * 60


def hmac_sha256_b64(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_base64_hmac(secret: str, body: bytes, presented: str) -> None:
    """Shopify and WooCommerce: base64(HMAC-SHA256(raw body, secret)) in one header."""
    if not presented:
        raise errors.Unauthorized("the webhook signature header is missing", code="invalid_signature")
    expected = hmac_sha256_b64(secret, body)
    if not hmac.compare_digest(expected.encode(), presented.strip().encode()):
        raise errors.Unauthorized("the webhook signature does not match the body", code="invalid_signature")


def _standard_key(secret: str) -> bytes:
    encoded = secret[len("whsec_") :] if secret.startswith("whsec_") else secret
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return secret.encode()


def standard_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()).decode()


def verify_standard(
    secret: str, body: bytes, msg_id: str, timestamp: str, header: str, now: float | None = None
) -> None:
    """Standard Webhooks: `v1,<b64>` entries (several during secret rotation), 5-minute tolerance."""
    if not (msg_id and timestamp and header):
        raise errors.Unauthorized(
            "webhook-id, webhook-timestamp and webhook-signature are required", code="invalid_signature"
        )
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise errors.Unauthorized("webhook-timestamp is not a number", code="invalid_signature") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > TOLERANCE_SECONDS:
        raise errors.Unauthorized("webhook-timestamp is outside the 5-minute tolerance", code="stale_signature")
    expected = standard_signature(secret, msg_id, timestamp, body).encode()
    for candidate in header.split():
        if candidate.startswith("v1,") and hmac.compare_digest(expected, candidate.encode()):
            return
    raise errors.Unauthorized("no webhook signature matches the body", code="invalid_signature")
