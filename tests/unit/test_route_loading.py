"""A request loads the module that declares its operation and what that uses, nothing else (cold start).

The import checks run the Lambda handler (`app.app`) in a fresh interpreter and read its sys.modules.
The test first makes the same request on moto and records DynamoDB's answers; the child's client is
handed them back by botocore's before-call hook, so the child runs the whole route, answer included,
without a database and without importing moto. The table of which module serves which operation
(chalicelib/routes.py, read by chalicelib/router.py) is checked against a full import of every module it
names, and the import graph of chalicelib against cycles, so neither can drift.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chalicelib.router import ROUTES, load_all
from localdev.lambda_events import proxy_event
from tests import signers
from tests.unit.sharing_support import CHROME, Advocate
from tests.unit.webhook_support import SHOPIFY_SECRET, ShopifyStore

ROOT = Path(__file__).resolve().parents[2]
FORM = "application/x-www-form-urlencoded"

# The API's models: each capability's models.py (a console section's own <section>_models.py), their shared
# base, and the service's own answers.
API_MODELS = (
    "chalicelib.model_base",
    "chalicelib.endpoints.answers",
    *sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in (ROOT / "chalicelib").rglob("*models.py")
        if path.name == "models.py" or path.name.endswith("_models.py")
    ),
)
# What no route but its own may load: the owner API's models, OpenAPI, and pydantic itself (every
# pydantic-heavy module imports it), unless the route parses a payload.
OWNER_API = (*API_MODELS, "chalicelib.openapi")
# Babel (its locale data is large): only what formats a day or a number for a buyer loads it.
BABEL = ("babel", "babel.core", "babel.dates", "babel.numbers", "babel.localedata")
# Pillow and the modules that use it: loaded where photos are processed and cards drawn, never on a hot route.
IMAGING = ("PIL", "PIL.Image", "chalicelib.photos.imaging", "chalicelib.photos.cards")

CHILD = """
import json, sys

import boto3
from botocore.awsrequest import AWSResponse

given = json.loads(sys.stdin.read())
answers = given["answers"]


def answer(model, **_):
    name, status, parsed = answers.pop(0)
    assert name == model.name, f"the route called {model.name}; the recorded request called {name}"
    return AWSResponse("https://dynamodb.replay", status, {}, None), parsed


if given["replay"]:
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register_first("before-call.dynamodb", answer)


class Context:
    function_name = "proofloop"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:proofloop"
    aws_request_id = "test"

    def get_remaining_time_in_millis(self):
        return 29000


import app

response = app.app(given["event"], Context())
print(json.dumps({"status": response["statusCode"], "body": response["body"][:500], "unanswered": len(answers),
                  "modules": sorted(sys.modules)}))
"""


def _event(method: str, path: str, resource: str, headers: dict[str, str], body: bytes = b"") -> dict[str, Any]:
    return proxy_event(method, resource, path, headers, body or None, source_ip="198.51.100.7")


@contextmanager
def _recorded(table: Any) -> Iterator[list[tuple[str, int, Any]]]:
    """DynamoDB's answers to the calls made inside the block, in order."""
    answers: list[tuple[str, int, Any]] = []

    def record(http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
        answers.append((model.name, http_response.status_code, parsed))

    table.client.meta.events.register("after-call.dynamodb", record)
    try:
        yield answers
    finally:
        table.client.meta.events.unregister("after-call.dynamodb", record)


def _first_request(event: dict[str, Any], answers: list[Any] | None, **env: str) -> dict[str, Any]:
    """The Lambda handler's first request in a fresh interpreter: its answer and every module it loaded."""
    given = {"event": event, "answers": answers or [], "replay": answers is not None}
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps(given, default=str),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "POWERTOOLS_LOG_LEVEL": "CRITICAL", **env},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _endpoint_modules(modules: list[str]) -> set[str]:
    return {m for m in modules if m.startswith("chalicelib.endpoints.")}


def _loaded(found: dict[str, Any], names: tuple[str, ...]) -> set[str]:
    return set(names) & set(found["modules"])


def test_a_click_loads_the_sharing_endpoints_and_no_model(table, api, outbox):
    # Given a share code, and DynamoDB's answers to a friend's first click on it
    advocate = Advocate(api, outbox)
    headers = {"User-Agent": CHROME, "X-Forwarded-For": "198.51.100.7"}
    with _recorded(table) as answers:
        assert advocate.click().status_code == 302
    # When a fresh instance serves that click
    found = _first_request(_event("GET", f"/s/{advocate.code}", "/s/{code}", headers), answers)
    # Then it redirected, through the whole route, having loaded only the sharing endpoints
    assert found["status"] == 302 and found["unanswered"] == 0, found["body"]
    assert _endpoint_modules(found["modules"]) == {"chalicelib.endpoints.registry", "chalicelib.endpoints.sharing"}
    assert _loaded(found, (*OWNER_API, "pydantic", *BABEL, *IMAGING)) == set()
    # The browser was told from bots through the crawler list's small index, not the list's own package (545 KB)
    assert "chalicelib.sharing.crawlers" in found["modules"] and "crawleruseragents" not in found["modules"]


def test_a_friends_page_of_a_percent_offer_loads_no_babel(table, api, outbox):
    # Given a shop whose give-get program offers friends 15 % off an order of 40 or more, and DynamoDB's answers
    # to a German friend's first click on a share link
    advocate = Advocate(api, outbox)
    referral = {"enabled": True, "friend_offer": {"type": "percent", "value": "15", "minimum_order": "40"}}
    assert advocate.shop.owner("PATCH", "", {"settings": {"referral": referral}}).status_code == 200
    headers = {"User-Agent": CHROME, "X-Forwarded-For": "198.51.100.7", "Accept-Language": "de-DE,de;q=0.9"}
    with _recorded(table) as answers:
        assert advocate.click().status_code == 200
    # When a fresh instance serves that click
    found = _first_request(_event("GET", f"/s/{advocate.code}", "/s/{code}", headers), answers)
    # Then it answered the friend's page with the offer, having loaded no Babel: its numbers are whole
    assert found["status"] == 200 and found["unanswered"] == 0, found["body"]
    assert "15" in found["body"] and "chalicelib.referrals.page" in found["modules"]
    assert _loaded(found, (*OWNER_API, "pydantic", *BABEL, *IMAGING)) == set()


def test_a_share_card_drawn_already_is_served_without_loading_pillow(table, api, outbox):
    from urllib.parse import urlsplit

    # Given a share link whose card a crawler's first fetch drew, and DynamoDB's answers to a later fetch of it
    advocate = Advocate(api, outbox)
    page = advocate.click(ua="facebookexternalhit/1.1").body.decode()
    path = urlsplit(re.search(r'property="og:image" content="([^"]+)"', page).group(1)).path
    assert api.request("GET", path).status_code == 302
    table.recent.clear()  # a fresh instance has read no shop or product yet
    with _recorded(table) as answers:
        assert api.request("GET", path).status_code == 302
    # When a fresh instance serves that later fetch
    found = _first_request(_event("GET", path, "/s/{code}/card/{name}", {"User-Agent": "Twitterbot/1.0"}), answers)
    # Then it redirected to the stored card with the sharing endpoints alone: Pillow loads only to draw a card
    assert found["status"] == 302 and found["unanswered"] == 0, found["body"]
    assert _endpoint_modules(found["modules"]) == {"chalicelib.endpoints.registry", "chalicelib.endpoints.sharing"}
    assert _loaded(found, (*OWNER_API, "pydantic", *BABEL, "PIL", "chalicelib.photos.imaging")) == set()


def test_a_click_during_an_outage_answers_its_retry_page_without_loading_a_model(table):
    # Given a database that refuses the connection (a closed port, one attempt)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    headers = {"User-Agent": CHROME, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    event = _event("GET", "/s/pl-abcdefghj", "/s/{code}", headers)
    # When a fresh instance serves a click
    found = _first_request(event, None, DYNAMODB_ENDPOINT=closed, PROOFLOOP_DDB_MAX_ATTEMPTS="0")
    # Then the browser gets the page that retries, and nothing of the owner's API was loaded for it
    assert found["status"] == 503 and "Please try again" in found["body"]
    assert _endpoint_modules(found["modules"]) == {"chalicelib.endpoints.registry", "chalicelib.endpoints.sharing"}
    assert _loaded(found, (*OWNER_API, "pydantic", *BABEL)) == set()


def test_a_shopify_webhook_loads_its_payload_models_and_nothing_of_the_owner_api(table, api):
    # Given a Shopify store, and DynamoDB's answers to a signed order delivery
    store = ShopifyStore(api)
    raw = json.dumps(signers.fixture("shopify_order.json")).encode()
    headers = signers.shopify_headers("orders/create", store.domain, SHOPIFY_SECRET, raw)
    with _recorded(table) as answers:
        response = api.request("POST", "/webhooks/shopify", raw=raw, headers=headers)
        assert response.status_code == 200 and response.json["status"] == "accepted", response.body
    # When a fresh instance serves that delivery
    found = _first_request(_event("POST", "/webhooks/shopify", "/webhooks/shopify", headers, raw), answers)
    # Then it was verified, parsed and applied, with the webhook endpoints and Shopify's payload models only
    assert found["status"] == 200 and found["unanswered"] == 0, found["body"]
    assert json.loads(found["body"])["status"] == "accepted"
    assert _endpoint_modules(found["modules"]) == {
        "chalicelib.endpoints.registry",
        "chalicelib.endpoints.authorizers",
        "chalicelib.endpoints.webhooks",
    }
    assert _loaded(found, ("chalicelib.webhooks.shopify",)) == {"chalicelib.webhooks.shopify"}  # models it uses
    assert _loaded(found, (*OWNER_API, *BABEL)) == set()  # the buyer's language is read with plain code
    assert _loaded(found, IMAGING) == set()


def test_a_french_buyers_postpone_page_loads_babel_for_its_date(table, api, outbox):
    # Given a French buyer's request, sent, and DynamoDB's answers to their "Not arrived yet?" page
    from tests.unit.review_support import ReviewShop, review_token

    shop = ReviewShop(api, outbox)
    shop.fulfilled_order(locale="fr")
    shop.run_due()
    token = review_token(shop.emails()[0])
    headers = {"Accept": "text/html"}
    with _recorded(table) as answers:
        assert api.request("POST", f"/r/{token}/later", headers={"Content-Type": FORM}, raw=b"").status_code == 200
    # When a fresh instance serves it
    event = _event("POST", f"/r/{token}/later", "/r/{token}/later", {**headers, "Content-Type": FORM}, b"")
    found = _first_request(event, answers)
    # Then the page is French, with its day formatted by Babel: the one route kind that needs it loads it
    assert found["status"] == 200 and found["unanswered"] == 0, found["body"]
    assert "babel.dates" in found["modules"]
    assert _loaded(found, (*OWNER_API, *IMAGING)) == set()


def test_the_review_form_loads_no_image_library(table, api, outbox):
    from chalicelib.reviews.tokens import review_token
    from tests.unit.review_support import ReviewShop

    # Given a buyer's review link, and DynamoDB's answers to opening it
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order()
    token = review_token(shop.shop_id, "o-1", ["p-mug", "p-cap"])
    headers = {"Accept": "text/html"}
    with _recorded(table) as answers:
        assert api.request("GET", f"/r/{token}", headers=headers).status_code == 200
    # When a fresh instance serves the form
    found = _first_request(_event("GET", f"/r/{token}", "/r/{token}", headers), answers)
    # Then it showed the form (with its photo picker) and never loaded Pillow or the photo pipeline
    assert found["status"] == 200 and found["unanswered"] == 0, found["body"]
    assert _loaded(found, IMAGING) == set()


# --- the route table against what the modules declare --------------------------------------------------
def test_the_route_table_names_the_module_that_declares_each_operation():
    from chalicelib.openapi import all_operations

    # Every endpoint module imported (as OpenAPI does): each operation is declared where the table says
    declared = {name: op.handler.__module__ for name, op in all_operations().items()}
    assert declared == ROUTES
    assert load_all().keys() == declared.keys()


def test_the_checked_api_models_cover_every_model_an_operation_names():
    from chalicelib.endpoints.registry import ModelRef

    # Every module an operation names a model of, but the generic webhook's payload (its route parses it)
    named = {
        kind.module
        for op in load_all().values()
        for kind in [op.body, *op.responses.values()]
        if isinstance(kind, ModelRef)
    }
    assert named - {"chalicelib.webhooks.standard"} <= set(API_MODELS)


def test_every_view_of_the_app_calls_an_operation_of_the_table(monkeypatch):
    import app

    called = set()
    for methods in app.app.routes.values():
        for entry in methods.values():
            found = _operations_called(app, entry, monkeypatch)
            assert len(found) == 1, entry.view_function
            called.add(found[0])
    assert called == set(ROUTES)


def _operations_called(app: Any, entry: Any, monkeypatch: Any) -> list[str]:
    """The operations a view of the app hands its request to, seen by calling it with `_call` recording them."""
    found: list[str] = []
    monkeypatch.setattr(app, "_call", found.append)
    entry.view_function(**dict.fromkeys(entry.view_args, "x"))
    return found
