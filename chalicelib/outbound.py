"""Outbound events to the owner's own systems, signed per Standard Webhooks, retried with backoff.

Events are written as items in the same transaction as the fact they report (a transactional
outbox), so an event exists exactly when its fact does. The due work delivers them; a delivery that
fails is tried again with exponential backoff (chalicelib/backoff.py), then parked for the owner to see and retry,
and the receiver deduplicates by `webhook-id` as the spec asks.

A delivery goes through chalicelib/safe_http.py: the receiver's host resolved once, every address public,
that address pinned, redirects never followed.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.backoff import OUTBOUND_EVENTS
from chalicelib.budget import Budget
from chalicelib.store import keys
from chalicelib.store import outbound as outbound_events
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.safe_http import Destination, Resolver
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

MAX_ATTEMPTS = OUTBOUND_EVENTS.attempts  # deliveries tried, the last of them parking the event
KEEP_SECONDS = keys.OUTBOUND_EVENT_TTL_SECONDS


def _iso(value: datetime) -> str:
    return clock.iso(value)


def wants(shop: Shop, event_type: str) -> bool:
    return bool(shop.outbound and event_type in shop.outbound.get("events", ()))


def event_op(table: Table, shop: Shop, event_type: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The Put of one outbound event, for the fact's own transaction; None if the owner did not ask."""
    if not wants(shop, event_type):
        return None
    now = clock.now()
    event_id = f"msg_{uuid.uuid4().hex}"
    item = {
        **keys.outbound_event_key(shop.shop_id, event_id),
        "type": "outbound_event",
        "shop_id": shop.shop_id,
        "event_id": event_id,
        "event_type": event_type,
        "payload": json.dumps(
            {"type": event_type, "timestamp": _iso(now), "data": data}, default=str, separators=(",", ":")
        ),
        "attempts": 0,
        "created_at": _iso(now),
        "expires_at": clock.epoch() + KEEP_SECONDS,
    }
    return outbound_events.created_op(table, item, _iso(now))


def register(table: Table, shop: Shop, url: str, events: list[str], resolve: Resolver | None = None) -> dict[str, Any]:
    from dataclasses import replace

    from chalicelib.config import get_settings
    from chalicelib.safe_http import check_url
    from chalicelib.store.shop_records import replace_shop

    check_url(url, allow_loopback=get_settings().is_dev, resolve=resolve)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    outbound = {"url": url, "events": sorted(set(events)), "secret": secret}
    replace_shop(table, shop, replace(shop, outbound=outbound, version=shop.version + 1))
    return {"url": url, "events": outbound["events"], "secret": secret}


def unregister(table: Table, shop: Shop) -> None:
    from dataclasses import replace

    from chalicelib.store.shop_records import replace_shop

    replace_shop(table, shop, replace(shop, outbound=None, version=shop.version + 1))


def _post(destination: Destination, secret: str, event_id: str, body: bytes) -> int:
    """POST once to the pinned address; the status (a 3xx too: redirects are not followed), 0 if none."""
    import http.client

    from chalicelib.safe_http import TIMEOUT_SECONDS, pinned_connection_class
    from chalicelib.webhooks.signatures import standard_signature

    stamp = str(int(time.time()))  # the receiver checks it against its own clock: real time, always
    connection = pinned_connection_class()(destination, TIMEOUT_SECONDS)
    try:
        connection.request(
            "POST",
            destination.target,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "proofloop-webhooks/1",
                "webhook-id": event_id,
                "webhook-timestamp": stamp,
                "webhook-signature": standard_signature(secret, event_id, stamp, body),
            },
        )
        return int(connection.getresponse().status)  # the body is not read: only the status matters
    except (OSError, http.client.HTTPException, ValueError):  # ValueError: a header or URL http.client refuses
        return 0
    finally:
        connection.close()


def deliver_due(
    table: Table,
    now: datetime | None = None,
    limit: int = 200,
    budget: Budget | None = None,
    resolve: Resolver | None = None,
) -> int:
    """Deliver every due event once; failures come back later with backoff. Returns deliveries made."""
    from chalicelib.config import get_settings
    from chalicelib.observability import logger
    from chalicelib.safe_http import resolve_destination
    from chalicelib.store.shop_records import Shop

    budget = budget or Budget.unlimited()
    moment = now or clock.now()
    cutoff = _iso(moment)
    delivered = 0
    shops: dict[str, Shop | None] = {}
    for shard in range(keys.OUTBOX_SHARDS):
        for event in outbound_events.due_page(table, shard, cutoff, limit):
            if budget.spent():
                return delivered
            if event["shop_id"] not in shops:
                item = table.get(keys.shop_key(event["shop_id"]))
                shops[event["shop_id"]] = Shop.from_item(item) if item else None
            shop = shops[event["shop_id"]]
            key = keys.outbound_event_key(event["shop_id"], event["event_id"])
            if shop is None or not wants(shop, event["event_type"]) or not shop.outbound:
                table.delete(key)
                continue
            attempts = int(event["attempts"]) + 1
            # Claim the attempt first: an overlapping run skips it, so a due event goes out once per attempt.
            try:
                outbound_events.claim_attempt(table, event["shop_id"], event["event_id"], attempts, event["attempts"])
            except ConditionFailed:
                continue
            refusal = None
            try:
                destination = resolve_destination(shop.outbound["url"], get_settings().is_dev, resolve)
            except errors.ProofloopError as exc:
                logger.warning(
                    "outbound endpoint refused",
                    extra={"shop_id": event["shop_id"], "event_id": event["event_id"], "reason": exc.message},
                )
                status, refusal = 0, exc.message
            else:
                status = _post(destination, shop.outbound["secret"], event["event_id"], event["payload"].encode())
            if 200 <= status < 300:
                outbound_events.delivered(table, event["shop_id"], event["event_id"], cutoff, status)
                delivered += 1
            else:
                _not_delivered(table, event, attempts, status, refusal, moment)
    return delivered


def _not_delivered(
    table: Table, event: dict[str, Any], attempts: int, status: int, refusal: str | None, moment: datetime
) -> None:
    """Put a delivery that failed off with the backoff, or park the event at its last attempt: the owner sees it
    with the receiver's answer, and may retry it once the endpoint takes events again."""
    from chalicelib.observability import logger
    from chalicelib.parked import JOB_OUTBOUND_EVENTS, counted_parked
    from chalicelib.store.due import Change, Failure, apply, park, put_off

    if refusal:
        reason = f"the endpoint's address is refused: {refusal}"
    else:
        reason = f"the endpoint answered {status}" if status else "the endpoint did not answer"
    failure = Failure(attempts, reason, _iso(moment))
    key = keys.outbound_event_key(event["shop_id"], event["event_id"])
    wait = OUTBOUND_EVENTS.wait_after(attempts)
    # The claim took the event off the due index: only this run moves it now.
    change = Change(sets={"last_status": status})
    if wait is not None:
        retry_at = _iso(moment + wait)
        change.sets["next_attempt_at"] = retry_at
        put_off(change, keys.outbox_keys(event["event_id"], retry_at), failure, attempts_name="attempts")
        apply(table, key, change, {"shop_id": event["shop_id"], "event_id": event["event_id"]})
        return
    change.sets["failed_at"] = failure.at
    park(change, event["shop_id"], JOB_OUTBOUND_EVENTS, event["event_id"], failure, clock.stamp(moment), "attempts")
    if apply(table, key, change, {"shop_id": event["shop_id"], "event_id": event["event_id"]}):
        counted_parked(JOB_OUTBOUND_EVENTS, event["shop_id"], event["event_id"], reason)
        logger.warning(
            "outbound event given up after its last attempt",
            extra={"shop_id": event["shop_id"], "event_id": event["event_id"], "last_status": status},
        )
