"""Events to the owner's own systems: signed per Standard Webhooks, sent once, retried on failure."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.outbound import deliver_due
from chalicelib.reviews.tokens import review_token
from tests.receiver import Receiver
from tests.unit.review_support import ReviewShop

ALL = ["review.published", "share.recorded", "referral.confirmed", "referral.reversed"]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def shop(api, outbox, receiver):
    shop = ReviewShop(api, outbox)
    response = shop.owner("PUT", "/webhook-endpoint", {"url": receiver.url, "events": ALL})
    assert response.status_code == 200, response.body
    shop.secret = response.json["secret"]
    return shop


def happy_review(shop):
    shop.fulfilled_order()
    return shop.api.request(
        "POST",
        "/reviews",
        {
            "token": review_token(shop.shop_id, "o-1", ["p-mug"]),
            "product_id": "p-mug",
            "rating": 5,
            "title": "",
            "body": "Lovely mug.",
        },
    )


def test_published_review_is_delivered_once_signed_per_the_spec(shop, receiver, table):
    from standardwebhooks.webhooks import Webhook

    happy_review(shop)
    assert deliver_due(table) == 1
    assert deliver_due(table) == 0
    [delivery] = receiver.received
    headers = {k: delivery["headers"][k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    payload = Webhook(shop.secret).verify(delivery["body"], headers)  # raises if the signature is wrong
    assert payload["type"] == "review.published" and payload["data"]["rating"] == 5


def test_failed_delivery_is_retried_with_backoff_then_succeeds(shop, receiver, table):
    receiver.statuses = [500, 503]
    happy_review(shop)
    now = datetime.now(timezone.utc)
    assert deliver_due(table, now=now) == 0
    assert deliver_due(table, now=now) == 0  # not due again yet
    assert deliver_due(table, now=now + timedelta(seconds=31)) == 0  # second attempt, also refused
    assert deliver_due(table, now=now + timedelta(minutes=5)) == 1
    ids = {d["headers"]["webhook-id"] for d in receiver.received}
    assert len(receiver.received) == 3 and len(ids) == 1  # the same message id, for the receiver to dedupe


def test_no_events_without_a_registered_endpoint(api, outbox, receiver, table):
    shop = ReviewShop(api, outbox)
    happy_review(shop)
    assert deliver_due(table) == 0 and receiver.received == []


def test_endpoint_must_be_a_public_https_url_outside_development(shop, monkeypatch):
    from chalicelib import errors
    from chalicelib.safe_http import check_url

    for url in (
        "http://example.com/h",
        "https://127.0.0.1/h",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.8/h",
        "ftp://example.com/x",
        "https://user:pw@example.com/h",
    ):
        with pytest.raises(errors.ValidationFailed):
            check_url(url, allow_loopback=False)
    assert shop.owner("PUT", "/webhook-endpoint", {"url": "ftp://x.example/h", "events": ALL}).status_code == 422
    assert shop.owner("PUT", "/webhook-endpoint", {"url": "https://x.example/h", "events": ["nope"]}).status_code == 422


def test_endpoint_is_shown_without_its_secret_and_can_be_removed(shop, receiver):
    shown = shop.owner("GET", "/webhook-endpoint").json
    assert shown == {"url": receiver.url, "events": sorted(ALL), "secret": None}
    assert shop.owner("DELETE", "/webhook-endpoint").status_code == 204
    assert shop.owner("GET", "/webhook-endpoint").status_code == 404


def test_share_and_referral_events_follow_the_facts(shop, receiver, table):
    from tests.unit.sharing_support import CHROME, SAFARI

    code = happy_review(shop).json["share"]["code"]
    shop.api.request("GET", f"/share/{code}/x", headers={"User-Agent": SAFARI, "X-Forwarded-For": "203.0.113.3"})
    shop.api.request("GET", f"/s/{code}", headers={"User-Agent": CHROME, "X-Forwarded-For": "198.51.100.3"})
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    landing = f"https://{shop.shop['domains'][0]}/?ref={code}"
    shop.deliver("order.created", "f-1", "friend", landing_url=landing, created_at=now, timestamp=now)
    shop.deliver("order.cancelled", "f-1", "friend", landing_url=landing, created_at=now, timestamp=now)
    deliver_due(table)
    types = sorted(json.loads(d["body"])["type"] for d in receiver.received)
    assert types == sorted(ALL)
