"""The experiments' always-valid statistics: the mSPRT for two proportions, its interval, the decision, the sentence."""

from __future__ import annotations

import math
import random

import mpmath
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.experiments import stats
from chalicelib.experiments.stats import Counts, Difference, decide, interval, p_value, sentence

# ---------------------------------------------------------------------------------------------------------------
# The formulas against reference values
# ---------------------------------------------------------------------------------------------------------------

# Lambda = sqrt(V/(V+tau^2)) exp(tau^2 (diff - theta0)^2 / (2 V (V+tau^2))), evaluated with mpmath at 30 digits.
LIKELIHOOD_RATIOS = [
    # diff, V, tau, Lambda(0)
    (0.05, 0.001, 0.05, 1.3053558147729395763),
    (0.0, 0.0004, 0.02, 0.7071067811865475244),  # no difference: sqrt(V / (V + tau^2)) = sqrt(1/2)
    (0.03, 0.0001, 0.1, 8.5667230603688053144),
    (-0.04, 0.0002, 0.03, 11.249832353272490849),  # symmetric in the sign of the difference
    (0.01, 0.00001, 0.01, 28.403344691362939492),  # past 1/alpha = 20: rejected at 5%
]

# Half-widths sqrt(V (V+tau^2)/tau^2 (ln((V+tau^2)/V) + 2 ln(1/alpha))), mpmath at 30 digits.
HALF_WIDTHS = [
    # V, tau, alpha, half-width
    (0.001, 0.05, 0.05, 0.10070709270872975596),
    (0.0001, 0.02, 0.05, 0.030823899938890930276),
    (0.000064, 0.02, 0.025, 0.026358952376668774096),
    (0.01, 0.1, 0.01, 0.44505027923901200594),
]


@pytest.mark.parametrize(("diff", "variance", "tau", "expected"), LIKELIHOOD_RATIOS)
def test_mixture_likelihood_ratio_matches_reference_values(diff, variance, tau, expected):
    assert stats.mixture_likelihood_ratio(diff, variance, tau) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("variance", "tau", "alpha", "expected"), HALF_WIDTHS)
def test_interval_half_width_matches_reference_values(variance, tau, alpha, expected):
    assert stats.half_width(variance, tau, alpha) == pytest.approx(expected, rel=1e-12)


def reference_bernoulli_msprt(x: list[int], y: list[int], tau: float) -> float:
    """The Bernoulli branch of the mixtureSPRT R package's cppmSPRT (equal arms, n pairs), in mpmath:
    sqrt(Vn / (Vn + n tau^2)) exp(n^2 tau^2 (mean x - mean y)^2 / (2 Vn (Vn + n tau^2))), Vn = sum of p(1-p)."""
    n = mpmath.mpf(len(x))
    mx, my = mpmath.mpf(sum(x)) / n, mpmath.mpf(sum(y)) / n
    vn = mx * (1 - mx) + my * (1 - my)
    t2 = mpmath.mpf(tau) ** 2
    return float(mpmath.sqrt(vn / (vn + n * t2)) * mpmath.exp(n**2 * t2 * (mx - my) ** 2 / (2 * vn * (vn + n * t2))))


@pytest.mark.parametrize(
    ("n", "conv_x", "conv_y", "tau"), [(100, 30, 20, 0.05), (1000, 250, 200, 0.05), (400, 90, 80, 0.1)]
)
def test_likelihood_ratio_agrees_with_the_reference_package_formulation(n, conv_x, conv_y, tau):
    x = [1] * conv_x + [0] * (n - conv_x)
    y = [1] * conv_y + [0] * (n - conv_y)
    variance = (conv_x / n * (1 - conv_x / n) + conv_y / n * (1 - conv_y / n)) / n
    ours = stats.mixture_likelihood_ratio(conv_x / n - conv_y / n, variance, tau)
    assert ours == pytest.approx(reference_bernoulli_msprt(x, y, tau), rel=1e-10)


@pytest.mark.parametrize(
    ("control", "variant", "tau", "alpha"), [((1000, 200), (1000, 250), 0.05, 0.05), ((300, 12), (450, 30), 0.02, 0.01)]
)
def test_interval_ends_are_where_the_likelihood_ratio_reaches_one_over_alpha(control, variant, tau, alpha):
    look = interval(control, variant, alpha=alpha, tau=tau)
    variance = stats.safe_variance(Counts(*control)) + stats.safe_variance(Counts(*variant))
    for end in (look.low, look.high):
        assert stats.mixture_likelihood_ratio(look.estimate, variance, tau, theta0=end) == pytest.approx(
            1 / alpha, rel=1e-9
        )
    inside = stats.mixture_likelihood_ratio(look.estimate, variance, tau, theta0=(look.low + look.high) / 2)
    assert inside < 1 / alpha


def test_p_value_is_one_over_the_likelihood_ratio_at_zero():
    # 200/1000 against 250/1000 with the continuity-safe variance
    variance = stats.safe_variance(Counts(1000, 200)) + stats.safe_variance(Counts(1000, 250))
    expected = 1 / stats.mixture_likelihood_ratio(0.05, variance, 0.05)
    assert p_value((1000, 200), (1000, 250), tau=0.05) == pytest.approx(expected, rel=1e-12)
    assert p_value((1000, 200), (1000, 250), tau=0.05) == pytest.approx(0.12200338374, rel=1e-9)


@pytest.mark.parametrize(
    ("units", "conversions", "expected"),
    [
        (40, 0, (0.5 / 41) * (1 - 0.5 / 41) / 40),  # no conversion yet still has a variance
        (40, 40, (40.5 / 41) * (1 - 40.5 / 41) / 40),
        (1, 0, 0.25 * 0.75),  # q = 0.5 / 2
        (1000, 200, (200.5 / 1001) * (1 - 200.5 / 1001) / 1000),
    ],
)
def test_continuity_safe_variance(units, conversions, expected):
    assert stats.safe_variance(Counts(units, conversions)) == pytest.approx(expected, rel=1e-12)


def test_all_or_nothing_counts_give_a_finite_interval():
    look = interval((40, 0), (40, 40), alpha=0.05, tau=0.05)
    assert look.estimate == 1.0
    assert 0 < look.low < look.high == 1.0


def test_an_arm_without_units_knows_nothing():
    assert interval((0, 0), (10, 3), alpha=0.05, tau=0.05) == Difference(0.0, -1.0, 1.0)
    assert p_value((10, 3), (0, 0), tau=0.05) == 1.0


# ---------------------------------------------------------------------------------------------------------------
# Looks: running minimum and running intersection
# ---------------------------------------------------------------------------------------------------------------


def test_p_value_is_a_running_minimum_over_looks():
    # the rates converge back after a lucky start: the single look's p-value rises, the kept one does not
    looks = [((200, 30), (200, 60)), ((2000, 400), (2000, 410))]
    first = stats.fold_looks(looks[:1], alpha=0.05, tau=0.05)
    last = stats.fold_looks(looks, alpha=0.05, tau=0.05)
    assert first is not None and last is not None
    assert p_value(*looks[1], tau=0.05) > first.p_value
    assert last.p_value == first.p_value


def test_interval_is_a_running_intersection_over_looks():
    looks = [((200, 30), (200, 60)), ((2000, 400), (2000, 410))]
    last = stats.fold_looks(looks, alpha=0.05, tau=0.05)
    assert last is not None
    single = [interval(c, v, alpha=0.05, tau=0.05) for c, v in looks]
    assert last.difference.low == max(s.low for s in single)
    assert last.difference.high == min(s.high for s in single)
    assert last.difference.estimate == single[-1].estimate


def test_disjoint_intervals_collapse_to_the_nearest_end_never_empty():
    kept = stats.intersect(Difference(0.1, 0.05, 0.15), Difference(0.3, 0.2, 0.4))
    assert kept == Difference(0.3, 0.15, 0.15)
    kept = stats.intersect(Difference(0.1, 0.05, 0.15), Difference(-0.1, -0.2, 0.0))
    assert kept == Difference(-0.1, 0.05, 0.05)


def test_fold_of_no_looks_is_none():
    assert stats.fold_looks([], alpha=0.05, tau=0.05) is None


# ---------------------------------------------------------------------------------------------------------------
# The decision
# ---------------------------------------------------------------------------------------------------------------

DECISIONS = [
    ("few units: running", {"a": (50, 10), "b": (50, 14)}, {}, "running"),
    ("25% against 20% on 5000 each", {"a": (5000, 1000), "b": (5000, 1250)}, {"minimum_effect": 0.05}, "better:b"),
    (
        "every other variant worse: the control is better",
        {"a": (5000, 1250), "b": (5000, 1000), "c": (5000, 980)},
        {"minimum_effect": 0.05},
        "better:a",
    ),
    (
        "one worse, one undecided: running",
        {"a": (3000, 750), "b": (3000, 600), "c": (3000, 760)},
        {"minimum_effect": 0.05},
        "running",
    ),
    (
        "two better: the higher estimate is named",
        {"a": (5000, 1000), "b": (5000, 1250), "c": (5000, 1400)},
        {"minimum_effect": 0.05},
        "better:c",
    ),
    (
        "tight intervals inside +-2 points: no difference",
        {"a": (50000, 10000), "b": (50000, 10050)},
        {"max_units_per_variant": 100000},
        "no_difference",
    ),
    (
        "at the maximum, neither better nor within +-2 points: inconclusive",
        {"a": (5000, 1000), "b": (5000, 1040)},
        {},
        "inconclusive",
    ),
    (
        "one arm short of the maximum: still running",
        {"a": (5000, 1000), "b": (4999, 1040)},
        {},
        "running",
    ),
    (
        "a winner at the maximum is still a winner",
        {"a": (5000, 1000), "b": (5000, 1250)},
        {"minimum_effect": 0.05},
        "better:b",
    ),
    (
        "Bonferroni: one comparison at 5% finds B",
        {"a": (2000, 400), "b": (2000, 484)},
        {"minimum_effect": 0.05},
        "better:b",
    ),
    (
        "Bonferroni: two comparisons at 2.5% each do not yet",
        {"a": (2000, 400), "b": (2000, 484), "c": (2000, 400)},
        {"minimum_effect": 0.05},
        "running",
    ),
]


@pytest.mark.parametrize(("variants", "options", "expected"), [d[1:] for d in DECISIONS], ids=[d[0] for d in DECISIONS])
def test_decision(variants, options, expected):
    assert decide(variants, control="a", **options).decision == expected


def test_alpha_is_split_across_comparisons():
    result = decide({"a": (100, 10), "b": (100, 12), "c": (100, 9), "d": (100, 11)}, control="a", alpha=0.06)
    assert result.alpha_per_comparison == pytest.approx(0.02)
    assert set(result.differences) == {"b", "c", "d"}
    expected = interval((100, 10), (100, 12), alpha=0.02, tau=stats.DEFAULT_MINIMUM_EFFECT)
    assert result.differences["b"] == expected


def test_decision_reached_stays_through_later_looks():
    # Given B found better at one look
    options = {"control": "a", "minimum_effect": 0.01, "tau": 0.05, "max_units_per_variant": 10000}
    early = decide({"a": (5000, 1000), "b": (5000, 1250)}, **options)
    assert early.decision == "better:b"
    # When a later look alone would be undecided
    later_counts = {"a": (5100, 1100), "b": (5100, 1150)}
    assert decide(later_counts, **options).decision == "running"
    # Then with the kept intervals the decision stays
    assert decide(later_counts, previous=early.differences, **options).decision == "better:b"


def test_decide_sequence_folds_looks():
    looks = [{"a": (5000, 1000), "b": (5000, 1250)}, {"a": (5100, 1100), "b": (5100, 1150)}]
    assert (
        stats.decide_sequence(looks, control="a", minimum_effect=0.01, tau=0.05, max_units_per_variant=10000).decision
        == "better:b"
    )
    with pytest.raises(ValueError, match="look"):
        stats.decide_sequence([], control="a")


def test_differences_as_the_contract_shapes_them():
    result = decide({"a": (5000, 1000), "b": (5000, 1250)}, control="a", minimum_effect=0.05)
    shaped = result.differences["b"].as_dict()
    assert set(shaped) == {"estimate", "low", "high"}
    assert shaped["estimate"] == pytest.approx(0.05)
    assert 0 < shaped["low"] < 0.05 < shaped["high"]


INVALID = [
    ("one variant", {"a": (10, 1)}, {}, "2 to 4 variants"),
    ("five variants", dict.fromkeys("abcde", (10, 1)), {}, "2 to 4 variants"),
    ("control missing", {"b": (10, 1), "c": (10, 1)}, {}, "control"),
    ("conversions above units", {"a": (10, 11), "b": (10, 1)}, {}, "conversions"),
    ("negative units", {"a": (-1, 0), "b": (10, 1)}, {}, "units"),
    ("fractional units", {"a": (10.5, 1), "b": (10, 1)}, {}, "whole number"),
    ("bool units", {"a": (True, 0), "b": (10, 1)}, {}, "whole number"),
    ("not a pair", {"a": (10, 1, 2), "b": (10, 1)}, {}, "units, conversions"),
    ("alpha zero", {"a": (10, 1), "b": (10, 1)}, {"alpha": 0}, "alpha"),
    ("alpha one", {"a": (10, 1), "b": (10, 1)}, {"alpha": 1.0}, "alpha"),
    ("alpha nan", {"a": (10, 1), "b": (10, 1)}, {"alpha": math.nan}, "alpha"),
    ("max units zero", {"a": (10, 1), "b": (10, 1)}, {"max_units_per_variant": 0}, "max_units_per_variant"),
    ("minimum effect zero", {"a": (10, 1), "b": (10, 1)}, {"minimum_effect": 0.0}, "minimum_effect"),
    ("minimum effect in points", {"a": (10, 1), "b": (10, 1)}, {"minimum_effect": 5}, "minimum_effect"),
    ("tau negative", {"a": (10, 1), "b": (10, 1)}, {"tau": -0.1}, "tau"),
    ("tau infinite", {"a": (10, 1), "b": (10, 1)}, {"tau": math.inf}, "tau"),
]


@pytest.mark.parametrize(("variants", "options", "message"), [i[1:] for i in INVALID], ids=[i[0] for i in INVALID])
def test_invalid_input_is_rejected(variants, options, message):
    with pytest.raises(ValueError, match=message):
        decide(variants, control="a", **options)


# ---------------------------------------------------------------------------------------------------------------
# The owner's sentence
# ---------------------------------------------------------------------------------------------------------------

SENTENCES = [
    (
        Difference(0.055, 0.02, 0.09),
        {},
        "Subject B gets more reviews: between +2 and +9 points, with 95% confidence, however often you look.",
    ),
    (
        Difference(-0.04, -0.071, -0.012),
        {"alpha": 0.1},
        "Subject B gets fewer reviews: between -7 and -1 points, with 90% confidence, however often you look.",
    ),
    (
        Difference(0.01, -0.03, 0.05),
        {"control": "the current subject"},
        "Subject B against the current subject: no clear difference yet, between -3 and +5 points, with 95% "
        "confidence, however often you look.",
    ),
    (
        Difference(0.004, -0.003, 0.012),
        {},
        "Subject B against the current setting: no clear difference yet, between -0.3 and +1.2 points, with 95% "
        "confidence, however often you look.",
    ),
]


@pytest.mark.parametrize(("difference", "options", "expected"), SENTENCES)
def test_owner_sentence(difference, options, expected):
    text = sentence(difference, variant="Subject B", more="gets more reviews", fewer="gets fewer reviews", **options)
    assert text == expected


# ---------------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------------


@st.composite
def counts(draw, max_units: int = 20000) -> tuple[int, int]:
    units = draw(st.integers(min_value=1, max_value=max_units))
    return units, draw(st.integers(min_value=0, max_value=units))


alphas = st.floats(min_value=0.001, max_value=0.5)
taus = st.floats(min_value=0.001, max_value=0.5)


@given(counts(), counts(), alphas, taus)
def test_interval_contains_the_estimate(control, variant, alpha, tau):
    look = interval(control, variant, alpha=alpha, tau=tau)
    assert -1.0 <= look.low <= look.estimate <= look.high <= 1.0


@given(counts(max_units=2000), counts(max_units=2000), st.integers(min_value=2, max_value=10), alphas, taus)
def test_interval_narrows_as_units_grow_at_fixed_rates(control, variant, factor, alpha, tau):
    small = interval(control, variant, alpha=alpha, tau=tau)
    scaled = [(u * factor, c * factor) for u, c in (control, variant)]
    large = interval(*scaled, alpha=alpha, tau=tau)
    assert large.estimate == pytest.approx(small.estimate)
    assert large.high - large.low <= small.high - small.low
    if small.low > -1.0 and small.high < 1.0:  # unclipped: strictly narrower
        assert large.high - large.low < small.high - small.low


@given(counts(), counts(), taus)
def test_p_value_is_a_probability(control, variant, tau):
    assert 0.0 <= p_value(control, variant, tau=tau) <= 1.0


@given(counts(), counts(), alphas, taus)
def test_p_value_and_interval_agree(control, variant, alpha, tau):
    look = interval(control, variant, alpha=alpha, tau=tau)
    p = p_value(control, variant, tau=tau)
    if look.low > 1e-9 or look.high < -1e-9:
        assert p <= alpha * (1 + 1e-9)
    elif look.low < -1e-9 and look.high > 1e-9:
        assert p >= alpha * (1 - 1e-9)


@given(
    st.lists(counts(max_units=6000), min_size=2, max_size=4),
    st.permutations(["p", "q", "r", "s"]),
    st.randoms(use_true_random=False),
)
def test_decision_is_stable_under_relabelling(variant_counts, names, rng):
    keys = ["a", "b", "c", "d"][: len(variant_counts)]
    original = dict(zip(keys, variant_counts, strict=True))
    renamed_keys = dict(zip(keys, names, strict=False))
    # new names, and the non-control variants in another order
    others = keys[1:]
    rng.shuffle(others)
    renamed = {renamed_keys[k]: original[k] for k in [keys[0], *others]}
    before = decide(original, control="a", max_units_per_variant=3000)
    after = decide(renamed, control=renamed_keys["a"], max_units_per_variant=3000)
    estimates = [before.differences[k].estimate for k in keys[1:]]
    tie = before.decision.startswith("better:") and len(set(estimates)) < len(estimates)
    if not tie:  # exact ties between winners are broken by the experiment's order
        expected = before.decision
        if expected.startswith("better:"):
            expected = "better:" + renamed_keys[expected.removeprefix("better:")]
        assert after.decision == expected
    for key in keys[1:]:
        assert after.differences[renamed_keys[key]] == before.differences[key]


# ---------------------------------------------------------------------------------------------------------------
# Bounded simulations
# ---------------------------------------------------------------------------------------------------------------

EXPERIMENTS = 400
MAX_UNITS = 2000
BATCH = 20


def run_experiment(rng: random.Random, rate_a: float, rate_b: float, alpha: float) -> str:
    return run_variants(rng, {"a": rate_a, "b": rate_b}, alpha)


def run_variants(rng: random.Random, rates: dict[str, float], alpha: float, max_units: int = MAX_UNITS) -> str:
    """Units arrive in batches of BATCH per variant; the decision is read after every batch, and the experiment
    stops at its first decision other than running (as an owner stopping at the first good-looking answer)."""
    counts = dict.fromkeys(rates, (0, 0))
    previous = None
    while True:
        for key, rate in rates.items():
            units, conversions = counts[key]
            counts[key] = (units + BATCH, conversions + sum(rng.random() < rate for _ in range(BATCH)))
        result = decide(
            counts, control="a", alpha=alpha, max_units_per_variant=max_units, minimum_effect=0.05, previous=previous
        )
        if result.decision != "running":
            return result.decision
        previous = result.differences


def test_a_a_false_winners_stay_within_alpha_however_often_one_looks():
    # Given 400 A/A experiments (20% and 20%) read after every 20 units per variant up to 2000
    alpha = 0.05
    rng = random.Random(28)
    # When each stops at its first decision
    decisions = [run_experiment(rng, 0.2, 0.2, alpha) for _ in range(EXPERIMENTS)]
    # Then a winner (either way) is named no more often than alpha, up to the simulation's own sampling error
    false_winners = sum(d.startswith("better:") for d in decisions) / EXPERIMENTS
    assert false_winners <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / EXPERIMENTS)


def test_a_real_difference_is_found_in_the_same_simulation():
    # Given 20% against 30% (the A/A bound is not met by a test that never names a winner)
    rng = random.Random(29)
    decisions = [run_experiment(rng, 0.2, 0.3, 0.05) for _ in range(200)]
    assert sum(d == "better:b" for d in decisions) / 200 >= 0.9
    assert not any(d == "better:a" for d in decisions)


def test_false_winners_among_four_equal_variants_stay_within_alpha_split_three_ways():
    # Given 300 A/A/A/A experiments up to 1000 units per variant: three comparisons with the control, each at alpha / 3
    alpha, runs = 0.05, 300
    rng = random.Random(30)
    decisions = [run_variants(rng, dict.fromkeys("abcd", 0.2), alpha, max_units=1000) for _ in range(runs)]
    # Then any winner at all (one of the variants, or the control) is named no more often than alpha overall
    false_winners = sum(d.startswith("better:") for d in decisions) / runs
    assert false_winners <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / runs)
