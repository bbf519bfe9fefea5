"""The due work's share of the imports: every job left checking or importing (its page closed) moved on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.budget import Budget
from chalicelib.imports.job import advance
from chalicelib.store import keys

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.storage.s3 import Storage
    from chalicelib.store.table import Table

DUE_PAGE = 10


def advance_due_imports(table: Table, budget: Budget | None = None, storage: Storage | None = None) -> int:
    """The due work's import job: every import left checking or importing (its page closed), chunk by chunk
    within the run's budget. Returns how many jobs it moved on."""
    from chalicelib.store.shop_records import get_shop

    now = clock.now()
    # Due by now: an import that failed is put off behind the others (its key's time moves on), then parked.
    items, _ = table.query(
        keys.IMPORT_DUE_PARTITION, index=keys.GSI1, sk_between=("0", clock.iso(now) + "~"), limit=DUE_PAGE
    )
    budget = budget or Budget.unlimited()
    moved = 0
    for item in items:
        if budget.spent():
            break
        shop = get_shop(table, item["shop_id"])
        if shop is None:  # the shop was erased: its imports go with it
            continue
        try:
            before = (item.get("position"), item.get("chunk"), item["status"])
            after = advance(table, shop, item, budget, storage)
        except Exception as exc:  # noqa: BLE001 - storage or the database failed: put off, the others go on
            from chalicelib.observability import logger

            logger.exception("import not advanced", extra={"job_id": item["job_id"]})
            _put_off(table, item, now, exc)
            continue
        moved += (after.get("position"), after.get("chunk"), after["status"]) != before
    return moved


def _put_off(table: Table, item: dict[str, Any], now: datetime, exc: Exception) -> None:
    """An import whose step failed waits with the backoff, behind the others, and is parked for its owner at the
    last attempt (its page still moves it on while the owner watches it)."""
    from chalicelib.backoff import IMPORTS
    from chalicelib.parked import JOB_IMPORTS, counted_parked, failure_reason
    from chalicelib.store.due import ATTEMPTS, Failure, apply, index_entry, moved, park, put_off

    attempts = int(item.get(ATTEMPTS, 0)) + 1
    failure = Failure(attempts, failure_reason("a step of the import", attempts, exc), clock.iso(now))
    key = keys.import_key(item["shop_id"], item["job_id"])
    change = moved({}, index_entry(item))
    wait = IMPORTS.wait_after(attempts)
    if wait is not None:
        later = keys.import_due_keys(clock.iso(now + wait), item["shop_id"], item["job_id"])
        apply(table, key, put_off(change, later, failure), {"job_id": item["job_id"]})
        return
    park(change, item["shop_id"], JOB_IMPORTS, item["job_id"], failure, clock.stamp(now))
    if apply(table, key, change, {"job_id": item["job_id"]}):
        counted_parked(JOB_IMPORTS, item["shop_id"], item["job_id"], failure.reason)
