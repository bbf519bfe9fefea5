"""The owner's console: the funnel's bars and promoter figures (its sessions and CSRF are chalicelib/auth/)."""

from __future__ import annotations

from typing import Any

FUNNEL_STAGES = (
    ("customers", "Customers"),
    ("reviewers", "Reviewers"),
    ("promoters", "Promoters"),
    ("sharers", "Sharers"),
    ("clicks", "Friends' clicks"),
    ("referred_orders", "Referred orders"),
    ("advocates", "Advocates"),
)


def funnel_bars(funnel: dict[str, Any]) -> list[dict[str, Any]]:
    """Bars of the funnel with each stage's conversion from the one before."""
    values = []
    for key, label in FUNNEL_STAGES:
        value = funnel.get(key, 0)
        values.append((label, int(value["total"] if isinstance(value, dict) else value)))
    widest = max((v for _, v in values), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(values):
        previous = values[index - 1][1] if index else None
        bars.append(
            {
                "label": label,
                "value": value,
                "width": round(100 * value / widest, 1),
                "conversion": None if not previous else round(100 * value / previous, 1),
                "previous": values[index - 1][0] if index else None,
            }
        )
    return bars


def promoter_figures(funnel: dict[str, Any]) -> dict[str, float | None]:
    """Promoter share (happy reviews of all reviews) and an NPS-style net: % 5-star minus % 1-3 stars."""
    ratings = {int(k): int(v) for k, v in funnel.get("ratings", {}).items()}
    total = sum(ratings.values())
    if not total:
        return {"promoter_share": None, "net_promoter": None}
    detractors = sum(ratings.get(r, 0) for r in (1, 2, 3))
    return {
        "promoter_share": round(100 * int(funnel.get("happy_reviews", 0)) / total, 1),
        "net_promoter": round(100 * (ratings.get(5, 0) - detractors) / total, 1),
    }


def shows_program(enabled: bool, figures: dict[str, Any]) -> bool:
    """The overview's referral program card: while the program is on, or when its period has figures of it (claims,
    rewards issued or their value; referred revenue alone comes from share links with or without the program)."""
    return enabled or bool(figures["friend_claims"] or figures["rewards_issued"] or figures["reward_value"])
