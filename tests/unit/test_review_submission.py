"""The review link, the form and submissions: verified, one per order line, counted once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chalicelib import clock, signing
from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys
from tests.unit.review_support import ReviewShop
from tests.unit.webhook_support import totals


@pytest.fixture
def shop(api, outbox):
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order()
    return shop


@pytest.fixture
def token(shop):
    return review_token(shop.shop_id, "o-1", ["p-mug", "p-cap"])


def review(api, token, product_id="p-mug", rating=5, body="Keeps coffee hot all morning.", title="Great mug"):
    return api.request(
        "POST", "/reviews", {"token": token, "product_id": product_id, "rating": rating, "title": title, "body": body}
    )


def test_form_lists_the_order_products_with_a_strict_csp(shop, token):
    response = shop.api.request("GET", f"/r/{token}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    html = response.body.decode()
    assert "Trail Mug" in html and "Summit Cap" in html and 'name="rating"' in html
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "script-src 'self';" in csp and "unsafe" not in csp  # our own photo script only
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_happy_review_is_published_verified_and_counted(shop, token, table):
    response = review(shop.api, token)
    assert response.status_code == 201, response.body
    assert response.json["status"] == "published"
    share = response.json["share"]
    assert share["link"] == f"http://127.0.0.1:8000/s/{share['code']}"
    assert set(share["channels"]) == {"facebook", "x", "whatsapp", "linkedin", "pinterest", "email", "sms", "copy"}
    stored = table.get(keys.review_key(shop.shop_id, response.json["review_id"]))
    assert stored["verified"] is True and stored["author"] == "Mia C." and stored["order_id"] == "o-1"
    counted = totals(table, shop.shop_id)
    assert (counted["reviews"], counted["reviewers"], counted["happy_reviews"], counted["promoters"]) == (1, 1, 1, 1)
    stats = table.get(keys.product_stats_key(shop.shop_id, "p-mug"))
    assert stats["review_count"] == 1 and stats["rating_sum"] == Decimal(5) and stats["rating_5"] == 1


def test_second_review_of_the_same_line_is_409_and_changes_nothing(shop, token, table):
    review(shop.api, token)
    again = review(shop.api, token, rating=1, body="changed my mind")
    assert again.status_code == 409
    assert again.json["error"]["code"] == "review_exists"
    assert totals(table, shop.shop_id)["reviews"] == 1


def test_two_items_make_two_reviews_by_one_reviewer(shop, token, table):
    assert review(shop.api, token, "p-mug").status_code == 201
    assert review(shop.api, token, "p-cap", rating=4).status_code == 201
    counted = totals(table, shop.shop_id)
    assert counted["reviews"] == 2 and counted["reviewers"] == 1 and counted["promoters"] == 1


def test_unhappy_review_goes_to_the_owner_first(shop, token, table):
    response = review(shop.api, token, rating=2, body="The lid leaks.")
    assert response.json["status"] == "pending"
    assert response.json["share"] is None
    pending = shop.owner("GET", "/reviews?status=pending")
    assert [r["review_id"] for r in pending.json["reviews"]] == [response.json["review_id"]]
    assert pending.json["reviews"][0]["moderation"] == ["unhappy"]
    counted = totals(table, shop.shop_id)
    assert counted["reviewers"] == 1 and "promoters" not in counted
    assert table.get(keys.product_stats_key(shop.shop_id, "p-mug")) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Buy cheap copies at www.knockoffs.example now", "contains_link"),
        ("Call me on +1 415 555 0133 for a deal", "contains_contact"),
        ("THIS IS THE BEST MUG I HAVE EVER OWNED IN MY LIFE", "shouting"),
        ("Sooooooooo good", "repetition"),
        ("This mug is shit", "profanity"),
    ],
)
def test_suspicious_happy_review_waits_for_the_owner(shop, token, body, reason):
    response = review(shop.api, token, body=body)
    assert response.json["status"] == "pending"
    listed = shop.owner("GET", "/reviews").json["reviews"][0]
    assert reason in listed["moderation"]


def test_shop_without_auto_publish_holds_every_review(api, outbox):
    shop = ReviewShop(api, outbox, auto_publish=False)
    shop.fulfilled_order()
    response = review(api, review_token(shop.shop_id, "o-1", ["p-mug"]))
    assert response.json["status"] == "pending"


def test_forged_altered_expired_and_cross_order_links_store_nothing(shop, token, table, monkeypatch):
    body, mac = token.split(".")
    altered = signing._b64(signing._unb64(body).replace(b"o-1", b"o-2")) + "." + mac
    cross_order = review_token(shop.shop_id, "o-2", ["p-mug"])  # a real link, for an order we never saw
    forged = "eyJzIjoieCJ9.AAAA"
    for bad in (altered, forged, cross_order):
        response = review(shop.api, bad)
        assert 400 <= response.status_code < 500, (bad, response.status_code)
        assert shop.api.request("GET", f"/r/{bad}").status_code in (403, 404)
    expired = review_token(shop.shop_id, "o-1", ["p-mug"], days=1)
    monkeypatch.setattr(clock, "now", lambda: datetime.fromtimestamp(10**10, UTC))
    assert review(shop.api, expired).status_code == 403
    monkeypatch.undo()
    assert totals(table, shop.shop_id).get("reviews") is None


def test_link_does_not_cover_another_product(shop, table):
    narrow = review_token(shop.shop_id, "o-1", ["p-mug"])
    response = review(shop.api, narrow, product_id="p-cap")
    assert response.status_code == 403
    assert response.json["error"]["code"] == "product_not_in_order"


@pytest.mark.parametrize(
    "change",
    [{"rating": 6}, {"rating": 0}, {"rating": "five"}, {"body": "   "}, {"title": "x" * 151}, {"product_id": ""}],
)
def test_invalid_submission_is_422(shop, token, change):
    payload = {"token": token, "product_id": "p-mug", "rating": 5, "title": "", "body": "ok", **change}
    response = shop.api.request("POST", "/reviews", payload)
    assert response.status_code == 422


def test_form_post_shows_a_thank_you_page(shop, token):
    from urllib.parse import urlencode

    raw = urlencode(
        {"token": token, "product_id": "p-mug", "rating": "5", "title": "", "body": "<script>alert(1)</script> lovely"}
    ).encode()
    response = shop.api.request(
        "POST", "/reviews", raw=raw, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 201
    html = response.body.decode()
    assert "Thank you for your review" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "Review your other items" in html


def test_form_post_with_a_bad_link_shows_an_error_page(shop):
    response = shop.api.request(
        "POST",
        "/reviews",
        raw=b"token=nonsense.token&product_id=p&rating=5&body=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/html")
    assert "This link is not valid" in response.body.decode()


def test_owner_publishes_rejects_and_replies(shop, token, table):
    pending_id = review(shop.api, token, rating=3, body="Fine, a bit small.").json["review_id"]
    published = shop.owner("POST", f"/reviews/{pending_id}/publish")
    assert published.status_code == 200 and published.json["status"] == "published"
    assert table.get(keys.product_stats_key(shop.shop_id, "p-mug"))["review_count"] == 1
    replied = shop.owner("POST", f"/reviews/{pending_id}/reply", {"body": "Thanks! A larger size is coming."})
    assert replied.json["reply"]["body"] == "Thanks! A larger size is coming."
    rejected = shop.owner("POST", f"/reviews/{pending_id}/reject")
    assert rejected.json["status"] == "rejected"
    assert table.get(keys.product_stats_key(shop.shop_id, "p-mug"))["review_count"] == 0
    assert shop.owner("GET", "/reviews").json["reviews"] == []


def test_moderation_needs_the_shops_own_key(shop, token, api):
    review_id = review(api, token, rating=2, body="meh").json["review_id"]
    _, other_key = api.create_shop()
    response = api.request("POST", f"/shops/{shop.shop_id}/reviews/{review_id}/publish", token=other_key)
    assert response.status_code == 403
    assert (
        api.request("POST", f"/shops/{shop.shop_id}/reviews/rv_missing/publish", token=shop.api_key).status_code == 404
    )


def test_pending_list_pages_with_a_cursor(shop, api):
    for n in range(3):
        shop.fulfilled_order(order_id=f"o-p{n}", customer_id=f"c-p{n}")
        review(api, review_token(shop.shop_id, f"o-p{n}", ["p-mug"]), rating=1, body=f"bad {n}")
    first = shop.owner("GET", "/reviews?limit=2")
    assert len(first.json["reviews"]) == 2 and first.json["cursor"]
    second = shop.owner("GET", f"/reviews?limit=2&cursor={first.json['cursor']}")
    assert len(second.json["reviews"]) == 1
    assert shop.owner("GET", "/reviews?cursor=garbage").status_code == 400
    assert shop.owner("GET", "/reviews?limit=0").status_code == 400


def test_assets_are_served_and_paths_cannot_escape(api):
    css = api.request("GET", "/assets/proofloop.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert api.request("GET", "/assets/..%2F..%2Fconfig.py").status_code == 404
    assert api.request("GET", "/assets/render.py").status_code == 404
