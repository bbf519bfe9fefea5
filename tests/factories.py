"""Realistic request bodies for tests, each unique unless told otherwise."""

from __future__ import annotations

import base64
import itertools
from typing import Any

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


def shop_body(**overrides: Any) -> dict[str, Any]:
    shop_id = overrides.pop("shop_id", None) or unique("shop")
    body: dict[str, Any] = {
        "shop_id": shop_id,
        "name": "Trail & Summit Outfitters",
        "platform": "generic",
        "domains": [f"{shop_id}.example.com", f"www.{shop_id}.example.com"],
        "webhook_secret": "whsec_" + base64.b64encode(f"secret-of-{shop_id}-0123456789".encode()).decode(),
    }
    body.update(overrides)
    return body
