"""Sending due review requests and reminders, each at most once even if runs overlap, by each shop's channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.budget import Budget
from chalicelib.clock import local_day
from chalicelib.errors import ChannelSetupRefused, RecipientRefused
from chalicelib.store import keys, review_requests
from chalicelib.store.due import ATTEMPTS, FAILED, STATE
from chalicelib.store.shop_records import Shop

if TYPE_CHECKING:
    from chalicelib.reviews.channels.base import Channel
    from chalicelib.store.table import Table

PAGE = 100


def _iso(value: datetime) -> str:
    return clock.iso(value)


def send_due(table: Table, now: datetime | None = None, limit: int = 500, budget: Budget | None = None) -> int:
    """Send every request and reminder due by now, each by its shop's channel; returns how many went out."""
    from chalicelib.experiments.assignment import closes, exposures, with_variants
    from chalicelib.parked import channel_setup_refused
    from chalicelib.reviews.channels import channel_for

    budget = budget or Budget.unlimited()
    moment = now or clock.now()
    cutoff = _iso(moment)
    sent = 0
    shops: dict[str, Shop | None] = {}
    channels: dict[str, Channel[Any]] = {}
    for shard in range(keys.DUE_SHARDS):
        cursor = None
        while sent < limit:
            due, cursor = table.query(
                keys.due_partition(shard), index=keys.GSI1, sk_between=("0", cutoff + "~"), limit=PAGE, cursor=cursor
            )
            customers = _customers(table, due)
            for order in due:
                if order["request_due_at"] > cutoff:
                    continue
                if budget.spent():
                    return sent
                shop = _shop(table, shops, order["shop_id"])
                customer = customers.get((order["shop_id"], str(order.get("customer_id"))), {})
                # Off the due index without sending; a request changed meanwhile is left to the next run.
                if shop is None or customer.get("unsubscribed") or customer.get("redacted") or order.get("redacted"):
                    review_requests.retire(table, order, "suppressed")
                    continue
                if order.get("reviewed_at"):
                    review_requests.retire(table, order, "reviewed")
                    continue
                reminder = order["request_status"] == "sent"
                gap = shop.settings.reminder_after_days
                next_due = _iso(moment + timedelta(days=gap)) if not reminder and gap > 0 else None
                # Whom is the schedule's to say, not the channel's: a buyer the order still names by their
                # mailbox (the planner schedules no other, and an erasure takes it away).
                day = local_day(cutoff, shop.timezone)
                # A running experiment on the request's words: the order's variant, counted with the send (the
                # delay's unit was counted when its plan assigned it).
                exposed = {} if reminder else exposures(shop, order)
                closing = closes(shop, exposed, cutoff) if exposed else {}
                if not review_requests.claim(table, order, cutoff, day, reminder, next_due, exposed, closing):
                    continue  # another run took it, or it changed meanwhile
                if shop.shop_id not in channels:
                    channels[shop.shop_id] = channel_for(shop)
                channel = channels[shop.shop_id]
                try:
                    to = channel.address(order, customer)
                    if to is None:  # what the order names is nobody this channel can write to
                        raise RecipientRefused(f"no one this {channel.name} can reach")
                    words = with_variants(shop, order) if exposed else shop
                    channel.send(channel.compose(words, order, reminder), to=to)
                except ChannelSetupRefused as exc:
                    # Every message would be refused: this buyer stays due as they were, and so does everyone
                    # behind them; the run sends no more, and says so once (the alarm's metric).
                    review_requests.unclaim(
                        table, order, reminder, cutoff, local_day(cutoff, shop.timezone), exposed=exposed
                    )
                    channel_setup_refused(channel.service, channel.name, str(exc))
                    return sent
                except Exception as exc:  # noqa: BLE001 - one buyer's failure must not stop the others
                    _not_sent(table, shop, channel, order, reminder, cutoff, moment, exc, exposed)
                    continue
                sent += 1
            if cursor is None:
                break
    return sent


def _not_sent(
    table: Table,
    shop: Shop,
    channel: Channel[Any],
    order: dict[str, Any],
    reminder: bool,
    cutoff: str,
    moment: datetime,
    exc: Exception,
    exposed: dict[str, str] | None = None,
) -> None:
    """Undo the claim of a message that did not go, and put the request off, or park it: at once when the
    channel's service refused the buyer (trying again cannot help), after the policy's attempts for anything
    else."""
    from chalicelib.backoff import REVIEW_REQUESTS
    from chalicelib.parked import JOB_REVIEW_REQUESTS, counted_parked, failure_reason
    from chalicelib.store.due import Failure

    kind = "reminder" if reminder else "request"
    attempts = int(order.get(ATTEMPTS, 0)) + 1
    if isinstance(exc, RecipientRefused):
        # Not its message: SES names the address in it, and the reason outlives an erasure of the buyer.
        failure = Failure(attempts, f"{channel.service} refused the buyer's address ({kind})", cutoff)
        wait = None
    else:
        from chalicelib.observability import logger

        logger.exception(
            f"review {channel.name} not sent", extra={"shop_id": shop.shop_id, "order_id": order["order_id"]}
        )
        failure = Failure(attempts, failure_reason(f"the {kind} {channel.name}", attempts, exc), cutoff)
        wait = REVIEW_REQUESTS.wait_after(attempts)
    day = local_day(cutoff, shop.timezone)
    if wait is not None:
        review_requests.unclaim(
            table, order, reminder, cutoff, day, failure, later=_iso(moment + wait), exposed=exposed
        )
    elif review_requests.unclaim(
        table, order, reminder, cutoff, day, failure, parked_at=clock.stamp(moment), exposed=exposed
    ):
        counted_parked(JOB_REVIEW_REQUESTS, shop.shop_id, str(order["order_id"]), failure.reason)


def _shop(table: Table, cache: dict[str, Shop | None], shop_id: str) -> Shop | None:
    if shop_id not in cache:
        item = table.get(keys.shop_key(shop_id))
        cache[shop_id] = Shop.from_item(item) if item and not item.get("redact_requested_at") else None
    return cache[shop_id]


def _customers(table: Table, orders: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    wanted = {(o["shop_id"], o["customer_id"]) for o in orders if o.get("customer_id")}
    found = table.get_many([keys.customer_key(s, c) for s, c in sorted(wanted)])
    return {(c["shop_id"], c["customer_id"]): c for c in found}


POSTPONE_DAYS = 7


@dataclass(frozen=True)
class Postponement:
    """What a buyer's "Not arrived yet?" came to: the state of their request, and when they are asked next."""

    state: str  # "can" be postponed, "postponed" now, "already" postponed once, "reviewed", "nothing" to ask
    next_at: str | None = None
    language: str | None = None  # the buyer's, as their order names it


def postponement(table: Table, shop_id: str, order_id: str) -> Postponement:
    """Where the buyer's request stands, without changing it (what the page shows before the button)."""
    return _where(_order_for_postponing(table, shop_id, order_id))


def postpone(table: Table, shop_id: str, order_id: str) -> Postponement:
    """The parcel has not arrived: the next planned email (the request, or its one reminder) waits a week
    from now, or until it was due if that is later; once. A second postponement changes nothing."""
    order = _order_for_postponing(table, shop_id, order_id)
    where = _where(order)
    if where.state != "can":
        return where
    now = clock.now()
    due = max(_iso(now + timedelta(days=POSTPONE_DAYS)), str(order.get("request_due_at") or ""))
    if not review_requests.postpone(table, shop_id, order_id, order["request_status"], due, _iso(now)):
        return postponement(table, shop_id, order_id)  # it changed meanwhile: say where it stands now
    return Postponement("postponed", due, order.get("language"))


def _where(order: dict[str, Any]) -> Postponement:
    """A postponement moves the next email planned for this order: the first request while it is scheduled,
    or the one reminder while it is still to come. Nothing else is planned for a reviewed, cancelled or
    refunded order, nor after the reminder (or a request the shop sends no reminder for)."""
    from chalicelib.store.orders import reversed_order

    language = order.get("language")
    if order.get("reviewed_at"):
        return Postponement("reviewed", language=language)
    # parked: the owner's retry, not the buyer, moves it on
    planned = review_requests.next_planned(order) and order.get(STATE) != FAILED
    if reversed_order(order) or not planned:
        return Postponement("nothing", language=language)
    if order.get("postponed_at"):
        return Postponement("already", order.get("request_due_at"), language)
    return Postponement("can", order.get("request_due_at"), language)


def _order_for_postponing(table: Table, shop_id: str, order_id: str) -> dict[str, Any]:
    from chalicelib import errors

    order = table.get(keys.order_key(shop_id, order_id), consistent=True)
    if order is None or order.get("redacted"):
        raise errors.NotFound("no such order", code="order_not_found")
    return order
