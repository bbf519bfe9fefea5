"""The due work that counts each experiment unit when its outcome window closes (pattern 75).

A unit (an order, a reviewer, a friend's visitor) is exposed at one moment and converts, if it does, days later:
counted as they come, the newest units' outcomes are always missing, and more so in the arm that waits longer (the
delay) or converts later. So each unit's item is put with its count and closes `outcome_days` after it: then, and
only then, it is counted as closed, converted or not by that moment. The statistic reads those counts alone: every
unit over the same window, in every variant."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib import clock
from chalicelib.store import experiments as store
from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.budget import Budget
    from chalicelib.store.table import Table

PAGE = 100


def close_due_units(table: Table, budget: Budget | None = None, now: datetime | None = None) -> int:
    """Close every unit whose window has closed by now, once; returns how many this run closed. A unit that fails
    stays due for the next run and never stops the others."""
    from chalicelib.observability import logger

    cutoff = clock.iso(now or clock.now())
    closed = 0
    for shard in range(keys.DUE_SHARDS):
        cursor = None
        while True:
            entries, cursor = store.closing_due(table, shard, cutoff, cursor, PAGE)
            for entry in entries:
                if budget is not None and budget.spent():
                    return closed
                try:
                    closed += store.close_unit(table, entry)
                except Exception:  # noqa: BLE001 - one unit never stops the others; it stays due
                    logger.exception("experiment unit not closed", extra={"unit": entry.get(keys.SK)})
            if cursor is None:
                break
    return closed
