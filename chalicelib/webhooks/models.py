"""What the API answers a webhook delivery. The payloads' own models are each platform's module's."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class WebhookResult(BaseModel):
    """The delivery was verified; `outcomes` says what each event in it did."""

    status: Literal["accepted", "duplicate", "ignored"]
    reason: str | None = None
    outcomes: list[str]
