"""A claimed review request that was not sent: its claim undone and uncounted, as it was or put off or parked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.store import aggregates, keys
from chalicelib.store.due import Change, Failure, park, put_off
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.table import Table

JOB = "review_requests"


def unclaim(
    table: Table,
    order: dict[str, Any],
    reminder: bool,
    claimed_at: str,
    day: str,
    failure: Failure | None = None,
    later: str | None = None,
    parked_at: str | None = None,
) -> bool:
    """Undo this run's claim of `order` (read before the claim) and its count, in one transaction: the email
    did not go, so the funnel does not count it and the buyer's timeline shows no request.

    Without a failure the request is due again as it was (the mail service refused every message: nothing
    about this buyer is wrong). With one it is due again at `later`, or parked at `parked_at` (a stamp).
    False when the claim is no longer this run's (nothing changed)."""
    shop_id, order_id = str(order["shop_id"]), str(order["order_id"])
    status, claimed, stamp = ("sent", "reminded", "reminded_at") if reminder else ("scheduled", "sent", "sent_at")
    due = later or str(order["request_due_at"])
    change = Change(
        sets={"request_status": status, "request_due_at": due},
        removes=[stamp],
        adds={"version": 1},  # an order event planned from the claimed item must re-plan, as after the claim
        equal={"request_status": claimed, stamp: claimed_at},
    )
    if failure is None:
        change.sets.update(keys.due_keys(shop_id, order_id, due))
    elif parked_at is not None:
        park(change, shop_id, JOB, order_id, failure, parked_at)
    else:
        put_off(change, keys.due_keys(shop_id, order_id, due), failure)
    counter = "reminders" if reminder else "review_requests"
    try:
        table.transact(
            [
                change.op(table, keys.order_key(shop_id, order_id)),
                aggregates.add_op(table, shop_id, day, {counter: -1}),
            ]
        )
    except ConditionFailed:
        return False
    return True
