"""The due work that counts each experiment unit when its outcome window closes (pattern 75).

A unit (an order, a reviewer, a friend's visitor) is exposed at one moment and converts, if it does, days later:
counted as they come, the newest units' outcomes are always missing, and more so in the arm that waits longer (the
delay) or converts later. So each unit's item is put with its count and closes `outcome_days` after it: then, and
only then, it is counted as closed, converted or not by that moment. The statistic reads those counts alone: every
unit over the same window, in every variant."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.store import experiments as store
from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.budget import Budget
    from chalicelib.store.table import Table

PAGE = 100
GRACE = store.CLOSE_GRACE


def close_due_units(table: Table, budget: Budget | None = None, now: datetime | None = None) -> int:
    """Close every unit whose window closed GRACE before now, once; returns how many this run closed. A unit that
    fails never stops the others: it is read again after the backoff, then parked with the reason."""
    from chalicelib.observability import logger

    cutoff = clock.iso((now or clock.now()) - GRACE)
    closed = 0
    for shard in range(keys.DUE_SHARDS):
        cursor = None
        while True:
            entries, cursor = store.closing_due(table, shard, cutoff, cursor, PAGE)
            for entry in entries:
                if budget is not None and budget.spent():
                    return closed
                try:
                    due = _moved_with_its_basis(table, entry)
                    if due is not None and str(due["closes_at"]) <= cutoff:
                        closed += store.close_unit(table, due)
                except Exception as exc:  # noqa: BLE001 - one unit never stops the others
                    logger.exception("experiment unit not closed", extra={"unit": entry.get(keys.SK)})
                    _put_off(table, entry, now or clock.now(), exc)
            if cursor is None:
                break
    return closed


def _moved_with_its_basis(table: Table, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The unit to close now, or None when its window moved later (a delay unit whose order's delivery was
    reported later than assumed: its window runs from the request's basis in every variant alike) or it changed
    meanwhile."""
    from chalicelib.orders.planner import request_basis

    if entry.get("basis_days") is None:
        return entry
    order = table.get(keys.order_key(str(entry["shop_id"]), str(entry["unit"])), consistent=True)
    basis = request_basis(order or {}, str(entry.get("basis")), int(entry.get("fallback_days", 0)))
    if basis is None:
        return entry
    wanted = clock.iso(basis[0] + timedelta(days=int(entry["basis_days"])))
    if wanted <= str(entry["closes_at"]):
        return entry
    return store.move_unit(table, entry, wanted)


def _put_off(table: Table, entry: dict[str, Any], now: datetime, exc: Exception) -> None:
    """A unit that failed to close is read again after the backoff, then parked with the reason on its shop's
    list (the owner can put it back); its outcome stays its window's, whenever it closes."""
    from chalicelib.backoff import EXPERIMENT_UNITS
    from chalicelib.parked import JOB_EXPERIMENT_UNITS, counted_parked, failure_reason
    from chalicelib.store.due import ATTEMPTS, Change, Failure, apply, park, put_off

    attempts = int(entry.get(ATTEMPTS, 0)) + 1
    failure = Failure(
        attempts, failure_reason("counting the unit at its window's close", attempts, exc), clock.iso(now)
    )
    shop_id, unit = str(entry["shop_id"]), str(entry["unit"])
    change = Change(equal={keys.GSI1SK: entry[keys.GSI1SK]})
    what = {"shop_id": shop_id, "unit": entry.get(keys.SK)}
    key = {keys.PK: entry[keys.PK], keys.SK: entry[keys.SK]}
    wait = EXPERIMENT_UNITS.wait_after(attempts)
    if wait is not None:  # read again `wait` from now (the index is read GRACE behind), not before its close
        again = max(clock.iso(now + wait - GRACE), str(entry["closes_at"]))
        later = keys.experiment_close_keys(shop_id, str(entry["experiment_id"]), unit, again)
        apply(table, key, put_off(change, later, failure), what)
        return
    ref = f"{entry['experiment_id']}/{unit}"
    park(change, shop_id, JOB_EXPERIMENT_UNITS, ref, failure, clock.stamp(now))
    if apply(table, key, change, what):
        counted_parked(JOB_EXPERIMENT_UNITS, shop_id, ref, failure.reason)
