"""Helpers the platform adapters share: JSON bodies, dates, money, guest customers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib import errors
from chalicelib.http import MAX_BODY_BYTES

WEBHOOK_MAX_BODY = 2 * MAX_BODY_BYTES  # a large order is larger than any request we take elsewhere


def json_object(body: bytes) -> dict[str, Any]:
    if len(body) > WEBHOOK_MAX_BODY:
        raise errors.PayloadTooLarge(f"webhook body is larger than {WEBHOOK_MAX_BODY} bytes")
    try:
        data = json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as exc:
        raise errors.InvalidJson(f"webhook body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise errors.ValidationFailed("webhook body must be a JSON object")
    return data


def obj(value: Any) -> dict[str, Any]:
    """A JSON object field, or an empty one when the platform sent null or something else."""
    return value if isinstance(value, dict) else {}


def parse_time(value: Any, field: str) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise errors.ValidationFailed(
                f"{field}: not an ISO 8601 time", details=[{"field": field, "problem": "not an ISO 8601 time"}]
            ) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise errors.ValidationFailed(f"{field}: a time is required", details=[{"field": field, "problem": "required"}])


def optional_time(value: Any, field: str) -> datetime | None:
    return None if value in (None, "") else parse_time(value, field)


def money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise errors.ValidationFailed(
            f"{field}: not an amount", details=[{"field": field, "problem": "not an amount"}]
        ) from None
    if not amount.is_finite():
        raise errors.ValidationFailed(f"{field}: not an amount")
    return amount


def text_id(value: Any, field: str) -> str:
    """Ids are strings everywhere in our API, whatever the platform sends."""
    if isinstance(value, bool) or value in (None, ""):
        raise errors.ValidationFailed(f"{field}: an id is required", details=[{"field": field, "problem": "required"}])
    if isinstance(value, (int, str)):
        text = str(value).strip()
        if text and len(text) <= 128:
            return text
    raise errors.ValidationFailed(f"{field}: not an id", details=[{"field": field, "problem": "not an id"}])


def guest_customer_id(email: str | None, order_id: str) -> str:
    """A stable id for a buyer without an account: their keyed email hash, or the order itself."""
    from chalicelib.signing import keyed_hash

    if email:
        return "guest-" + keyed_hash("email", email.strip().lower())[:24]
    return f"guest-order-{order_id}"
