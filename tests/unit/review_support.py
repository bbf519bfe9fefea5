"""Unit-tier helpers for the review loop: a shop with a fulfilled order, and its outbox."""

from __future__ import annotations

import email
import json
import re
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

from tests import signers

ITEMS = [
    {"product_id": "p-mug", "title": "Trail Mug", "quantity": 1, "price": "29.50"},
    {"product_id": "p-cap", "title": "Summit Cap", "quantity": 1, "price": "19.00"},
]
# Later than anything a test schedules: a run of the due work "then" finds every request due.
LATER = datetime.now(UTC) + timedelta(days=3 * 365)


# When fulfilled_order's order was fulfilled: yesterday at 10:00 UTC, so its request falls due 6 days from now.
FULFILLED = signers.days_ago(1, "10:00:00")


def after_fulfilment(days: float, hours: float = 0, minutes: float = 0) -> datetime:
    """A moment that long after FULFILLED: the request is due 7 days after it, the reminder 7 days after that."""
    start = datetime.fromisoformat(FULFILLED.replace("Z", "+00:00"))
    return start + timedelta(days=days, hours=hours, minutes=minutes)


class ReviewShop:
    def __init__(self, api: Any, outbox: Path, **settings: Any) -> None:
        body, self.api_key = api.create_shop(settings=settings) if settings else api.create_shop()
        self.api = api
        self.shop = body
        self.shop_id = body["shop_id"]
        self.outbox = outbox

    def deliver(self, kind: str, order_id: str, customer_id: str = "c-1", **data: Any) -> Any:
        payload = signers.generic_event(kind, order_id, customer_id, items=data.pop("items", ITEMS), **data)
        raw = json.dumps(payload).encode()
        response = self.api.request(
            "POST",
            f"/webhooks/generic/{self.shop_id}",
            raw=raw,
            headers=signers.standard_headers(self.shop["webhook_secret"], raw),
        )
        assert response.status_code == 200, response.body
        return response

    def fulfilled_order(
        self, order_id: str = "o-1", customer_id: str = "c-1", fulfilled_at: str = FULFILLED, **data: Any
    ) -> None:
        """An order, then its fulfilment at `fulfilled_at` (yesterday unless a test runs its own calendar)."""
        self.deliver("order.created", order_id, customer_id, **data)
        self.deliver("order.fulfilled", order_id, customer_id, timestamp=fulfilled_at, **data)

    def run_due(self, now: datetime = LATER) -> int:
        from chalicelib.reviews.requests import send_due
        from chalicelib.store.table import get_table

        return send_due(get_table(), now=now)

    def emails(self) -> list[Message]:
        return [email.message_from_bytes(p.read_bytes()) for p in sorted(self.outbox.glob("*.eml"))]

    def owner(self, method: str, path: str, body: Any = None) -> Any:
        return self.api.request(method, f"/shops/{self.shop_id}{path}", body, token=self.api_key)


def text_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def html_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no html part")


def review_token(message: Message) -> str:
    match = re.search(r"/r/([A-Za-z0-9_.-]+)", text_part(message))
    assert match, "no review link in the email"
    return match.group(1)
