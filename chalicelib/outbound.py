"""Outbound events to the owner's own systems, signed per Standard Webhooks, retried with backoff.

Events are written as items in the same transaction as the fact they report (a transactional
outbox), so an event exists exactly when its fact does. The due work delivers them; a delivery that
fails is tried again with exponential backoff, up to MAX_ATTEMPTS, and the receiver deduplicates by
`webhook-id` as the spec asks.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.budget import Budget
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.shops import Shop
    from chalicelib.store.table import Table

EVENT_TYPES = ("review.published", "share.recorded", "referral.confirmed", "referral.reversed")
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
KEEP_SECONDS = 7 * 86400


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def wants(shop: Shop, event_type: str) -> bool:
    return bool(shop.outbound and event_type in shop.outbound.get("events", ()))


def event_op(table: Table, shop: Shop, event_type: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The Put of one outbound event, for the fact's own transaction; None if the owner did not ask."""
    if not wants(shop, event_type):
        return None
    now = datetime.now(timezone.utc)
    event_id = f"msg_{uuid.uuid4().hex}"
    item = {
        **keys.outbound_event_key(shop.shop_id, event_id),
        **keys.outbox_keys(event_id, _iso(now)),
        "type": "outbound_event",
        "shop_id": shop.shop_id,
        "event_id": event_id,
        "event_type": event_type,
        "payload": json.dumps(
            {"type": event_type, "timestamp": _iso(now), "data": data}, default=str, separators=(",", ":")
        ),
        "attempts": 0,
        "created_at": _iso(now),
        "expires_at": int(time.time()) + KEEP_SECONDS,
    }
    return table.put_op(item)


def check_url(url: str, allow_loopback: bool) -> str:
    """Only https to a public host (http to loopback in development): no requests into private networks."""
    import ipaddress
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or parts.username or parts.password:
        raise errors.ValidationFailed("url must be an absolute http(s) URL without credentials", code="invalid_url")
    try:
        infos = socket.getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError):
        raise errors.ValidationFailed(f"cannot resolve {host}", code="invalid_url") from None
    addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    if allow_loopback and all(a.is_loopback for a in addresses):
        if parts.scheme not in ("http", "https"):
            raise errors.ValidationFailed("url must be http(s)", code="invalid_url")
        return url
    if parts.scheme != "https":
        raise errors.ValidationFailed("url must be https", code="invalid_url")
    if any(not a.is_global for a in addresses):
        raise errors.ValidationFailed("url must point at a public address", code="invalid_url")
    return url


def register(table: Table, shop: Shop, url: str, events: list[str]) -> dict[str, Any]:
    from dataclasses import replace

    from chalicelib.config import get_settings
    from chalicelib.store.shops import replace_shop

    check_url(url, allow_loopback=get_settings().is_dev)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    outbound = {"url": url, "events": sorted(set(events)), "secret": secret}
    replace_shop(table, shop, replace(shop, outbound=outbound, version=shop.version + 1))
    return {"url": url, "events": outbound["events"], "secret": secret}


def unregister(table: Table, shop: Shop) -> None:
    from dataclasses import replace

    from chalicelib.store.shops import replace_shop

    replace_shop(table, shop, replace(shop, outbound=None, version=shop.version + 1))


def _post(url: str, secret: str, event_id: str, body: bytes) -> int:
    import urllib.request

    from chalicelib.webhooks.signatures import standard_signature

    stamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - check_url allowed only http(s)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "proofloop-webhooks/1",
            "webhook-id": event_id,
            "webhook-timestamp": stamp,
            "webhook-signature": standard_signature(secret, event_id, stamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, TimeoutError, OSError):
        return 0


def deliver_due(table: Table, now: datetime | None = None, limit: int = 200, budget: Budget | None = None) -> int:
    """Deliver every due event once; failures come back later with backoff. Returns deliveries made."""
    from chalicelib.config import get_settings
    from chalicelib.store.shops import Shop

    budget = budget or Budget.unlimited()
    moment = now or datetime.now(timezone.utc)
    cutoff = _iso(moment)
    delivered = 0
    shops: dict[str, Shop | None] = {}
    for shard in range(keys.OUTBOX_SHARDS):
        due, _ = table.query(keys.outbox_partition(shard), index=keys.GSI1, sk_between=("0", cutoff + "~"), limit=limit)
        for event in due:
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
                table.update(
                    key,
                    "SET attempts = :a REMOVE GSI1PK, GSI1SK",
                    values={":a": attempts, ":was": event["attempts"]},
                    condition="attempts = :was",
                )
            except ConditionFailed:
                continue
            try:
                check_url(shop.outbound["url"], allow_loopback=get_settings().is_dev)
                status = _post(
                    shop.outbound["url"], shop.outbound["secret"], event["event_id"], event["payload"].encode()
                )
            except errors.ProofloopError:
                status = 0
            if 200 <= status < 300:
                table.update(key, "SET delivered_at = :now, last_status = :s", values={":now": cutoff, ":s": status})
                delivered += 1
            elif attempts < MAX_ATTEMPTS:
                retry_at = _iso(moment + timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1]))
                retry = keys.outbox_keys(event["event_id"], retry_at)
                table.update(
                    key,
                    "SET GSI1PK = :p, GSI1SK = :s, last_status = :st, next_attempt_at = :t",
                    values={":p": retry[keys.GSI1PK], ":s": retry[keys.GSI1SK], ":st": status, ":t": retry_at},
                )
            else:
                table.update(key, "SET failed_at = :now, last_status = :st", values={":now": cutoff, ":st": status})
    return delivered
