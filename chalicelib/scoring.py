"""Pure arithmetic of the funnel and the advocate score. No I/O.

Advocate score. Every recorded action i of a customer adds a weight w_i that halves every
HALF_LIFE_DAYS: raw(t) = sum_i w_i * 2^(-(t - t_i) / H). The score is 100 * (1 - exp(-raw / SCALE)):
0 for no action, below 100 always, strictly increasing in raw. A reversal removes exactly the
weight its referral added. Because every term decays by the same factor, the stored sum
S = sum_i w_i * 2^((t_i - EPOCH) / H) can be kept with plain ADDs as actions arrive, ranks
customers the same way at any moment, and gives raw(t) = S * 2^(-(t - EPOCH) / H).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

HALF_LIFE_DAYS = 90
SCALE = 25.0
EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)
WEIGHTS = {
    "review": 4.0,
    "happy_review": 3.0,  # on top of the review
    "share": 3.0,
    "click": 1.0,  # a counted click on the customer's share link
    "referred_order": 12.0,
    "referred_revenue": 0.05,  # per unit of the order's currency
}
STAGES = ("customer", "reviewer", "promoter", "sharer", "influencer", "advocate")


def _age_days(moment: datetime) -> float:
    return (moment - EPOCH).total_seconds() / 86400.0


def weight_at(action: str, moment: datetime, amount: Decimal | float = 1) -> Decimal:
    """The epoch-referenced contribution of one action at one moment (what is ADDed to S)."""
    value = WEIGHTS[action] * float(amount) * 2 ** (_age_days(moment) / HALF_LIFE_DAYS)
    return Decimal(str(round(value, 6)))


def raw_score(stored_sum: Decimal | float, now: datetime) -> float:
    return max(float(stored_sum), 0.0) * 2 ** (-_age_days(now) / HALF_LIFE_DAYS)


def advocate_score(stored_sum: Decimal | float, now: datetime) -> float:
    """0-100, bounded, strictly increasing in the recorded actions, decaying with their age."""
    return round(100.0 * (1.0 - math.exp(-raw_score(stored_sum, now) / SCALE)), 2)


def stage(counters: dict[str, Any]) -> str:
    """The highest stage a customer reached."""
    if int(counters.get("active_referrals", 0)) > 0:
        return "advocate"
    if int(counters.get("clicks", 0)) > 0:
        return "influencer"
    if int(counters.get("shares", 0)) > 0:
        return "sharer"
    if int(counters.get("happy_reviews", 0)) > 0:
        return "promoter"
    if int(counters.get("reviews", 0)) > 0:
        return "reviewer"
    return "customer"


def rate(numerator: float, denominator: float) -> float | None:
    """A funnel rate; a zero denominator is null, never an error."""
    return None if not denominator else round(numerator / denominator, 4)


def funnel_rates(f: dict[str, Any]) -> dict[str, float | None]:
    def total(name: str) -> float:
        value = f.get(name, 0)
        return float(value["total"]) if isinstance(value, dict) else float(value)

    return {
        "review_rate": rate(total("reviews"), total("review_requests")),
        "promoter_rate": rate(total("promoters"), total("reviewers")),
        "share_rate": rate(total("sharers"), total("promoters")),
        "click_through": rate(total("clicks"), total("shares")),
        "referral_conversion": rate(total("referred_orders"), total("clicks")),
        "advocate_rate": rate(total("advocates"), total("customers")),
        "k_factor": rate(total("referred_customers"), total("customers")),
    }


def score_model() -> dict[str, Any]:
    return {
        "formula": "score = 100 * (1 - exp(-raw / scale)); raw = sum of weight * 2^(-age_days / half_life_days)",
        "weights": dict(WEIGHTS),
        "half_life_days": HALF_LIFE_DAYS,
        "scale": SCALE,
        "reversal": "a refunded or cancelled referred order removes exactly the weight it added",
        "stages": list(STAGES),
    }
