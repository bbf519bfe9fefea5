"""Helpers for the experiments' tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.experiments.assignment import variant_for
from chalicelib.store import keys


def outcomes_arrived(table: Any, shop_id: str, experiment_id: str) -> None:
    """The experiment began long enough ago for its first units' outcomes to have all arrived, so that its counts
    are read and decided on: its start moved back by its outcome window (and a day), and every unit counted so far
    closed, as the due work closes them once their windows have."""
    key = keys.experiment_key(shop_id, experiment_id)
    item = table.get(key, consistent=True)
    started = clock.parse(str(item["created_at"])) - timedelta(days=int(item["outcome_days"]) + 1)
    table.update(key, "SET created_at = :c", values={":c": clock.iso(started)})
    windows_closed(table)


def windows_closed(table: Any, days: int = 2000) -> int:
    """The due work's closing of experiment units run `days` from now: every unit counted so far is closed (the
    review tests send their requests up to three years ahead, review_support.LATER), converted or not by its close.
    How many it closed."""
    from chalicelib.experiments.closing import close_due_units

    return close_due_units(table, now=clock.now() + timedelta(days=days))


def closed_counts(table: Any, shop_id: str, experiment_id: str, variant: str, units: int, conversions: int) -> None:
    """`units` more of the variant's units closed, `conversions` of them converted, as the due work adds them (the
    statistic's counts, without the thousands of orders behind them)."""
    from chalicelib.store.experiments import count_ops

    table.transact(count_ops(table, shop_id, {experiment_id: variant}, "closed_units", units))
    table.transact(count_ops(table, shop_id, {experiment_id: variant}, "closed_conversions", conversions))


def in_both_arms(experiment_id: str, per_arm: int) -> list[str]:
    """Order ids, the first `per_arm` of each variant of a two-variant experiment (its id is random: a fixed
    handful of orders could all fall in one arm)."""
    arms: dict[str, list[str]] = {"a": [], "b": []}
    n = 0
    while min(len(found) for found in arms.values()) < per_arm:
        order_id = f"o-{n}"
        found = arms[variant_for(experiment_id, order_id, ("a", "b"))]
        if len(found) < per_arm:
            found.append(order_id)
        n += 1
    return sorted(arms["a"] + arms["b"], key=lambda o: int(o[2:]))
