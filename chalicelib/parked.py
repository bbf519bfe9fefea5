"""Due items the due work parked after failing: each job's name for them, the owner's list, the retry, the metric.

An item that fails is put off with its job's backoff (chalicelib/backoff.py) and, at its last attempt (at once
for a refused address), parked: off its due partition, on its shop's parked list with its reason
(chalicelib/store/due.py, pattern 50). The queue behind it goes on in the same run. Each parking counts one
DueItemParked, which the packaged template alarms on; the console's overview lists a shop's parked items, and
its retry puts one back on the due index, due now, with a fresh run of attempts.

Two due jobs have no item of their own to park: the click roll-up (a pass over a day's codes: a code whose
roll-up failed is skipped, logged, and rolled again by the day's next pass, until the day closes) and the
customer index (a customer who could not be indexed is skipped, logged, and stays unindexed; a customer's next
order indexes them). Neither is the owner's to retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.store import keys, review_requests
from chalicelib.store.due import (
    ATTEMPTS,
    FAILED_AT,
    NOT_BEFORE,
    REASON,
    index_entry,
    parked_entry,
    parked_page,
    put_back_item,
)

if TYPE_CHECKING:
    from chalicelib.store.table import Table

JOB_REVIEW_REQUESTS = review_requests.JOB
JOB_OUTBOUND_EVENTS = "outbound_events"
JOB_PHOTOS = "photos"
JOB_SHARE_CARDS = "share_cards"
JOB_IMPORTS = "imports"
JOB_ERASURES = "erasures"
JOB_REWARDS = "rewards"
JOB_STORE_RATINGS = "store_ratings"
JOB_EXPERIMENT_UNITS = "experiment_units"

PARKED_METRIC = "DueItemParked"  # one per item parked, whatever its job (the alarm's)
MAIL_SETUP_METRIC = "MailSendingRefused"  # one per run whose review requests a channel's service refused outright

DueAgain = tuple[dict[str, str], dict[str, Any], list[str]]  # GSI1 keys, what else to set, what to remove


@dataclass(frozen=True)
class ParkedKind:
    """What the owner reads of one job's parked items, and how one is put back on its due partition."""

    name: str
    attempts_name: str
    which: Callable[[dict[str, Any]], str]
    due_again: Callable[[dict[str, Any], datetime], DueAgain]


def _request_name(item: dict[str, Any]) -> str:
    return "Reminder" if item.get("request_status") == "sent" else "Review request"


def _request_due(item: dict[str, Any], now: datetime) -> DueAgain:
    at = clock.iso(now)
    return keys.due_keys(str(item["shop_id"]), str(item["order_id"]), at), {"request_due_at": at}, []


def _event_due(item: dict[str, Any], now: datetime) -> DueAgain:
    # Kept a week from now, as a new event is: the retry has its own run of attempts to go through.
    expires = int(now.timestamp()) + keys.OUTBOUND_EVENT_TTL_SECONDS
    return keys.outbox_keys(str(item["event_id"]), clock.iso(now)), {"expires_at": expires}, ["failed_at"]


def _photo_due(item: dict[str, Any], now: datetime) -> DueAgain:
    due = keys.photo_due_keys(clock.iso(now), str(item["shop_id"]), str(item["review_id"]), str(item["photo_id"]))
    return due, {}, []


def _import_due(item: dict[str, Any], now: datetime) -> DueAgain:
    return keys.import_due_keys(clock.iso(now), str(item["shop_id"]), str(item["job_id"])), {}, []


def _erasure_due(item: dict[str, Any], now: datetime) -> DueAgain:
    return keys.customer_erasure_keys(str(item["shop_id"]), str(item["customer_id"])), {}, [NOT_BEFORE]


def _reward_due(item: dict[str, Any], now: datetime) -> DueAgain:
    return keys.reward_due_keys(clock.iso(now), str(item["shop_id"]), str(item["reward_id"])), {}, []


def _ratings_due(item: dict[str, Any], now: datetime) -> DueAgain:
    return keys.ratings_due_keys(clock.iso(now), str(item["shop_id"]), str(item["product_id"])), {}, []


def _unit_due(item: dict[str, Any], now: datetime) -> DueAgain:
    from chalicelib.store.experiments import CLOSE_GRACE

    # Read on the next run (the closing index is read GRACE behind), not before its window closed: its outcome is
    # still its window's.
    at = max(clock.iso(now - CLOSE_GRACE), str(item["closes_at"]))
    return keys.experiment_close_keys(str(item["shop_id"]), str(item["experiment_id"]), str(item["unit"]), at), {}, []


KINDS: dict[str, ParkedKind] = {
    JOB_REVIEW_REQUESTS: ParkedKind(
        "Review email", ATTEMPTS, lambda i: f"{_request_name(i)} for order {i.get('order_id')}", _request_due
    ),
    JOB_OUTBOUND_EVENTS: ParkedKind(
        "Outbound event", "attempts", lambda i: f"{i.get('event_type')} {i.get('event_id')}", _event_due
    ),
    JOB_PHOTOS: ParkedKind(
        "Buyer's photo", ATTEMPTS, lambda i: f"photo {i.get('photo_id')} of order {i.get('order_id')}", _photo_due
    ),
    JOB_SHARE_CARDS: ParkedKind(
        "Share card",
        "card_failures",
        lambda i: f"the card of share link {i.get('code')}",
        lambda i, now: (keys.card_due_keys(str(i["code"]), now), {}, []),
    ),
    JOB_IMPORTS: ParkedKind("Import", ATTEMPTS, lambda i: f"import {i.get('job_id')}", _import_due),
    JOB_ERASURES: ParkedKind("Customer erasure", ATTEMPTS, lambda i: f"customer {i.get('customer_id')}", _erasure_due),
    JOB_REWARDS: ParkedKind("Advocate's reward", ATTEMPTS, lambda i: f"reward {i.get('reward_id')}", _reward_due),
    JOB_STORE_RATINGS: ParkedKind(
        "Stars in the store", ATTEMPTS, lambda i: f"product {i.get('product_id')}", _ratings_due
    ),
    JOB_EXPERIMENT_UNITS: ParkedKind(
        "Experiment unit",
        ATTEMPTS,
        lambda i: f"unit {i.get('unit')} of experiment {i.get('experiment_id')}",
        _unit_due,
    ),
}


def failure_reason(what: str, attempts: int, exc: BaseException | None) -> str:
    """A failure in the owner's words: what failed, how often, and the kind of error (never its text, which
    may hold a buyer's address or a file's content; the log has it)."""
    times = "once" if attempts == 1 else f"{attempts} times"
    return f"{what} failed {times}" + (f", the last time with {type(exc).__name__}" if exc else "")


def counted_parked(job: str, shop_id: str, ref: str, reason: str) -> None:
    """One item parked: the metric the alarm watches, and a warning naming it."""
    from chalicelib.observability import logger, metrics

    metrics.add_metric(name=PARKED_METRIC, unit="Count", value=1)
    logger.warning("due item parked", extra={"job": job, "shop_id": shop_id, "item": ref, "reason": reason})


def channel_setup_refused(service: str, channel: str, refusal: str) -> None:
    """A channel's service refused a review request for the account's sake, not the buyer's: the run sends no
    more, and counts it once (the alarm's metric, named when email was the one channel); the requests stay due,
    and go once the account is put right."""
    from chalicelib.observability import logger, metrics

    metrics.add_metric(name=MAIL_SETUP_METRIC, unit="Count", value=1)
    logger.error(
        f"{service} refuses every review {channel}; they wait for its set-up",
        extra={"channel": channel, "refusal": refusal},
    )


def parked_items(table: Table, shop_id: str) -> list[dict[str, Any]]:
    """The shop's parked items, the most recently parked first (one page), as the console lists them."""
    return parked_items_page(table, shop_id)[0]


def parked_items_page(
    table: Table, shop_id: str, cursor: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the shop's parked items, and where the next page starts (None: no more)."""
    items, last = parked_page(table, shop_id, cursor=cursor)
    shown = []
    for item in items:
        entry = index_entry(item)
        stamp, job, ref = keys.parked_entry_parts(entry)
        kind = KINDS.get(job)
        shown.append(
            {
                "entry": entry,
                "job": job,
                "name": kind.name if kind else job,
                "which": kind.which(item) if kind else ref,
                "reason": str(item.get(REASON) or ""),
                "attempts": int(item.get(kind.attempts_name if kind else ATTEMPTS) or 0),
                "parked_at": str(item.get(FAILED_AT) or stamp[:19] + "Z"),
            }
        )
    return shown, last


def retry(table: Table, shop_id: str, entry: str, now: datetime | None = None) -> bool:
    """Put one parked item back on its due partition, due now, with a fresh run of attempts; False when it is
    not parked under `entry` (retried already, erased, never there)."""
    _, job, _ = keys.parked_entry_parts(entry)
    kind = KINDS.get(job)
    item = parked_entry(table, shop_id, entry) if kind else None
    if kind is None or item is None:
        return False
    due, sets, removes = kind.due_again(item, now or clock.now())
    return put_back_item(table, item, shop_id, entry, due, kind.attempts_name, sets, removes)
