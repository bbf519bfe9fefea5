"""Scheduled work: every job that can be due, run by the schedule or by POST /admin/run-due."""

from __future__ import annotations

from collections.abc import Callable

DueJob = Callable[[], int]


def _due_jobs() -> dict[str, DueJob]:
    """Each job sends or cleans up what is due now and returns how many items it handled."""
    from chalicelib.outbound import deliver_due
    from chalicelib.privacy import run_shop_redactions
    from chalicelib.reviews.requests import send_due
    from chalicelib.rollup import roll_up_clicks
    from chalicelib.store.table import get_table

    return {
        "review_emails": lambda: send_due(get_table()),
        "shop_redactions": lambda: run_shop_redactions(get_table()),
        "outbound_events": lambda: deliver_due(get_table()),
        "click_rollup": lambda: roll_up_clicks(get_table()),
    }


def run_due_work() -> dict[str, int]:
    return {name: job() for name, job in _due_jobs().items()}
