"""Outbound HTTP that cannot be aimed inward: the host resolved once, every address public, that address pinned.

A request resolves the URL's host once, refuses it unless every address is public (loopback too in a local
run), and connects to that very address (TLS still verifies the name): a second lookup cannot rebind it to an
internal address, and redirects are never followed. Outbound events (outbound.py) post through it and share
cards (photos/cards.py) fetch product pictures through it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from chalicelib import errors

if TYPE_CHECKING:
    import http.client

# (host, port) -> the addresses it resolves to; tests pass their own instead of asking DNS.
Resolver = Callable[[str, int], Iterable[str]]

TIMEOUT_SECONDS = 5
# Not reachable from the internet, yet not all flagged by Python 3.11's ipaddress: shared address space
# (CGNAT), IETF protocol assignments, benchmarking, and NAT64 prefixes that can embed any IPv4 address.
NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in ("100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "64:ff9b::/96", "64:ff9b:1::/48")
)


@dataclass(frozen=True)
class Destination:
    """Where one request goes: the URL's name (for Host, SNI and the certificate) and the address to dial."""

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


@lru_cache(maxsize=1)
def pinned_connection_class() -> Callable[[Destination, float], http.client.HTTPConnection]:
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
    connection = pinned_connection_class()(destination, TIMEOUT_SECONDS)
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


@dataclass(frozen=True)
class Answer:
    """What a server answered one request: its status and at most the bytes asked for."""

    status: int
    body: bytes
    retry_after: str | None = None  # the answer's Retry-After header, when it sent one (a 429, a 503)


def exchange(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None = None,
    max_bytes: int,
    allow_loopback: bool = False,
    resolve: Resolver | None = None,
) -> Answer | None:
    """One request to a public URL (a store's API), as a delivery posts: the address checked and pinned, a short
    timeout, no redirects, at most `max_bytes` read. ValidationFailed when the URL is not allowed; None when
    nothing usable came back (refused, reset, timed out, a certificate for another name, an answer too large)."""
    import http.client

    destination = resolve_destination(url, allow_loopback, resolve)
    connection = pinned_connection_class()(destination, TIMEOUT_SECONDS)
    try:
        connection.request(method, destination.target, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read(max_bytes + 1)
        if len(data) > max_bytes:
            return None
        return Answer(int(response.status), data, response.getheader("Retry-After"))
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        connection.close()
