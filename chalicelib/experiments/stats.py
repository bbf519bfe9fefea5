"""Always-valid statistics for experiments on proportions: the mixture SPRT, its interval, and the decision.

Method: Johari, Pekelis and Walsh, "Always Valid Inference: Continuous Monitoring of A/B Tests" (Operations
Research 70(3), 2022; arXiv 1512.04922), for the difference of two proportions theta = p_b - p_a, with the normal
approximation of the difference of sample rates. At a look with n_a, n_b units and rates r_a, r_b:

    diff = r_b - r_a,    V = q_a (1 - q_a) / n_a + q_b (1 - q_b) / n_b

and, mixing the alternative over theta ~ N(theta0, tau^2), the mixture likelihood ratio against theta = theta0 is

    Lambda(theta0) = sqrt(V / (V + tau^2)) * exp(tau^2 (diff - theta0)^2 / (2 V (V + tau^2))).

It is a nonnegative martingale under theta0 (approximately, through the normal approximation), so by Ville's
inequality P(Lambda ever reaches 1/alpha) <= alpha: the p-value min(1, 1/Lambda(0)) and the interval
{theta0 : Lambda(theta0) < 1/alpha} hold at every look at once, however often one looks. Solving that inequality:

    diff -+ sqrt( V (V + tau^2) / tau^2 * ( ln((V + tau^2) / V) + 2 ln(1 / alpha) ) ).

Continuity-safe variance: q = (conversions + 1/2) / (units + 1) (half a conversion and half a miss added) in V
only, so 0 of 40 or 40 of 40 still has a variance and a width; the estimate stays the plain difference of rates.
As units grow q -> the rate, and q always lies between the rate and 1/2, so V only shrinks as an arm grows.

tau: the paper's guidance is to match the mixing distribution to the effects one expects (Optimizely fitted it to
past experiments). Without a history we set tau to the smallest effect worth detecting: for a look where that
effect stands about 3 standard errors away, the boundary on z is lowest near tau^2 = 10 V, i.e. tau ~ 1.05 x the
effect, and it is flat around there (tau half or twice as large costs a few percent of units).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

DEFAULT_ALPHA = 0.05
DEFAULT_MINIMUM_EFFECT = 0.02  # two points of rate
MIN_VARIANTS, MAX_VARIANTS = 2, 4

Decision = str  # "running" | "better:<key>" | "no_difference" | "inconclusive"
RUNNING: Literal["running"] = "running"
NO_DIFFERENCE: Literal["no_difference"] = "no_difference"
INCONCLUSIVE: Literal["inconclusive"] = "inconclusive"
BETTER_PREFIX = "better:"


@dataclass(frozen=True)
class Counts:
    """One variant's units (exposures) and conversions."""

    units: int
    conversions: int

    def __post_init__(self) -> None:
        for name in ("units", "conversions"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number, not {value!r}")
        if self.units < 0:
            raise ValueError(f"units must be 0 or more, not {self.units}")
        if not 0 <= self.conversions <= self.units:
            raise ValueError(f"conversions must be between 0 and units ({self.units}), not {self.conversions}")

    @property
    def rate(self) -> float | None:
        return self.conversions / self.units if self.units else None


@dataclass(frozen=True)
class Difference:
    """A variant's difference of rate against the control: estimate and always-valid interval, in rate units."""

    estimate: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Look:
    """The state kept across looks at one comparison: running-minimum p-value and running-intersection interval."""

    p_value: float
    difference: Difference


@dataclass(frozen=True)
class Result:
    decision: Decision
    differences: dict[str, Difference]  # every non-control variant's difference against the control
    p_values: dict[str, float]  # always-valid, for the split alpha (compare each with alpha_per_comparison)
    alpha_per_comparison: float


def _check_alpha(alpha: float) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}")


def _check_tau(tau: float) -> None:
    if isinstance(tau, bool) or not isinstance(tau, int | float) or not 0.0 < tau < math.inf:
        raise ValueError(f"tau must be a positive number, not {tau!r}")


def _as_counts(value: Counts | tuple[int, int]) -> Counts:
    if isinstance(value, Counts):
        return value
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValueError(f"counts must be (units, conversions), not {value!r}")
    return Counts(value[0], value[1])


def safe_variance(counts: Counts) -> float:
    """The variance of one arm's rate, continuity-safe: q (1 - q) / n with q = (c + 1/2) / (n + 1); n > 0."""
    q = (counts.conversions + 0.5) / (counts.units + 1)
    return q * (1.0 - q) / counts.units


def log_mixture_likelihood_ratio(diff: float, variance: float, tau: float, theta0: float = 0.0) -> float:
    """ln Lambda(theta0) for a difference of means `diff` with variance `variance` (> 0), mixing N(theta0, tau^2).

    Plain arithmetic without checks: the simulation calls it once per unit.
    """
    tau2 = tau * tau
    total = variance + tau2
    return 0.5 * math.log(variance / total) + tau2 * (diff - theta0) ** 2 / (2.0 * variance * total)


def mixture_likelihood_ratio(diff: float, variance: float, tau: float, theta0: float = 0.0) -> float:
    """Lambda(theta0); +inf where it overflows a float."""
    try:
        return math.exp(log_mixture_likelihood_ratio(diff, variance, tau, theta0))
    except OverflowError:
        return math.inf


def half_width(variance: float, tau: float, alpha: float) -> float:
    """Half the width of the always-valid interval: where Lambda(theta0) reaches 1/alpha."""
    tau2 = tau * tau
    total = variance + tau2
    return math.sqrt(variance * total / tau2 * (math.log(total / variance) + 2.0 * math.log(1.0 / alpha)))


def p_value(
    control: Counts | tuple[int, int], variant: Counts | tuple[int, int], *, tau: float, theta0: float = 0.0
) -> float:
    """The always-valid p-value of one look, min(1, 1/Lambda(theta0)); 1 while an arm has no unit.

    Always valid once made a running minimum over looks (see `next_look`).
    """
    _check_tau(tau)
    a, b = _as_counts(control), _as_counts(variant)
    if not a.units or not b.units:
        return 1.0
    diff = b.conversions / b.units - a.conversions / a.units
    log_lr = log_mixture_likelihood_ratio(diff, safe_variance(a) + safe_variance(b), tau, theta0)
    return 1.0 if log_lr <= 0.0 else math.exp(-log_lr)


def interval(
    control: Counts | tuple[int, int], variant: Counts | tuple[int, int], *, alpha: float, tau: float
) -> Difference:
    """One look's difference (variant - control) and its always-valid interval, clipped to [-1, 1].

    While an arm has no unit nothing is known: estimate 0, interval [-1, 1].
    """
    _check_alpha(alpha)
    _check_tau(tau)
    a, b = _as_counts(control), _as_counts(variant)
    if not a.units or not b.units:
        return Difference(0.0, -1.0, 1.0)
    diff = b.conversions / b.units - a.conversions / a.units
    half = half_width(safe_variance(a) + safe_variance(b), tau, alpha)
    return Difference(diff, max(-1.0, diff - half), min(1.0, diff + half))


def intersect(previous: Difference | None, current: Difference) -> Difference:
    """The running intersection of intervals; the estimate is the current one.

    Disjoint intervals (an event of probability at most alpha) collapse to the previous interval's end nearest
    the current one, so the result is never empty and never widens.
    """
    if previous is None:
        return current
    low, high = max(previous.low, current.low), min(previous.high, current.high)
    if low > high:
        low = high = previous.high if current.low > previous.high else previous.low
    return Difference(current.estimate, low, high)


def next_look(
    previous: Look | None,
    control: Counts | tuple[int, int],
    variant: Counts | tuple[int, int],
    *,
    alpha: float,
    tau: float,
) -> Look:
    """Fold one look into the kept state: the p-value's running minimum, the interval's running intersection."""
    p = p_value(control, variant, tau=tau)
    current = interval(control, variant, alpha=alpha, tau=tau)
    if previous is None:
        return Look(p, current)
    return Look(min(previous.p_value, p), intersect(previous.difference, current))


def fold_looks(
    looks: Iterable[tuple[Counts | tuple[int, int], Counts | tuple[int, int]]], *, alpha: float, tau: float
) -> Look | None:
    """The state after a sequence of looks, each (control counts, variant counts) at that moment."""
    state: Look | None = None
    for control, variant in looks:
        state = next_look(state, control, variant, alpha=alpha, tau=tau)
    return state


def decide(
    variants: Mapping[str, Counts | tuple[int, int]],
    *,
    control: str,
    alpha: float = DEFAULT_ALPHA,
    max_units_per_variant: int = 5000,
    minimum_effect: float = DEFAULT_MINIMUM_EFFECT,
    tau: float | None = None,
    previous: Mapping[str, Difference] | None = None,
) -> Result:
    """The experiment's decision at this look: exactly one of running, better:<key>, no_difference, inconclusive.

    `variants` maps each key to its (units, conversions), in the experiment's order; `control` is the current
    setting's key. Each other variant is compared with the control at alpha / (number of comparisons)
    (Bonferroni), so the chance of any false claim stays at most alpha. `previous` (each variant's difference
    from the last look) makes each interval a running intersection, so a decision once reached stays.

    - better:<variant>: its interval lies entirely above 0. When several do, the one with the highest estimate
      (the first in order on a tie): it is proven better than the control, not than the other winners.
    - better:<control>: every other variant's interval lies entirely below 0 (all are worse than the current
      setting). A variant that is worse while another is undecided keeps the experiment running.
    - no_difference: every interval lies within +-minimum_effect: no difference worth the remaining units.
    - inconclusive: every variant has reached max_units_per_variant with none of the above.
    - running: otherwise.
    """
    _check_alpha(alpha)
    if isinstance(max_units_per_variant, bool) or not isinstance(max_units_per_variant, int):
        raise ValueError(f"max_units_per_variant must be a whole number, not {max_units_per_variant!r}")
    if max_units_per_variant < 1:
        raise ValueError(f"max_units_per_variant must be 1 or more, not {max_units_per_variant}")
    if isinstance(minimum_effect, bool) or not isinstance(minimum_effect, int | float):
        raise ValueError(f"minimum_effect must be a number, not {minimum_effect!r}")
    if not 0.0 < minimum_effect < 1.0:
        raise ValueError(f"minimum_effect must be between 0 and 1 (a difference of rates), not {minimum_effect}")
    tau = minimum_effect if tau is None else tau
    _check_tau(tau)
    if not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        raise ValueError(f"an experiment has {MIN_VARIANTS} to {MAX_VARIANTS} variants, not {len(variants)}")
    if control not in variants:
        raise ValueError(f"the control {control!r} is not one of the variants {sorted(variants)}")
    counts = {key: _as_counts(value) for key, value in variants.items()}
    others = [key for key in counts if key != control]
    alpha_each = alpha / len(others)
    differences: dict[str, Difference] = {}
    p_values: dict[str, float] = {}
    for key in others:
        current = interval(counts[control], counts[key], alpha=alpha_each, tau=tau)
        differences[key] = intersect((previous or {}).get(key), current)
        p_values[key] = p_value(counts[control], counts[key], tau=tau)
    return Result(
        _decision(counts, control, differences, max_units_per_variant, minimum_effect),
        differences,
        p_values,
        alpha_each,
    )


def _decision(
    counts: Mapping[str, Counts],
    control: str,
    differences: Mapping[str, Difference],
    max_units_per_variant: int,
    minimum_effect: float,
) -> Decision:
    winners = [key for key, d in differences.items() if d.low > 0.0]
    if winners:
        best = max(winners, key=lambda key: (differences[key].estimate, -winners.index(key)))
        return BETTER_PREFIX + best
    if all(d.high < 0.0 for d in differences.values()):
        return BETTER_PREFIX + control
    if all(-minimum_effect <= d.low and d.high <= minimum_effect for d in differences.values()):
        return NO_DIFFERENCE
    if all(c.units >= max_units_per_variant for c in counts.values()):
        return INCONCLUSIVE
    return RUNNING


def _points(value: float, decimals: int) -> str:
    text = f"{value * 100:+.{decimals}f}"
    return "0" if float(text) == 0.0 else text


def sentence(
    difference: Difference,
    *,
    variant: str,
    more: str,
    fewer: str,
    control: str = "the current setting",
    alpha: float = DEFAULT_ALPHA,
) -> str:
    """The owner's sentence for one variant, e.g. "Subject B gets more reviews: between +2 and +9 points, with 95%
    confidence, however often you look."

    `more`/`fewer` are the metric's verb phrases ("gets more reviews"/"gets fewer reviews"); `alpha` is the
    experiment's overall alpha (the family's confidence, not the split one).
    """
    _check_alpha(alpha)
    width = (difference.high - difference.low) * 100
    decimals = 0 if width >= 2 else 1
    low, high = _points(difference.low, decimals), _points(difference.high, decimals)
    confidence = f"{(1 - alpha) * 100:.10g}%"
    tail = f"between {low} and {high} points, with {confidence} confidence, however often you look."
    if difference.low > 0:
        return f"{variant} {more}: {tail}"
    if difference.high < 0:
        return f"{variant} {fewer}: {tail}"
    return f"{variant} against {control}: no clear difference yet, {tail}"


def decide_sequence(
    looks: Sequence[Mapping[str, Counts | tuple[int, int]]],
    *,
    control: str,
    alpha: float = DEFAULT_ALPHA,
    max_units_per_variant: int = 5000,
    minimum_effect: float = DEFAULT_MINIMUM_EFFECT,
    tau: float | None = None,
) -> Result:
    """`decide` folded over successive looks (cumulative counts at each), keeping the running intersections."""
    if not looks:
        raise ValueError("at least one look is needed")
    previous: dict[str, Difference] | None = None
    result: Result | None = None
    for counts in looks:
        result = decide(
            counts,
            control=control,
            alpha=alpha,
            max_units_per_variant=max_units_per_variant,
            minimum_effect=minimum_effect,
            tau=tau,
            previous=previous,
        )
        previous = result.differences
    assert result is not None
    return result
