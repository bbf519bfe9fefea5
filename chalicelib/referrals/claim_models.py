"""What a friend's claim of the give-get offer takes and answers (POST /s/{code}/claim)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from chalicelib.model_base import Strict


class FriendClaimIn(Strict):
    email: str = Field(..., max_length=320, description="the friend's one email address; the code is sent there")


class FriendOffer(BaseModel):
    type: Literal["percent", "amount"]
    value: str = Field(description="a decimal: the percent off, or the amount off in `currency`")
    currency: str | None = Field(None, description="ISO 4217, for an amount off")
    minimum_order: str = Field(description="the least order the code applies to (0: any)")


class FriendClaimOut(BaseModel):
    code: str | None = Field(description="the friend's code; null while the shop's pool is empty (it follows by email)")
    status: Literal["ready", "waiting_for_code"]
    offer: FriendOffer
    continue_url: str = Field(description="where to shop with it (on Shopify, a link that applies the code)")
