"""Declared is enforced: the registry runs each operation's declared authorizer before its handler.

Every operation with auth is called without its credential and with wrong ones; each refusal must be the
status /openapi.json declares for that reason, the handler must not have run, and nothing may be stored.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import signing
from chalicelib.auth.csrf import csrf_token
from chalicelib.auth.sessions import COOKIE
from chalicelib.config import DEV_ADMIN_TOKEN
from chalicelib.endpoints.authorizers import AUTHORIZERS
from chalicelib.endpoints.registry import Authorizer, Operation
from chalicelib.reviews.tokens import review_token, unsubscribe_token
from chalicelib.router import load_all
from tests import signers
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body
from tests.unit.review_support import ReviewShop

FORM = "application/x-www-form-urlencoded"
OPERATIONS = load_all()  # the registry, every operation in it (requests load only their own)

# Operations anyone may call: a new operation is either here, on purpose, or declares an authorizer.
PUBLIC = {
    "health",
    "setup_page",
    "openapi_document",
    "product_reviews",
    "ratings_summary",
    "vote_review",
    "widget_script",
    "asset",
    "follow_share_link",
    "head_share_link",
    "share_card",
    "share_to_channel",
    "claim_friend_offer",  # checked by the program, the mailbox and the visitor
}


@dataclass
class Attempt:
    """One request that must be refused for `reason`."""

    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # None: the operation's sample body
    token: str = "not-a-signed-link"  # what a {token} in the path becomes


@dataclass
class World:
    """Shop A (the target, with a fulfilled order and a live dashboard session) and shop B."""

    api: Any
    shop: dict[str, Any]
    key: str
    other_key: str
    session: str

    @property
    def shop_id(self) -> str:
        return str(self.shop["shop_id"])

    @property
    def secret(self) -> str:
        return str(self.shop["webhook_secret"])


@pytest.fixture
def world(api, outbox) -> World:
    a = ReviewShop(api, outbox)
    a.fulfilled_order("o-1", "c-1")
    _, other_key = api.create_shop()
    signed_in = api.request(
        "POST",
        f"/shops/{a.shop_id}/dashboard/session",
        raw=urlencode({"api_key": a.api_key}).encode(),
        headers={"Content-Type": FORM},
    )
    assert signed_in.status_code == 303, signed_in.body
    cookie = signed_in.headers["Set-Cookie"]
    cookie = cookie[0] if isinstance(cookie, list) else cookie
    session = cookie.split(";", 1)[0].split("=", 1)[1]
    return World(api, a.shop, a.api_key, other_key, session)


WRONG_SECRET = "whsec_" + base64.b64encode(b"not-the-shop-secret-0123456789").decode()


# --- sample bodies: what each operation would store if it ran ------------------------------------------
def _json(body: Any) -> tuple[bytes, str]:
    return json.dumps(body).encode(), "application/json"


def _sample(world: World, op: Operation) -> tuple[bytes, str]:
    samples: dict[str, Callable[[], tuple[bytes, str]]] = {
        "create_shop": lambda: _json(shop_body()),
        "update_shop": lambda: _json({"name": "Taken over"}),
        "put_webhook_endpoint": lambda: _json({"url": "https://hooks.example.net/in", "events": ["review.published"]}),
        "reply_review": lambda: _json({"body": "Not yours to answer"}),
        "import_reviews": lambda: (
            (signers.FIXTURES / "judgeme_export.csv").read_bytes(),
            "text/csv",
        ),
        "upload_referral_codes": lambda: (b"code\nWELCOME-10\n", "text/csv"),
        "dashboard_moderate": lambda: (urlencode({"csrf": csrf_token(world.session), "body": "hi"}).encode(), FORM),
        "dashboard_bulk_moderate": lambda: (
            urlencode({"csrf": csrf_token(world.session), "action": "reject", "ids": "rv_none"}).encode(),
            FORM,
        ),
        "dashboard_sign_out": lambda: (urlencode({"csrf": csrf_token(world.session)}).encode(), FORM),
        "dashboard_sign_in": lambda: (b"api_key=", FORM),
        "dashboard_save_settings": lambda: (
            urlencode({"csrf": csrf_token(world.session), "name": "Taken over", "domains": "evil.example"}).encode(),
            FORM,
        ),
        "dashboard_webhook_secret": lambda: (
            urlencode({"csrf": csrf_token(world.session), "webhook_secret": "whsec_" + "A" * 40}).encode(),
            FORM,
        ),
        "dashboard_test_event": lambda: (urlencode({"csrf": csrf_token(world.session)}).encode(), FORM),
        "dashboard_send_test_email": lambda: (
            urlencode({"csrf": csrf_token(world.session), "to": "owner@trail.example"}).encode(),
            FORM,
        ),
        "dashboard_save_email_texts": lambda: (
            urlencode({"csrf": csrf_token(world.session), "language": "fr", "request_subject": "Taken over"}).encode(),
            FORM,
        ),
        "setup": lambda: (
            urlencode(
                {"shop_id": "grabbed", "name": "Grabbed", "platform": "generic", "domains": "grab.example"}
            ).encode(),
            FORM,
        ),
        "submit_review": lambda: _json({"product_id": "p-mug", "rating": 5, "title": "", "body": "Lovely"}),
        "unsubscribe": lambda: (b"List-Unsubscribe=One-Click", FORM),
    }
    return samples[op.name]() if op.name in samples else (b"", "")


# --- the wrong credentials of each kind ----------------------------------------------------------------
def _admin(world: World, op: Operation) -> list[Attempt]:
    return [
        Attempt("missing"),
        Attempt("invalid", {"Authorization": "Bearer not-the-admin-token"}),
        Attempt("invalid", {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}),  # this run has its own token
        Attempt("invalid", {"Authorization": f"Bearer {world.key}"}),  # an owner key is not the admin's
        Attempt("invalid", {"Authorization": "Basic YWRtaW46YWRtaW4="}),
    ]


def _owner(world: World, op: Operation) -> list[Attempt]:
    return [
        Attempt("missing"),
        Attempt("invalid", {"Authorization": "Bearer plk_made-up"}),
        Attempt("invalid", {"Authorization": f"Bearer {ADMIN_TOKEN}"}),  # the admin is not an owner
        Attempt("other_shop", {"Authorization": f"Bearer {world.other_key}"}),
    ]


def _admin_form(world: World, op: Operation) -> list[Attempt]:
    shop = {"shop_id": "grabbed", "name": "Grabbed", "platform": "generic", "domains": "grab.example"}

    def form(token: str) -> bytes:
        return urlencode({**shop, "admin_token": token}).encode()

    return [
        Attempt("missing", raw=form("")),
        Attempt("invalid", raw=form("not-the-admin-token")),
        Attempt("invalid", raw=form(DEV_ADMIN_TOKEN)),  # this run has its own token
        Attempt("invalid", raw=form(world.key)),  # an owner key is not the admin's
        Attempt("missing", {"Authorization": f"Bearer {ADMIN_TOKEN}"}, raw=form("")),  # the form's field, not a header
    ]


def _owner_form(world: World, op: Operation) -> list[Attempt]:
    def form(key: str) -> bytes:
        return urlencode({"api_key": key}).encode()

    return [
        Attempt("missing", raw=form("")),
        Attempt("invalid", raw=form("plk_made-up")),
        Attempt("other_shop", raw=form(world.other_key)),
    ]


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={token}"}


def _session_cookies(world: World) -> list[Attempt]:
    someone_elses = signing.sign("session", {"s": "another-shop", "g": 0, "n": "x"}, ttl_seconds=600)
    forged = signing._b64(b'{"g":0,"n":"x","s":"' + world.shop_id.encode() + b'"}') + ".AAAA"
    ended = signing.sign("session", {"s": world.shop_id, "g": 7, "n": "x"}, ttl_seconds=600)  # another generation
    expired = signing.sign("session", {"s": world.shop_id, "g": 0, "n": "x"}, ttl_seconds=-60)
    return [
        Attempt("missing"),
        Attempt("invalid", _cookie(forged)),
        Attempt("invalid", _cookie(someone_elses)),
        Attempt("invalid", _cookie(review_token(world.shop_id, "o-1", ["p-mug"]))),  # a token of another purpose
        Attempt("ended", _cookie(ended)),
        Attempt("ended", _cookie(expired)),
    ]


def _session(world: World, op: Operation) -> list[Attempt]:
    return _session_cookies(world)


def _session_form(world: World, op: Operation) -> list[Attempt]:
    stale = urlencode({"csrf": "0" * 64, "body": "hi"}).encode()
    other = urlencode({"csrf": csrf_token(world.session + "x"), "body": "hi"}).encode()
    return [
        *_session_cookies(world),
        Attempt("stale_form", _cookie(world.session), raw=stale),
        Attempt("stale_form", _cookie(world.session), raw=other),
        Attempt("stale_form", _cookie(world.session), raw=b"body=hi"),
    ]


def _shopify(world: World, op: Operation) -> list[Attempt]:
    body = json.dumps(signers.fixture("shopify_order.json")).encode()
    domain = world.shop["domains"][0]
    signed = signers.shopify_headers("orders/create", domain, world.secret, body)
    unsigned = {k: v for k, v in signed.items() if k != "X-Shopify-Hmac-Sha256"}
    return [
        Attempt("missing", unsigned, raw=body),
        Attempt("invalid", signers.shopify_headers("orders/create", domain, WRONG_SECRET, body), raw=body),
        Attempt("invalid", signed, raw=body.replace(b"}", b', "x": 1}', 1)),  # the body changed after signing
        Attempt(
            "unknown_shop", signers.shopify_headers("orders/create", "nobody.example.org", world.secret, body), raw=body
        ),
        Attempt("unknown_shop", {**unsigned, "X-Shopify-Shop-Domain": ""}, raw=body),
    ]


def _woocommerce(world: World, op: Operation) -> list[Attempt]:
    body = json.dumps(signers.fixture("woocommerce_order.json")).encode()
    signed = signers.woocommerce_headers("order.created", world.secret, body)
    return [
        Attempt("missing", {k: v for k, v in signed.items() if k != "X-WC-Webhook-Signature"}, raw=body),
        Attempt("invalid", signers.woocommerce_headers("order.created", WRONG_SECRET, body), raw=body),
        Attempt("invalid", signed, raw=body + b" "),
    ]


def _standard(world: World, op: Operation) -> list[Attempt]:
    body = json.dumps(signers.generic_event("order.created", "o-77")).encode()
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    return [
        Attempt("missing", {"Content-Type": "application/json"}, raw=body),
        Attempt("invalid", signers.standard_headers(WRONG_SECRET, body), raw=body),
        Attempt("stale", signers.standard_headers(world.secret, body, when=an_hour_ago), raw=body),
    ]


def _altered(token: str, old: bytes = b"o-1", new: bytes = b"o-2") -> str:
    """The token with its payload changed and its signature kept."""
    payload, mac = token.split(".")
    changed = signing._unb64(payload).replace(old, new)
    assert changed != signing._unb64(payload)
    return signing._b64(changed) + "." + mac


def _review_link(world: World, op: Operation) -> list[Attempt]:
    good = review_token(world.shop_id, "o-1", ["p-mug"])
    return [
        Attempt("missing", token="not-a-signed-link"),
        Attempt("invalid", token=_altered(good)),
        Attempt("invalid", token=unsubscribe_token(world.shop_id, "c-1")),  # signed, for another purpose
        Attempt("expired", token=review_token(world.shop_id, "o-1", ["p-mug"], days=-1)),
    ]


def _review_link_in_body(world: World, op: Operation) -> list[Attempt]:
    good = review_token(world.shop_id, "o-1", ["p-mug"])
    review = {"product_id": "p-mug", "rating": 5, "title": "", "body": "Lovely"}

    def with_token(token: Any) -> bytes:
        return json.dumps({**review, "token": token}).encode()

    json_type = {"Content-Type": "application/json"}
    return [
        Attempt("missing", json_type, raw=json.dumps(review).encode()),
        Attempt("missing", json_type, raw=with_token("")),
        Attempt("invalid", json_type, raw=with_token(_altered(good))),
        Attempt("invalid", json_type, raw=with_token(["not", "a", "token"])),
        Attempt("invalid", {"Content-Type": FORM}, raw=urlencode({**review, "token": "nonsense.token"}).encode()),
        Attempt("expired", json_type, raw=with_token(review_token(world.shop_id, "o-1", ["p-mug"], days=-1))),
    ]


def _unsubscribe_link(world: World, op: Operation) -> list[Attempt]:
    expired = signing.sign("unsubscribe", {"s": world.shop_id, "c": "c-1"}, ttl_seconds=-60)
    return [
        Attempt("missing", token="not-a-signed-link"),
        Attempt("invalid", token=review_token(world.shop_id, "o-1", ["p-mug"])),  # signed, for another purpose
        Attempt("invalid", token=_altered(unsubscribe_token(world.shop_id, "c-1"), b"c-1", b"c-2")),
        Attempt("expired", token=expired),
    ]


def _feed_link(world: World, op: Operation) -> list[Attempt]:
    old = signing.sign("feed", {"s": world.shop_id, "k": "a-key-issued-before"})  # the shop has none now
    return [
        Attempt("missing", token="not-a-signed-link"),
        Attempt("invalid", token=unsubscribe_token(world.shop_id, "c-1")),  # signed, for another purpose
        Attempt("invalid", token=_altered(old, b"a-key", b"b-key")),
        Attempt("revoked", token=old),
    ]


RECIPES: dict[str, Callable[[World, Operation], list[Attempt]]] = {
    "admin": _admin,
    "admin-form": _admin_form,
    "owner": _owner,
    "owner-form": _owner_form,
    "session": _session,
    "session-form": _session_form,
    "shopify-hmac": _shopify,
    "woocommerce-hmac": _woocommerce,
    "standard-webhooks": _standard,
    "review-link": _review_link,
    "review-link-in-body": _review_link_in_body,
    "unsubscribe-link": _unsubscribe_link,
    "feed-link": _feed_link,
}

AUTHENTICATED = sorted(name for name, op in OPERATIONS.items() if op.auth is not None)


def _path(op: Operation, world: World, token: str) -> str:
    values = {
        "shop_id": world.shop_id,
        "review_id": "rv_none",
        "action": "publish",
        "customer_id": "c-1",
        "section": "settings",
        "pool": "friend",
    }
    path = op.path.replace("{token}", token)
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def _stored(table: Any) -> list[str]:
    """Everything stored but the webhook health panel's refusal counters: a refused delivery is counted for
    the owner to see, on one item per shop, topic and hour (tests/unit/test_delivery_health.py bounds it)."""
    items = table.client.scan(TableName=table.name)["Items"]
    return sorted(json.dumps(item, sort_keys=True) for item in items if not _is_refusal_count(item))


def _is_refusal_count(item: dict[str, Any]) -> bool:
    return item["SK"]["S"].startswith("DELIVERY#") and "last_refused" in item and "last_accepted" not in item


def test_every_operation_is_public_on_purpose_or_has_an_authorizer():
    for name, op in OPERATIONS.items():
        if op.auth is None:
            assert name in PUBLIC, f"{name} declares no auth: declare its authorizer, or list it as public"
            continue
        assert isinstance(op.auth, Authorizer), name
        assert AUTHORIZERS.get(op.auth.name) is op.auth, f"{name}: {op.auth.name} is not a known authorizer"
        assert op.auth.name in RECIPES, f"{name}: no refusal test for auth {op.auth.name!r}; add one to RECIPES"
        assert {"missing", "invalid"} <= set(op.auth.refusals), name
    assert set(PUBLIC) <= set(OPERATIONS)


@pytest.mark.parametrize("kind", sorted(AUTHORIZERS))
def test_every_declared_refusal_of_an_authorizer_is_tried(kind, world):
    # Given any operation that declares this authorizer
    op = next((o for o in OPERATIONS.values() if o.auth is AUTHORIZERS[kind]), None)
    assert op is not None, f"authorizer {kind} is used by no operation"
    # Then the attempts cover exactly the reasons it declares
    assert {a.reason for a in RECIPES[kind](world, op)} == set(AUTHORIZERS[kind].refusals)


def test_openapi_documents_each_operations_auth_as_the_registry_enforces_it(api):
    spec = api.request("GET", "/openapi.json").json
    for op in OPERATIONS.values():
        entry = spec["paths"][op.path][op.method.lower()]
        if op.auth is None:
            assert "x-auth" not in entry and "security" not in entry, op.name
            continue
        assert entry["x-auth"]["kind"] == op.auth.name, op.name
        assert entry["x-auth"]["refusals"] == op.auth.refusals, op.name
        assert {str(s) for s in op.auth.refusals.values()} <= set(entry["responses"]), op.name
        assert ("security" in entry) == (op.auth.security is not None), op.name


@pytest.mark.parametrize("name", AUTHENTICATED)
def test_missing_or_wrong_credentials_are_refused_as_declared_and_store_nothing(name, world, table, monkeypatch):
    # Given the operation, its declaration in /openapi.json, and a handler that tells if it ran
    op = OPERATIONS[name]
    declared = world.api.request("GET", "/openapi.json").json["paths"][op.path][op.method.lower()]
    ran: list[str] = []

    def spy(*args: Any) -> Any:
        ran.append(name)
        return op.handler(*args)

    monkeypatch.setitem(OPERATIONS, name, replace(op, handler=spy))
    sample, media_type = _sample(world, op)
    assert op.auth is not None
    for attempt in RECIPES[op.auth.name](world, op):
        headers = {"Content-Type": media_type, **attempt.headers} if media_type else dict(attempt.headers)
        before = _stored(table)
        # When it is called without its credential, or with a wrong one
        response = world.api.request(
            op.method,
            _path(op, world, attempt.token),
            raw=sample if attempt.raw is None else attempt.raw,
            headers=headers,
        )
        # Then it answers the status declared for that reason, never ran, and stored nothing
        expected = declared["x-auth"]["refusals"][attempt.reason]
        assert response.status_code == expected, (attempt, response.status_code, response.body[:300])
        assert str(expected) in declared["responses"]
        assert ran == [], attempt
        assert _stored(table) == before, attempt


def test_the_session_is_checked_before_a_sign_out_ends_it(world, table):
    # Given a live session and a form without its CSRF token
    path = f"/shops/{world.shop_id}/dashboard/logout"
    headers = {"Content-Type": FORM, **_cookie(world.session)}
    # When the sign-out is posted without it, the session goes on; with it, the session ends
    assert world.api.request("POST", path, raw=b"csrf=", headers=headers).status_code == 403
    dashboard = f"/shops/{world.shop_id}/dashboard"
    assert 'name="csrf"' in world.api.request("GET", dashboard, headers=_cookie(world.session)).body.decode()
    done = world.api.request("POST", path, raw=f"csrf={csrf_token(world.session)}".encode(), headers=headers)
    assert done.status_code == 303
    after = world.api.request("GET", dashboard, headers=_cookie(world.session)).body.decode()
    assert 'name="api_key"' in after and 'name="csrf"' not in after


def test_woocommerce_ping_is_acknowledged_unsigned_and_stores_nothing(world, table):
    before = _stored(table)
    response = world.api.request(
        "POST", f"/webhooks/woocommerce/{world.shop_id}", raw=b"webhook_id=17", headers={"Content-Type": FORM}
    )
    assert response.status_code == 200 and response.json["reason"] == "ping"
    assert _stored(table) == before


def test_an_operation_without_auth_runs_its_handler_unchecked(api, monkeypatch):
    # Given a public operation whose handler answers whatever it is asked
    seen: list[Any] = []

    def handler(request: Any) -> Any:
        from chalicelib.http import json_response

        seen.append(request.bearer_token())
        return json_response({"ok": True})

    monkeypatch.setitem(OPERATIONS, "health", replace(OPERATIONS["health"], handler=handler))
    # When it is called with a credential that verifies nothing
    response = api.request("GET", "/health", token="anything-at-all")
    # Then nothing was checked: the handler ran with the request as sent
    assert response.status_code == 200 and seen == ["anything-at-all"]
