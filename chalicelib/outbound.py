"""Outbound events to the owner's own systems, signed per Standard Webhooks, retried with backoff.

Events are written as items in the same transaction as the fact they report (a transactional
outbox), so an event exists exactly when its fact does. The due work delivers them; a delivery that
fails is tried again with exponential backoff (chalicelib/backoff.py), then parked for the owner to see and retry,
and the receiver deduplicates by `webhook-id` as the spec asks.

A delivery resolves the receiver's host once, refuses it unless every address is public, and connects
to that very address (TLS still verifies the name): a second lookup cannot rebind it to an internal
address, and redirects are never followed.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.backoff import OUTBOUND_EVENTS
from chalicelib.budget import Budget
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    import http.client

    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

# (host, port) -> the addresses it resolves to; tests pass their own instead of asking DNS.
Resolver = Callable[[str, int], Iterable[str]]

MAX_ATTEMPTS = OUTBOUND_EVENTS.attempts  # deliveries tried, the last of them parking the event
KEEP_SECONDS = keys.OUTBOUND_EVENT_TTL_SECONDS
TIMEOUT_SECONDS = 5
# Not reachable from the internet, yet not all flagged by Python 3.11's ipaddress: shared address space
# (CGNAT), IETF protocol assignments, benchmarking, and NAT64 prefixes that can embed any IPv4 address.
NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in ("100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "64:ff9b::/96", "64:ff9b:1::/48")
)


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
        "expires_at": clock.epoch() + KEEP_SECONDS,
    }
    return table.put_op(item)


@dataclass(frozen=True)
class Destination:
    """Where one delivery goes: the URL's name (for Host, SNI and the certificate) and the address to dial."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, ASCII
    addresses: tuple[str, ...]  # every address the name resolved to, each checked; dialled in turn


def resolve_addresses(host: str, port: int) -> list[str]:
    """The system resolver; the module's seam for tests (never a real lookup in tests)."""
    import socket

    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _unwrapped(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A global unicast address: no private, loopback, link-local, multicast, reserved or shared space."""
    address = _unwrapped(address)
    if (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or any(address in network for network in NOT_PUBLIC if network.version == address.version)
    ):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return False
        # 6to4 and Teredo carry an IPv4 address that a relay would reach for us.
        embedded = [address.sixtofour, *(address.teredo or ())]
        return all(is_public(inner) for inner in embedded if inner is not None)
    return True


def resolve_destination(url: str, allow_loopback: bool, resolve: Resolver | None = None) -> Destination:
    """Resolve the host once and pin one of its addresses; every address must be public (or, in a local
    run, all loopback, where plain http is allowed too). Raises ValidationFailed otherwise."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise errors.ValidationFailed("url must be an absolute http(s) URL without credentials", code="invalid_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise errors.ValidationFailed("url has an invalid port", code="invalid_url") from None
    if parts.scheme != "https" and not allow_loopback:
        raise errors.ValidationFailed("url must be https", code="invalid_url")
    try:
        found = [ipaddress.ip_address(host)]  # a literal address needs no lookup
    except ValueError:
        try:
            found = [ipaddress.ip_address(a) for a in (resolve or resolve_addresses)(host, port)]
        except (OSError, UnicodeError, ValueError):
            raise errors.ValidationFailed(f"cannot resolve {host}", code="invalid_url") from None
    addresses = [_unwrapped(a) for a in found]
    if not addresses:
        raise errors.ValidationFailed(f"cannot resolve {host}", code="invalid_url")
    local = allow_loopback and all(a.is_loopback for a in addresses)
    if not local:
        if parts.scheme != "https":
            raise errors.ValidationFailed("url must be https", code="invalid_url")
        if not all(is_public(a) for a in addresses):
            raise errors.ValidationFailed("url must point at a public address", code="invalid_url")
    from urllib.parse import quote

    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    # A path in any script is sent percent-encoded; escapes already there are kept.
    target = quote(target, safe="/?=&%:@!$'()*+,;~-._")
    return Destination(parts.scheme, host, port, target, tuple(str(a) for a in addresses))


def check_url(url: str, allow_loopback: bool, resolve: Resolver | None = None) -> str:
    """Only https to a public host (http to loopback in development): no requests into private networks."""
    resolve_destination(url, allow_loopback, resolve)
    return url


def register(table: Table, shop: Shop, url: str, events: list[str], resolve: Resolver | None = None) -> dict[str, Any]:
    from dataclasses import replace

    from chalicelib.config import get_settings
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


@lru_cache(maxsize=1)
def _pinned_connection_class() -> Callable[[Destination, float], http.client.HTTPConnection]:
    """Built on first use: http.client and ssl cost ~25 ms to import, and most requests send nothing."""
    import http.client
    import socket
    import ssl

    class PinnedConnection(http.client.HTTPConnection):
        """Talks to the URL's host by name (Host header, SNI, certificate check) over a TCP connection to
        the address resolved and checked before: the name is never looked up again."""

        def __init__(self, destination: Destination, timeout: float) -> None:
            super().__init__(destination.host, destination.port, timeout=timeout)
            self.addresses = destination.addresses
            self.tls = ssl.create_default_context() if destination.scheme == "https" else None
            self.default_port = 443 if self.tls else 80  # no ":443" in the Host header

        def connect(self) -> None:
            failure: OSError | None = None
            for address in self.addresses:  # one dead address must not fail a delivery the others can take
                try:
                    sock = socket.create_connection((address, self.port), self.timeout)
                    break
                except OSError as exc:
                    failure = exc
            else:
                raise failure or OSError("no address to connect to")
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host) if self.tls else sock

    return PinnedConnection


def fetch_public(url: str, max_bytes: int, allow_loopback: bool = False) -> bytes | None:
    """GET a public URL once (no redirects), as a delivery posts: the address checked and pinned, a short
    timeout, at most `max_bytes` read. None when the URL is not allowed, fails or answers anything but 200."""
    import http.client

    try:
        destination = resolve_destination(url, allow_loopback)
    except errors.ValidationFailed:
        return None
    connection = _pinned_connection_class()(destination, TIMEOUT_SECONDS)
    try:
        connection.request("GET", destination.target, headers={"User-Agent": "proofloop-cards/1"})
        response = connection.getresponse()
        if response.status != 200:
            return None
        body = response.read(max_bytes + 1)
        return body if len(body) <= max_bytes else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        connection.close()


def _post(destination: Destination, secret: str, event_id: str, body: bytes) -> int:
    """POST once to the pinned address; the status (a 3xx too: redirects are not followed), 0 if none."""
    import http.client

    from chalicelib.webhooks.signatures import standard_signature

    stamp = str(int(time.time()))  # the receiver checks it against its own clock: real time, always
    connection = _pinned_connection_class()(destination, TIMEOUT_SECONDS)
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
    from chalicelib.store.shop_records import Shop

    budget = budget or Budget.unlimited()
    moment = now or clock.now()
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
                table.update(key, "SET delivered_at = :now, last_status = :s", values={":now": cutoff, ":s": status})
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
