"""Experiments' statistics, simulated: false winners when an A/A test is looked at after every unit, and units to find
20% against 25%. Seeded, pure Python (chalicelib/experiments/stats.py), under a minute on one core.

Each unit goes to one of two variants by a fair coin (as the keyed hash assigns it) and converts with its variant's
true rate; the mSPRT's always-valid interval is looked at after every unit. For contrast, the textbook fixed-horizon
z-test (two-sided, 5%) is peeked at after every 100 units on the same streams.
"""

from __future__ import annotations

import math
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.experiments import stats

ALPHA = stats.DEFAULT_ALPHA
MAX_UNITS = 5000  # per variant, the contract's default
TAU = 0.05  # the smallest effect worth detecting here: 5 points (20% -> 25%)
A_A_RUNS = 2000
POWER_RUNS = 1000
PEEK_EVERY = 100
Z_CRITICAL = 1.959963984540054  # two-sided 5%


def _winner(units_a: int, conv_a: int, units_b: int, conv_b: int, log_bound: float) -> bool:
    """Lambda(0) >= 1/alpha through the module's own arithmetic (the interval excludes 0)."""
    diff = conv_b / units_b - conv_a / units_a
    variance = stats.safe_variance(stats.Counts(units_a, conv_a)) + stats.safe_variance(stats.Counts(units_b, conv_b))
    return stats.log_mixture_likelihood_ratio(diff, variance, TAU) >= log_bound


def simulate(
    rate_a: float, rate_b: float, seed: int, *, alpha: float = ALPHA, peek: bool = True
) -> tuple[int | None, int, bool]:
    """One experiment looked at after every unit: (units per variant when the mSPRT first declared a winner, or
    None; the sign of that winner (+1 B, -1 A, 0 none); whether the peeked z-test ever declared one).

    The per-unit loop inlines the cheap necessary condition (the sqrt factor is at most 1, so Lambda >= 1/alpha
    needs tau^2 d^2 >= 2 V (V + tau^2) ln(1/alpha)) and asks the module only when it holds.
    """
    rng = random.Random(seed)
    rand = rng.random
    tau2 = TAU * TAU
    log_bound = math.log(1.0 / alpha)
    na = ca = nb = cb = 0
    z_fired = not peek  # without the peeked z-test, stop at the mSPRT's first winner
    stopped: int | None = None
    sign = 0
    while na < MAX_UNITS or nb < MAX_UNITS:
        if rand() < 0.5:
            if na >= MAX_UNITS:
                continue
            na += 1
            ca += rand() < rate_a
        else:
            if nb >= MAX_UNITS:
                continue
            nb += 1
            cb += rand() < rate_b
        if not na or not nb:
            continue
        if stopped is None:
            qa = (ca + 0.5) / (na + 1)
            qb = (cb + 0.5) / (nb + 1)
            v = qa * (1.0 - qa) / na + qb * (1.0 - qb) / nb
            d = cb / nb - ca / na
            if tau2 * d * d >= 2.0 * v * (v + tau2) * log_bound and _winner(na, ca, nb, cb, log_bound):
                stopped, sign = max(na, nb), (1 if d > 0 else -1)
                look = stats.interval((na, ca), (nb, cb), alpha=alpha, tau=TAU)
                assert look.low > 0 or look.high < 0, look  # the module's public interval agrees
                if z_fired:
                    break
        if not z_fired and (na + nb) % PEEK_EVERY == 0:
            pooled = (ca + cb) / (na + nb)
            se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb))
            if se > 0 and abs(cb / nb - ca / na) / se >= Z_CRITICAL:
                z_fired = True
                if stopped is not None:
                    break
    return stopped, sign, z_fired


def fixed_horizon_units(rate_a: float, rate_b: float, alpha: float = ALPHA, power: float = 0.8) -> int:
    """Units per variant a single fixed-horizon z-test needs (normal approximation), for reference."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    spread = rate_a * (1 - rate_a) + rate_b * (1 - rate_b)
    return math.ceil(z * z * spread / (rate_b - rate_a) ** 2)


def measure(a_a_runs: int = A_A_RUNS, power_runs: int = POWER_RUNS) -> dict[str, Any]:
    started, cpu = time.monotonic(), time.process_time()
    a_a = [simulate(0.20, 0.20, seed) for seed in range(a_a_runs)]
    power = [simulate(0.20, 0.25, 1_000_000 + seed, peek=False) for seed in range(power_runs)]
    found = sorted(n for n, sign, _ in power if n is not None and sign > 0)
    at_80 = math.ceil(0.8 * power_runs)
    return {
        "a_a_runs": a_a_runs,
        "a_a_msprt": sum(n is not None for n, _, _ in a_a) / a_a_runs,
        "a_a_peeked_z": sum(z for _, _, z in a_a) / a_a_runs,
        "power_runs": power_runs,
        "power_found": len(found) / power_runs,
        "power_wrong_sign": sum(n is not None and sign < 0 for n, sign, _ in power) / power_runs,
        "power_units_p80": found[at_80 - 1] if len(found) >= at_80 else None,
        "power_units_median": found[len(found) // 2] if found else None,
        "fixed_horizon_units": fixed_horizon_units(0.20, 0.25),
        "seconds": time.monotonic() - started,
        "cpu_seconds": time.process_time() - cpu,
    }


def report(figures: dict[str, Any]) -> list[str]:
    a_a, z = figures["a_a_msprt"], figures["a_a_peeked_z"]
    margin = 3 * math.sqrt(ALPHA * (1 - ALPHA) / figures["a_a_runs"])
    verdict = "ok" if a_a <= ALPHA else ("within sampling margin" if a_a <= ALPHA + margin else "OVER")
    p80 = figures["power_units_p80"]
    p80_text = f"{p80} units per variant" if p80 is not None else f"not within {MAX_UNITS} units per variant"
    return [
        f"Experiments (mSPRT, alpha {ALPHA:.0%}, tau {TAU}, at most {MAX_UNITS} units per variant; "
        f"{figures['seconds']:.0f} s, {figures['cpu_seconds']:.0f} s of CPU on one core)",
        f"  A/A, 20% vs 20%, looked at after every unit, {figures['a_a_runs']} experiments: "
        f"{a_a:.1%} ever declare a winner (bar {ALPHA:.0%}: {verdict})",
        f"  the same streams with a fixed-horizon z-test peeked every {PEEK_EVERY} units: {z:.1%} ever declare one "
        f"({z / ALPHA:.1f}x the {ALPHA:.0%} it claims)",
        f"  20% vs 25%, {figures['power_runs']} experiments: 80% find B better within {p80_text} "
        f"(median {figures['power_units_median']}); {figures['power_found']:.1%} find it within the maximum, "
        f"{figures['power_wrong_sign']:.1%} name A",
        f"  (a single fixed-horizon test looked at once needs {figures['fixed_horizon_units']} units per variant "
        f"for 80% power; the mSPRT buys looking at any time with the difference)",
    ]


if __name__ == "__main__":
    print("\n".join(report(measure())))
