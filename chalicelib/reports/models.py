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
        "the value of rewards issued in it over the period, null when none was issued in it; reply_rate: the period's "
        "reviews with a public reply over its reviews (each counted once, whatever later replies or edits), "
        "unhappy_reply_rate: the same over its unhappy reviews (funnel.unhappy_reviews), both null without a review"
    )
    series: list[dict[str, object]]
    top_advocates: list[Advocate]
    referrals_by_signal: dict[str, int] = Field(
        description="referred orders of the period (not reversed) by what named their advocate: code, email, "
        "landing, note, wc_attribution"
    )
    reply_hours_median: int | None = Field(
        description="hours to the owner's first public reply, median over the period's reviews answered (a review "
        "counts on the day it arrived, its reply whenever it came): the upper edge of the histogram bucket holding "
        "the lower median, edges 1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 168, 336, 720 and 2160 hours (2160 also "
        "stands for longer); null when none was answered"
    )
    unhappy_reply_hours_median: int | None = Field(
        description="reply_hours_median over the unhappy reviews only (below the happy threshold when they arrived)"
    )
    score_model: dict[str, object]
