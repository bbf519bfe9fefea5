"""Scheduled work: every job that can be due, run by the schedule or by POST /admin/run-due."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib import errors
from chalicelib.budget import Budget
from chalicelib.observability import logger, metrics

DueJob = Callable[[Budget], int]

# A run stops taking new items this long before Lambda's timeout: one item can take an outbound POST's
# 5-second timeout plus the database retries around it.
SAFETY_SECONDS = 6.0
# POST /admin/run-due has no Lambda context here; the function's timeout is 20 s (.chalice/config.json).
ROUTE_SECONDS = 20.0 - SAFETY_SECONDS


@dataclass
class DueRun:
    ran: dict[str, int] = field(default_factory=dict)
    more: bool = False  # the budget ran out with work left; the next run goes on from there

    def as_dict(self) -> dict[str, Any]:
        """The answer of POST /admin/run-due and of the scheduled handler."""
        return {"ran": self.ran, "more": self.more}


def _due_jobs() -> dict[str, DueJob]:
    """Each job sends or cleans up what is due now and returns how many items it handled."""
    from chalicelib.connections.ratings import sync_store_ratings
    from chalicelib.customer_index import index_older_customers
    from chalicelib.experiments.closing import close_due_units
    from chalicelib.imports.runner import advance_due_imports
    from chalicelib.outbound import deliver_due
    from chalicelib.photos.cards import build_due_cards
    from chalicelib.photos.service import process_due_photos
    from chalicelib.privacy import run_shop_redactions
    from chalicelib.referrals.claims import send_friend_codes
    from chalicelib.referrals.rewards import issue_due_rewards
    from chalicelib.reviews.answering import refresh_due_figures, send_digests
    from chalicelib.reviews.requests import send_due
    from chalicelib.rollup import roll_up_clicks
    from chalicelib.store.table import get_table

    return {
        "review_emails": lambda budget: send_due(get_table(), budget=budget),
        "shop_redactions": lambda budget: run_shop_redactions(get_table(), budget=budget),
        "outbound_events": lambda budget: deliver_due(get_table(), budget=budget),
        "click_rollup": lambda budget: roll_up_clicks(get_table(), budget=budget),
        "photos": lambda budget: process_due_photos(get_table(), budget=budget),
        "share_cards": lambda budget: build_due_cards(get_table(), budget=budget),
        "imports": lambda budget: advance_due_imports(get_table(), budget=budget),
        "customer_index": lambda budget: index_older_customers(get_table(), budget=budget),
        "friend_codes": lambda budget: send_friend_codes(get_table(), budget=budget),
        "rewards": lambda budget: issue_due_rewards(get_table(), budget=budget),
        "store_ratings": lambda budget: sync_store_ratings(get_table(), budget=budget),
        "answer_digests": lambda budget: send_digests(get_table(), budget=budget),
        "answer_figures": lambda budget: refresh_due_figures(get_table(), budget=budget),
        "experiment_units": lambda budget: close_due_units(get_table(), budget=budget),
    }


def run_due_work(budget: Budget | None = None) -> DueRun:
    """Every due job in turn, within the budget; each still gets asked, so a spent budget is reported.

    A job that fails does not keep the jobs after it from running: each failure is logged, and once every
    job has had its turn the run fails (a 503 for the route, an error the schedule's alarm sees), so a
    database that stays down or a bug in one job is loud without starving the others."""
    budget = budget or Budget.unlimited()
    run = DueRun()
    failed: list[tuple[str, Exception]] = []
    for name, job in _due_jobs().items():
        try:
            run.ran[name] = job(budget)
        except Exception as exc:  # noqa: BLE001 - the other jobs still run; the run fails below
            logger.exception("due job failed", extra={"job": name})
            run.ran[name] = 0
            failed.append((name, exc))
    run.more = budget.cut_short
    if run.more:
        # Watched by the DueWorkCutShort alarm: a run now and then is fine, every run for half an hour is not.
        metrics.add_metric(name="DueWorkCutShort", unit="Count", value=1)
    if failed:
        names = ", ".join(name for name, _ in failed)
        raise errors.RetryLater(f"due work failed in {names}; the other jobs ran") from failed[0][1]
    return run
