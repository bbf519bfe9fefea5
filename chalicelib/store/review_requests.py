"""An order's review request as the due work and the buyer move it: claimed for sending (and counted), its claim
undone when it was not sent (as it was, put off or parked), retired without sending, postponed once by the buyer,
and the buyer's unsubscribe. Each is one conditional write (with its day counter, in one transaction), so a run
that overlaps another, or an order event that changed the request meanwhile, leaves it as that change left it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.store import aggregates, keys
from chalicelib.store.due import ATTEMPTS, Change, Failure, park, put_off
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.table import Table

JOB = "review_requests"


def next_planned(order: dict[str, Any]) -> bool:
    """Whether a message of this order is still planned: the request while it is scheduled, or its reminder
    while the sent request is still on the due index (or parked there)."""
    status = order.get("request_status")
    return status == "scheduled" or (status == "sent" and bool(order.get(keys.GSI1PK)))


def claim(
    table: Table,
    order: dict[str, Any],
    claimed_at: str,
    day: str,
    reminder: bool,
    next_due: str | None,
    exposed: Mapping[str, str] | None = None,
    closes: Mapping[str, str] | None = None,
) -> bool:
    """Take one due request (or its reminder) of `order`, as read from the due index, for this run and count it
    on `day`, together: only one concurrent run can win. With `next_due` the reminder is due then; otherwise
    the request leaves the due index. False when another run took it, or it changed meanwhile.

    `exposed` (the first request only): the experiments it takes part in, each with the order's variant; the order
    keeps them and each variant counts a unit, in the same transaction, so a unit is counted once (pattern 68),
    and each experiment in `closes` puts the order's unit item, due to close then (pattern 75).

    It holds only while the request is as read, the order still names the buyer's mailbox (an erasure takes it
    away), and it is neither reviewed nor erased."""
    from chalicelib.store.experiments import unit_ops

    expected = "sent" if reminder else "scheduled"
    shop_id, order_id = str(order["shop_id"]), str(order["order_id"])
    counted = exposed if exposed and not reminder else {}
    values: dict[str, Any] = {
        ":was": expected,
        ":due": order["request_due_at"],
        ":now": claimed_at,
        ":status": "reminded" if reminder else "sent",
        ":one": 1,
    }
    # The version moves on: an order event planned from the item as it was must re-plan, not write it back.
    stamp = "reminded_at = :now" if reminder else "sent_at = :now"
    if counted:
        stamp += ", exposed = :exposed"
        values[":exposed"] = dict(counted)
    expression = "ADD version :one SET request_status = :status, " + stamp
    if next_due:
        reminder_keys = keys.due_keys(shop_id, order_id, next_due)
        expression += ", request_due_at = :next, GSI1PK = :gpk, GSI1SK = :gsk"
        values.update({":next": next_due, ":gpk": reminder_keys[keys.GSI1PK], ":gsk": reminder_keys[keys.GSI1SK]})
    else:
        expression += " REMOVE GSI1PK, GSI1SK"
    # Sent: the next message of this order (its reminder) starts a fresh run of attempts.
    expression += (", " if " REMOVE " in expression else " REMOVE ") + ATTEMPTS
    counter = "reminders" if reminder else "review_requests"
    try:
        table.transact(
            [
                table.update_op(
                    keys.order_key(shop_id, order_id),
                    expression,
                    values=values,
                    condition="request_status = :was AND request_due_at = :due AND attribute_exists(email) "
                    "AND attribute_not_exists(reviewed_at) AND attribute_not_exists(redacted)",
                ),
                aggregates.add_op(table, shop_id, day, {counter: 1}),
                *unit_ops(table, shop_id, order_id, counted, claimed_at, closes or {}),
            ]
        )
    except ConditionFailed:
        return False
    return True


def retire(table: Table, order: dict[str, Any], status: str) -> bool:
    """Take a request off the due index without sending it, as `status` (reviewed, suppressed). False when it
    is no longer due when it was read (it changed meanwhile: the next run sees the new state)."""
    try:
        table.update(
            keys.order_key(order["shop_id"], order["order_id"]),
            "ADD version :one SET request_status = :s REMOVE GSI1PK, GSI1SK",
            values={":s": status, ":due": order["request_due_at"], ":one": 1},
            condition="request_due_at = :due",
        )
    except ConditionFailed:
        return False
    return True


def postpone(table: Table, shop_id: str, order_id: str, status: str, due: str, at: str) -> bool:
    """The buyer's one postponement: the request, still `status` as read, due again at `due` (`at` is now).
    False when it changed meanwhile: postponed already, reviewed, erased or cancelled, or its status moved on."""
    due_keys = keys.due_keys(shop_id, order_id, due)
    try:
        table.update(
            keys.order_key(shop_id, order_id),
            "ADD version :one "
            "SET request_status = :next, request_due_at = :due, postponed_at = :now, GSI1PK = :gpk, GSI1SK = :gsk",
            values={
                ":one": 1,
                ":next": status,
                ":was": status,
                ":due": due,
                ":now": at,
                ":gpk": due_keys[keys.GSI1PK],
                ":gsk": due_keys[keys.GSI1SK],
            },
            condition="request_status = :was AND attribute_not_exists(postponed_at) "
            "AND attribute_not_exists(reviewed_at) AND attribute_not_exists(redacted) "
            "AND attribute_not_exists(cancelled_at)",
        )
    except ConditionFailed:
        return False
    return True


def unsubscribe(table: Table, shop_id: str, customer_id: str, at: str) -> bool:
    """The buyer wants no more requests: their record says so (and when, the first time). False when there is
    no record (erased since the email, or never kept): nothing is stored."""
    try:
        table.update(
            keys.customer_key(shop_id, customer_id),
            "SET unsubscribed = :t, unsubscribed_at = if_not_exists(unsubscribed_at, :now)",
            values={":t": True, ":now": at},
            condition="attribute_exists(PK)",
        )
    except ConditionFailed:
        return False
    return True


def unclaim(
    table: Table,
    order: dict[str, Any],
    reminder: bool,
    claimed_at: str,
    day: str,
    failure: Failure | None = None,
    later: str | None = None,
    parked_at: str | None = None,
    exposed: Mapping[str, str] | None = None,
) -> bool:
    """Undo this run's claim of `order` (read before the claim) and its count, in one transaction: the email
    did not go, so the funnel does not count it and the buyer's timeline shows no request (nor an experiment its
    unit: `exposed`, as the claim was given it).

    Without a failure the request is due again as it was (the mail service refused every message: nothing
    about this buyer is wrong). With one it is due again at `later`, or parked at `parked_at` (a stamp).
    False when the claim is no longer this run's (nothing changed)."""
    from chalicelib.store.experiments import unit_undo_ops

    shop_id, order_id = str(order["shop_id"]), str(order["order_id"])
    status, claimed, stamp = ("sent", "reminded", "reminded_at") if reminder else ("scheduled", "sent", "sent_at")
    due = later or str(order["request_due_at"])
    change = Change(
        sets={"request_status": status, "request_due_at": due},
        removes=[stamp, "exposed"] if exposed and not reminder else [stamp],
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
                *unit_undo_ops(table, shop_id, order_id, exposed if exposed and not reminder else {}),
            ]
        )
    except ConditionFailed:
        return False
    return True
