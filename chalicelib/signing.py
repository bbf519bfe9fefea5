"""Compact HMAC-signed tokens (review links, sessions, cursors, unsubscribe links) and keyed hashes.

Every use derives its own key from the signing secret, and nothing else reads the secret itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib import clock, errors
from chalicelib.config import get_settings


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(purpose: str) -> bytes:
    # Without a secret nothing is signed or verified (503 not_configured); there is no fallback.
    secret = get_settings().require_signing_secret()
    # One derived key per purpose: a session can never pass as a review token, nor a CSRF token as either.
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def encryption_key(purpose: str) -> bytes:
    """A 256-bit key for encrypting at rest, derived from the signing secret by HKDF-SHA256 under its own
    purpose: it is never the key of a signature, nor another purpose's key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secret = get_settings().require_signing_secret()
    info = f"proofloop encryption key: {purpose}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


def sign(purpose: str, payload: dict[str, Any], ttl_seconds: int | None = None) -> str:
    body = dict(payload)
    if ttl_seconds is not None:
        body["exp"] = clock.epoch() + ttl_seconds
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(_key(purpose), raw, hashlib.sha256).digest()
    return f"{_b64(raw)}.{_b64(mac)}"


def verify(purpose: str, token: str, *, error: type[errors.ProofloopError] = errors.BadRequest) -> dict[str, Any]:
    """The payload of a token this service signed for this purpose, unexpired, or an error."""
    try:
        raw_b64, mac_b64 = token.split(".", 1)
        raw, mac = _unb64(raw_b64), _unb64(mac_b64)
    except (ValueError, TypeError):
        raise error(f"invalid {purpose} token", code=f"invalid_{purpose}") from None
    expected = hmac.new(_key(purpose), raw, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise error(f"invalid {purpose} token", code=f"invalid_{purpose}")
    payload = json.loads(raw)
    if not isinstance(payload, dict):
        raise error(f"invalid {purpose} token", code=f"invalid_{purpose}")
    exp = payload.get("exp")
    if exp is not None and int(exp) < clock.epoch():
        raise error(f"the {purpose} token has expired", code=f"expired_{purpose}")
    return payload


def encode_cursor(scope: str, last_key: dict[str, Any] | None) -> str | None:
    """An opaque cursor for the next page, bound to the query it came from."""
    if not last_key:
        return None
    from decimal import Decimal

    plain = {k: ({"$n": str(v)} if isinstance(v, Decimal) else v) for k, v in last_key.items()}
    return sign("cursor", {"s": scope, "k": plain})


def decode_cursor(scope: str, cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    payload = verify("cursor", cursor)
    if payload.get("s") != scope or not isinstance(payload.get("k"), dict):
        raise errors.BadRequest("the cursor belongs to another listing", code="invalid_cursor")
    from decimal import Decimal, InvalidOperation

    key: dict[str, Any] = {}
    for name, value in payload["k"].items():
        try:
            key[name] = Decimal(value["$n"]) if isinstance(value, dict) else value
        except (KeyError, InvalidOperation, TypeError):
            raise errors.BadRequest("the cursor is not valid", code="invalid_cursor") from None
    return key


def mac(purpose: str, message: str) -> str:
    """The full HMAC-SHA256 (hex) of a message under the purpose's own key (CSRF tokens)."""
    return hmac.new(_key(purpose), message.encode(), hashlib.sha256).hexdigest()


def keyed_hash(purpose: str, value: str) -> str:
    """A stable keyed hash for values kept only for matching (emails, visitors)."""
    return mac(purpose, value)[:40]


def email_hash(email: str | None) -> str | None:
    """The buyer's email as kept for matching (self-referrals, the same person under two records)."""
    return keyed_hash("email", email.strip().lower()) if email else None


def guest_customer_id(email: str | None, order_id: str) -> str:
    """A stable id for a buyer without an account, from their email under its own key (not the email's
    matching hash, so erasing that hash leaves no trace of it in the id), or the order itself."""
    if email:
        return "guest-" + keyed_hash("guest-id", email.strip().lower())[:24]
    return f"guest-order-{order_id}"
