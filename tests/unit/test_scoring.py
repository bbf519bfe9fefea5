"""The advocate score and funnel rates: bounded, monotonic, decaying, and hand-checked."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib import scoring

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)
ACTIONS = list(scoring.WEIGHTS)
moments = st.integers(min_value=0, max_value=3 * 365).map(lambda d: NOW - timedelta(days=d))
events = st.lists(st.tuples(st.sampled_from(ACTIONS), moments, st.integers(min_value=1, max_value=500)), max_size=30)


def total(evts):
    return sum((scoring.weight_at(a, m, n if a == "referred_revenue" else 1) for a, m, n in evts), Decimal(0))


@given(events)
def test_score_is_bounded(evts):
    assert 0 <= scoring.advocate_score(total(evts), NOW) <= 100


@given(events, st.sampled_from(ACTIONS), moments)
def test_every_positive_action_raises_the_score(evts, action, moment):
    before = scoring.raw_score(total(evts), NOW)
    after = scoring.raw_score(total([*evts, (action, moment, 1)]), NOW)
    assert after > before


@given(events.filter(bool), st.integers(min_value=1, max_value=720))
def test_scores_decay_with_age(evts, days):
    stored = total(evts)
    assert scoring.raw_score(stored, NOW + timedelta(days=days)) < scoring.raw_score(stored, NOW)


@given(events, moments, st.integers(min_value=1, max_value=500))
def test_a_reversal_removes_exactly_what_its_referral_added(evts, moment, revenue):
    base = total(evts)
    credit = scoring.weight_at("referred_order", moment) + scoring.weight_at("referred_revenue", moment, revenue)
    assert base + credit - credit == base
    assert scoring.raw_score(base + credit, NOW) > scoring.raw_score(base, NOW)


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ([], 0.0),
        ([("review", 0)], 100 * (1 - math.exp(-4 / 25))),  # 14.79
        ([("review", 0), ("happy_review", 0)], 100 * (1 - math.exp(-7 / 25))),  # 24.42
        ([("review", 90)], 100 * (1 - math.exp(-2 / 25))),  # one half-life: half weight
        ([("referred_order", 0), ("share", 0), ("click", 0)], 100 * (1 - math.exp(-16 / 25))),
    ],
)
def test_hand_computed_scores(actions, expected):
    stored = sum((scoring.weight_at(a, NOW - timedelta(days=d)) for a, d in actions), Decimal(0))
    assert scoring.advocate_score(stored, NOW) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(
    ("counters", "stage"),
    [
        ({}, "customer"),
        ({"reviews": 1}, "reviewer"),
        ({"reviews": 1, "happy_reviews": 1}, "promoter"),
        ({"happy_reviews": 1, "shares": 2}, "sharer"),
        ({"shares": 1, "clicks": 3}, "influencer"),
        ({"clicks": 3, "active_referrals": 1}, "advocate"),
        ({"clicks": 3, "active_referrals": 0}, "influencer"),
    ],
)
def test_stage_is_the_highest_reached(counters, stage):
    assert scoring.stage(counters) == stage


def test_rates_are_null_for_zero_denominators():
    rates = scoring.funnel_rates(
        {
            "reviews": 3,
            "review_requests": 0,
            "reviewers": 2,
            "promoters": 1,
            "clicks": {"total": 10},
            "shares": {"total": 4},
            "referred_orders": 2,
            "customers": 0,
            "sharers": 1,
            "advocates": 0,
            "referred_customers": 0,
        }
    )
    assert rates == {
        "review_rate": None,
        "promoter_rate": 0.5,
        "share_rate": 1.0,
        "click_through": 2.5,
        "referral_conversion": 0.2,
        "advocate_rate": None,
        "k_factor": None,
    }
