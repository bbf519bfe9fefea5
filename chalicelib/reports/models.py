"""What the API answers about the owner's numbers: the funnel report and the advocate leaderboard."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Advocate(BaseModel):
    customer: str
    name: str | None
    stage: Literal["customer", "reviewer", "promoter", "sharer", "influencer", "advocate"]
    score: float = Field(ge=0, le=100)
    reviews: int
    shares: int
    clicks: int
    referred_orders: int
    referred_revenue: float
    code: str | None = None


class AdvocateList(BaseModel):
    advocates: list[Advocate]
    cursor: str | None


class Report(BaseModel):
    """The funnel for a period: counts, rates (null for a zero denominator), a daily series, top advocates."""

    shop_id: str
    from_: str = Field(alias="from")
    to: str
    timezone: str
    funnel: dict[str, object]
    rates: dict[str, float | dict[str, float | None] | None] = Field(
        description="each funnel rate, null for a zero denominator; referred_revenue_per_reward_value is an object "
        'by currency (always, even for one: {"USD": 6.4, "EUR": null}): the referred revenue in that currency over '
        "the value of rewards issued in it over the period, null when none was issued in it"
    )
    series: list[dict[str, object]]
    top_advocates: list[Advocate]
    referrals_by_signal: dict[str, int] = Field(
        description="referred orders of the period (not reversed) by what named their advocate: code, email, "
        "landing, note, wc_attribution"
    )
    score_model: dict[str, object]
