"""Helpers of the integration tier: talking to the live server as a storefront would."""

from __future__ import annotations

import json
from typing import Any

from tests import signers


def deliver(live: Any, shop: dict[str, Any], kind: str, order_id: str, customer_id: str = "cust-1", **data: Any) -> Any:
    """One generic webhook event, signed with the shop's secret; it must be accepted."""
    raw = json.dumps(signers.generic_event(kind, order_id, customer_id, **data)).encode()
    response = live.request(
        "POST",
        f"/webhooks/generic/{shop['shop_id']}",
        data=raw,
        headers=signers.standard_headers(shop["webhook_secret"], raw),
    )
    assert response.status_code == 200, response.text
    return response
