"""What the referral program's operations answer (the code pools, the program's overview)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from chalicelib.model_base import Strict


class CodeRejection(BaseModel):
    """A line of the upload that is no code: longer than 64 characters, or with a character other than A-Z, a-z,
    0-9, `_` and `-`."""

    line: int = Field(ge=1, description="the line's number in the body, from 1, the header counted")
    reason: Literal["too_long", "invalid_characters"]


class CodeUpload(BaseModel):
    """What an upload did: codes added to the pool; codes already in either pool (or named twice in the body), which
    are never added twice; lines refused; the pool's available codes now. Codes are compared without regard to
    case (`abc` is `ABC`); each keeps the case it was first uploaded with."""

    added: int = Field(ge=0)
    already: int = Field(ge=0)
    rejected: list[CodeRejection]
    available: int = Field(ge=0)


class PoolCounts(BaseModel):
    """A pool's codes: waiting to be handed out, and handed out (each to one person, once)."""

    available: int = Field(ge=0)
    handed_out: int = Field(ge=0)


class ReferralPools(BaseModel):
    friend: PoolCounts
    advocate: PoolCounts


class RewardCounts(BaseModel):
    """The advocates' rewards by state."""

    pending: int = Field(ge=0)
    held: int = Field(ge=0)
    issued: int = Field(ge=0)
    void: int = Field(ge=0)


class ReferralOverview(BaseModel):
    """The shop's referral program: its settings (as stored; `{}` before any), its code pools, its rewards by state
    and the friends' claims."""

    settings: dict[str, Any]
    pools: ReferralPools
    rewards: RewardCounts
    claims: int = Field(ge=0)


# A friend's claim of the offer (POST /s/{code}/claim)


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


# The advocates' rewards (GET /shops/{shop_id}/rewards, POST .../rewards/{reward_id}/{action})

RewardStatus = Literal["pending", "held", "issued", "void"]
RewardReason = Literal[
    "self_referral",
    "existing_customer",
    "disposable_email",
    "same_visitor",
    "velocity",
    "cap",
    "cancelled",
    "refunded",
    "denied",
]


class Reward(BaseModel):
    """One advocate's reward for one friend's order: `pending` until the order is fulfilled and the hold has passed,
    then `issued` with its code; `held` (with its reasons) until the owner approves or denies it; `void` (with its
    reasons) when the order was cancelled or refunded in full before issue, or the owner denied it."""

    reward_id: str
    advocate: str = Field(description="the advocate's customer id")
    friend_order: str = Field(description="the friend's order that earned it")
    status: RewardStatus
    reasons: list[RewardReason] = Field(description="why it is held or void, in the order they were found")
    value: str = Field(description="what it is worth: an amount at face value, a percent as that share of the order")
    currency: str
    code: str | None = Field(None, description="the advocate's code, once issued")
    created_at: str
    issued_at: str | None = None
    clawback: bool | None = Field(
        None, description="true when the friend's order was cancelled or refunded in full after issue"
    )


class RewardList(BaseModel):
    """A page of rewards: of one state, or of all with the held ones first; `cursor` for the next page."""

    rewards: list[Reward]
    cursor: str | None
