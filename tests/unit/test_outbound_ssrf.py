"""Outbound deliveries reach only the public address their name resolved to, once, and never redirect."""

from __future__ import annotations

import socket
import ssl
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib import errors, safe_http
from chalicelib.outbound import MAX_ATTEMPTS, deliver_due, event_op
from chalicelib.safe_http import check_url
from chalicelib.store import keys

ALL = ["review.published"]
PUBLIC = "8.8.8.8"  # never dialled: the connection guard below refuses anything off loopback
INTERNAL = [
    "127.0.0.1",
    "::1",
    "169.254.169.254",
    "10.0.0.1",
    "192.168.1.10",
    "172.16.5.4",
    "100.64.0.1",
    "fd00::1",
    "fe80::1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "0.0.0.0",  # noqa: S104 - an address under test, not a bind
    "224.0.0.1",
]
_real_getaddrinfo = socket.getaddrinfo
_real_create_connection = socket.create_connection


class FakeDns:
    """Answers for names, in order (the last one repeats); every lookup is noted."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []

    def answer(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        queue = self.answers.get(host)
        if not queue:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not in the fake DNS")
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> FakeDns:
    """The module's resolver is the fake, and so is the system's (no real lookup, whatever code asks)."""
    fake = FakeDns()

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        try:
            return _real_getaddrinfo(host, port, *args, flags=socket.AI_NUMERICHOST)
        except socket.gaierror:
            pass
        answers = []
        for address in fake(host, int(port or 0)):
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, int(port or 0), 0, 0) if family == socket.AF_INET6 else (address, int(port or 0))
            answers.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
        return answers

    monkeypatch.setattr(safe_http, "resolve_addresses", fake, raising=False)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


@pytest.fixture(autouse=True)
def dialled(monkeypatch) -> list[str]:
    """Every address a connection was opened to; anything off loopback is refused, never sent."""
    seen: list[str] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.append(address[0])
        host = address[0]
        if host not in ("::1", "localhost") and not host.startswith("127."):
            raise ConnectionRefusedError(f"test guard: no traffic to {host}")
        return _real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return seen


@pytest.fixture(autouse=True)
def local_run(monkeypatch) -> None:
    """A local run, whatever decides it: loopback receivers are allowed."""
    from chalicelib.config import Settings

    monkeypatch.setattr(Settings, "is_dev", property(lambda self: True))


@pytest.fixture
def deployed(monkeypatch, local_run) -> None:
    """A deployed function, whatever decides it: loopback is not allowed."""
    from chalicelib.config import Settings

    monkeypatch.setattr(Settings, "is_dev", property(lambda self: False))


class Server:
    """A loopback HTTP(S) server that notes every request (any method) and answers with `status`."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, status: int = 204, location: str = "", tls: Any = None
    ) -> None:
        self.requests: list[dict[str, Any]] = []
        self.server_names: list[str | None] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _note(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                outer.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length) if length else b"",
                    }
                )
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = _note

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        if tls is not None:
            tls.sni_callback = lambda sock, name, context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers():
    started: list[Server] = []

    def start(**kwargs: Any) -> Server:
        started.append(Server(**kwargs))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture
def shop(api, table):
    body, key = api.create_shop()
    return {"shop_id": body["shop_id"], "key": key}


def put_endpoint(api, shop, url):
    return api.request("PUT", f"/shops/{shop['shop_id']}/webhook-endpoint", {"url": url, "events": ALL}, shop["key"])


def publish_event(table, shop_id: str) -> str:
    """An outbound event in the outbox, as a published review would write it."""
    from chalicelib.store.shop_records import Shop

    shop = Shop.from_item(table.get(keys.shop_key(shop_id)))
    op = event_op(table, shop, "review.published", {"review_id": "r-1", "rating": 5})
    assert op is not None
    table.transact([op])
    return op["Put"]["Item"]["event_id"]["S"]


def event(table, shop_id: str, event_id: str) -> dict[str, Any]:
    return table.get(keys.outbound_event_key(shop_id, event_id))


def assert_rescheduled(item: dict[str, Any], attempts: int, status: int) -> None:
    assert int(item["attempts"]) == attempts and int(item["last_status"]) == status
    assert item.get(keys.GSI1PK) and item.get("next_attempt_at") and "delivered_at" not in item


# --- registration -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [f"https://{a}/h" if ":" not in a else f"https://[{a}]/h" for a in INTERNAL]
    + [
        "https://[64:ff9b::a00:1]/h",  # NAT64 of 10.0.0.1
        "https://[2002:a00:1::1]/h",  # 6to4 of 10.0.0.1
        "https://[fec0::1]/h",  # site-local
        "https://[ff02::1]/h",  # multicast
        "https://198.18.0.1/h",  # benchmarking
    ],
)
def test_an_internal_address_is_refused_outside_a_local_run(url):
    with pytest.raises(errors.ValidationFailed):
        check_url(url, allow_loopback=False)


@pytest.mark.parametrize("address", INTERNAL)
def test_a_name_that_resolves_to_an_internal_address_cannot_be_registered(api, shop, dns, deployed, address):
    # Given a name that resolves to an internal address
    dns.answer("hooks.example", [address])
    # When the owner registers it, Then it is refused and nothing is stored
    response = put_endpoint(api, shop, "https://hooks.example/h")
    assert response.status_code == 422, response.body
    assert response.json["error"]["code"] == "invalid_url"
    assert api.request("GET", f"/shops/{shop['shop_id']}/webhook-endpoint", token=shop["key"]).status_code == 404


def test_a_name_with_one_internal_address_among_public_ones_cannot_be_registered(api, shop, dns, deployed):
    dns.answer("hooks.example", [PUBLIC, "10.0.0.1"])
    assert put_endpoint(api, shop, "https://hooks.example/h").status_code == 422


def test_a_public_name_can_be_registered_without_connecting(api, shop, dns, dialled, deployed):
    dns.answer("hooks.example", [PUBLIC, "2606:4700:4700::1111"])
    assert put_endpoint(api, shop, "https://hooks.example/h").status_code == 200
    assert dialled == []


def test_loopback_is_allowed_only_in_a_local_run(api, shop, dns, request):
    dns.answer("hooks.example", ["127.0.0.1"])
    assert put_endpoint(api, shop, "http://hooks.example:9/h").status_code == 200
    request.getfixturevalue("deployed")
    assert put_endpoint(api, shop, "http://hooks.example:9/h").status_code == 422
    assert put_endpoint(api, shop, "https://hooks.example:9/h").status_code == 422


# --- delivery -----------------------------------------------------------------------------------------


def test_a_name_rebound_to_an_internal_address_after_registration_is_never_dialled(
    api, shop, table, dns, dialled, deployed, servers
):
    # Given an endpoint whose name was public when it was registered
    internal = servers()
    dns.answer("hooks.example", [PUBLIC], ["127.0.0.1"])
    assert put_endpoint(api, shop, f"https://hooks.example:{internal.port}/h").status_code == 200
    event_id = publish_event(table, shop["shop_id"])
    # When the name answers with an internal address at delivery time
    assert deliver_due(table) == 0
    # Then nothing is dialled, and the attempt counts as failed and comes back later
    assert dialled == [] and internal.requests == []
    assert_rescheduled(event(table, shop["shop_id"], event_id), attempts=1, status=0)


def test_the_connection_goes_to_the_address_resolved_once(api, shop, table, dns, dialled, servers):
    # Given a name that answers 127.0.0.1 first and another loopback address (a different server) after
    receiver = servers()
    other = servers(host="127.0.0.2", port=receiver.port)
    dns.answer("hooks.example", ["127.0.0.1"])
    url = f"http://hooks.example:{receiver.port}/hooks/proofloop?v=1"
    assert put_endpoint(api, shop, url).status_code == 200
    event_id = publish_event(table, shop["shop_id"])
    dns.lookups.clear()
    dns.answer("hooks.example", ["127.0.0.1"], ["127.0.0.2"])
    # When the event is delivered (the resolver passed in, as a caller may)
    assert deliver_due(table, resolve=dns) == 1
    # Then the name was looked up once, and the request went to that address, by name
    assert dns.lookups == ["hooks.example"] and dialled == ["127.0.0.1"]
    [request] = receiver.requests
    assert request["headers"]["host"] == f"hooks.example:{receiver.port}"
    assert request["path"] == "/hooks/proofloop?v=1" and request["headers"]["webhook-id"] == event_id
    assert other.requests == []


def test_a_dead_address_of_the_name_falls_to_the_next_checked_one(api, shop, table, dns, dialled, servers):
    # Given a name whose first address has nothing listening and whose second is the receiver
    receiver = servers()
    dns.answer("hooks.example", ["127.0.0.3", "127.0.0.1"])
    assert put_endpoint(api, shop, f"http://hooks.example:{receiver.port}/h").status_code == 200
    publish_event(table, shop["shop_id"])
    # When the event is delivered
    assert deliver_due(table, resolve=dns) == 1
    # Then both checked addresses were tried in turn, and the receiver got it
    assert dialled == ["127.0.0.3", "127.0.0.1"] and len(receiver.requests) == 1


def test_a_path_in_any_script_is_sent_percent_encoded_not_a_crash(api, shop, table, servers):
    # Given an endpoint whose path is not ASCII
    receiver = servers()
    assert put_endpoint(api, shop, f"http://127.0.0.1:{receiver.port}/hooks/bestellungen-\u00fc").status_code == 200
    publish_event(table, shop["shop_id"])
    # When the event is delivered, it arrives at the percent-encoded path
    assert deliver_due(table) == 1
    assert receiver.requests[0]["path"] == "/hooks/bestellungen-%C3%BC"


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(api, shop, table, dns, servers):
    # Given a receiver that answers 302 towards another (internal) server
    inside = servers()
    receiver = servers(status=302, location=f"http://127.0.0.1:{inside.port}/admin")
    assert put_endpoint(api, shop, f"http://127.0.0.1:{receiver.port}/h").status_code == 200
    event_id = publish_event(table, shop["shop_id"])
    now = datetime.now(timezone.utc)
    # When the event is delivered
    assert deliver_due(table, now=now) == 0
    # Then the redirect was not followed, and the attempt failed and is scheduled again with backoff
    assert len(receiver.requests) == 1 and inside.requests == []
    assert_rescheduled(event(table, shop["shop_id"], event_id), attempts=1, status=302)
    assert deliver_due(table, now=now) == 0 and len(receiver.requests) == 1  # not due yet
    assert deliver_due(table, now=now + timedelta(seconds=31)) == 0
    assert len(receiver.requests) == 2 and inside.requests == []


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    """A self-signed certificate for `name` (also its own CA) and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # OpenSSL checks the dates against the machine's own clock, which a test's moved clock does not move.
        .not_valid_before(now - timedelta(days=5 * 365))
        .not_valid_after(now + timedelta(days=5 * 365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


def _tls_server(servers, tmp_path, monkeypatch, served_name: str) -> Server:
    """An HTTPS server on 127.0.0.1 showing a certificate for `served_name`, which the client trusts."""
    cert, key = _certificate(tmp_path, served_name)
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # the client's default context trusts this one CA only
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return servers(tls=context)


def test_tls_checks_the_certificate_against_the_name_while_dialling_the_pinned_address(
    api, shop, table, dns, dialled, servers, tmp_path, monkeypatch
):
    # Given an HTTPS receiver on 127.0.0.1 whose certificate is for hooks.example
    receiver = _tls_server(servers, tmp_path, monkeypatch, "hooks.example")
    dns.answer("hooks.example", ["127.0.0.1"])
    assert put_endpoint(api, shop, f"https://hooks.example:{receiver.port}/h").status_code == 200
    publish_event(table, shop["shop_id"])
    # When the event is delivered
    assert deliver_due(table) == 1
    # Then the address was dialled, and the name went in SNI (and was verified) and in Host
    assert dialled == ["127.0.0.1"] and receiver.server_names == ["hooks.example"]
    assert receiver.requests[0]["headers"]["host"] == f"hooks.example:{receiver.port}"


def test_a_certificate_for_another_name_fails_the_attempt(api, shop, table, dns, servers, tmp_path, monkeypatch):
    receiver = _tls_server(servers, tmp_path, monkeypatch, "other.example")
    dns.answer("hooks.example", ["127.0.0.1"])
    assert put_endpoint(api, shop, f"https://hooks.example:{receiver.port}/h").status_code == 200
    event_id = publish_event(table, shop["shop_id"])
    assert deliver_due(table) == 0
    assert receiver.requests == []
    assert_rescheduled(event(table, shop["shop_id"], event_id), attempts=1, status=0)


def test_an_event_that_exhausts_its_attempts_emits_the_alarm_metric(api, shop, table, servers, monkeypatch):
    from chalicelib.observability import logger, metrics

    # Given a receiver that always fails
    receiver = servers(status=500)
    assert put_endpoint(api, shop, f"http://127.0.0.1:{receiver.port}/h").status_code == 200
    event_id = publish_event(table, shop["shop_id"])
    warnings: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(logger, "warning", lambda message, **kw: warnings.append((message, kw.get("extra", {}))))
    metrics.clear_metrics()
    # When every attempt has been made
    moment = datetime.now(timezone.utc)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert "DueItemParked" not in metrics.metric_set
        deliver_due(table, now=moment)
        moment += timedelta(hours=7)
        assert int(event(table, shop["shop_id"], event_id)["attempts"]) == attempt
    # Then the event is given up, once, with the metric the alarm watches and a warning naming it
    try:
        assert event(table, shop["shop_id"], event_id)["failed_at"]
        assert metrics.metric_set["DueItemParked"]["Unit"] == "Count"
        assert metrics.metric_set["DueItemParked"]["Value"] == [1.0]
    finally:
        metrics.clear_metrics()
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert [extra for _, extra in warnings if extra.get("event_id") == event_id] == [
        {"shop_id": shop["shop_id"], "event_id": event_id, "last_status": 500}
    ]
