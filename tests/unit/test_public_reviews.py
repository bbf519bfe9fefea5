"""Published reviews as social proof: listing, aggregate, JSON-LD, votes, CORS and caching."""

from __future__ import annotations

import pytest

from chalicelib.reviews.public import wilson_lower_bound
from chalicelib.reviews.tokens import review_token
from tests.unit.review_support import ReviewShop


@pytest.fixture
def shop(api, outbox):
    shop = ReviewShop(api, outbox)
    for n, (rating, body) in enumerate([(5, "Superb mug."), (4, "Good mug, heavy lid."), (2, "Chipped.")]):
        shop.fulfilled_order(f"o-{n}", f"c-{n}")
        response = api.request(
            "POST",
            "/reviews",
            {
                "token": review_token(shop.shop_id, f"o-{n}", ["p-mug"]),
                "product_id": "p-mug",
                "rating": rating,
                "title": f"T{n}",
                "body": body,
            },
        )
        assert response.status_code == 201
    return shop


def listing(shop, query="", headers=None):
    return shop.api.request("GET", f"/shops/{shop.shop_id}/products/p-mug/reviews{query}", headers=headers or {})


def test_only_published_reviews_are_listed_newest_first_with_the_aggregate(shop):
    data = listing(shop).json
    assert [r["body"] for r in data["reviews"]] == ["Good mug, heavy lid.", "Superb mug."]  # the 2-star waits
    assert data["aggregate"] == {"count": 2, "average": 4.5, "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}}
    assert all(r["verified"] for r in data["reviews"])


def test_json_ld_is_a_product_with_aggregate_rating_and_reviews(shop):
    block = listing(shop).json["json_ld"]
    assert block["@type"] == "Product" and block["name"] == "Trail Mug"
    assert block["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 4.5,
        "reviewCount": 2,
        "bestRating": 5,
        "worstRating": 1,
    }
    first = block["review"][0]
    assert first["author"]["@type"] == "Person" and first["reviewRating"]["ratingValue"] in (4, 5)
    assert len(first["datePublished"]) == 10


def test_no_aggregate_rating_without_a_published_review(shop):
    data = shop.api.request("GET", f"/shops/{shop.shop_id}/products/p-unknown/reviews").json
    assert data["reviews"] == [] and data["aggregate"]["count"] == 0
    assert "aggregateRating" not in data["json_ld"] and "review" not in data["json_ld"]


def test_owner_reply_is_shown_with_the_review(shop):
    review_id = listing(shop).json["reviews"][0]["review_id"]
    shop.owner("POST", f"/reviews/{review_id}/reply", {"body": "Thanks, Mia!"})
    assert listing(shop).json["reviews"][0]["reply"]["body"] == "Thanks, Mia!"


def test_cors_only_for_the_shops_own_origins(shop):
    own = listing(shop, headers={"Origin": f"https://{shop.shop['domains'][0]}"})
    assert own.headers["Access-Control-Allow-Origin"] == f"https://{shop.shop['domains'][0]}"
    other = listing(shop, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert other.headers["Vary"] == "Origin"


def test_etag_gives_304_when_nothing_changed(shop):
    first = listing(shop)
    assert first.headers["Cache-Control"].startswith("public")
    again = listing(shop, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.body == b""
    review_id = first.json["reviews"][0]["review_id"]
    shop.owner("POST", f"/reviews/{review_id}/reply", {"body": "Thank you"})
    assert listing(shop, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_helpful_votes_once_per_visitor_and_the_helpful_sort(shop):
    reviews = listing(shop).json["reviews"]
    older = reviews[1]["review_id"]
    path = f"/shops/{shop.shop_id}/reviews/{older}/votes"
    for n in range(3):
        assert (
            shop.api.request(
                "POST", path, {"helpful": True}, headers={"X-Forwarded-For": f"198.51.100.{n}", "User-Agent": "UA"}
            ).status_code
            == 200
        )
    again = shop.api.request(
        "POST", path, {"helpful": True}, headers={"X-Forwarded-For": "198.51.100.0", "User-Agent": "UA"}
    )
    assert again.status_code == 409
    ranked = listing(shop, "?sort=helpful").json["reviews"]
    assert ranked[0]["review_id"] == older and ranked[0]["helpful"] == 3
    assert [r["rating"] for r in listing(shop, "?sort=rating").json["reviews"]] == [5, 4]


def test_a_vote_on_a_review_gone_meanwhile_is_404_not_a_repeat(shop, monkeypatch):
    """The vote's transaction says which operation failed: the review's, not the visitor's earlier vote."""
    from chalicelib import errors
    from chalicelib.reviews.public import vote
    from chalicelib.store import keys
    from chalicelib.store.table import get_table

    table = get_table()
    review_id = listing(shop).json["reviews"][0]["review_id"]
    read_before = table.get(keys.review_key(shop.shop_id, review_id))
    table.delete(keys.review_key(shop.shop_id, review_id))
    monkeypatch.setattr(table, "get", lambda key, consistent=False: read_before)
    with pytest.raises(errors.NotFound):
        vote(table, shop.shop_id, review_id, True, "a-visitor")
    monkeypatch.undo()
    assert table.get(keys.vote_key(shop.shop_id, review_id, "a-visitor")) is None  # nothing half-written


def test_pages_with_a_cursor_in_every_sort(shop):
    for sort in ("newest", "helpful", "rating"):
        first = listing(shop, f"?sort={sort}&limit=1").json
        second = listing(shop, f"?sort={sort}&limit=1&cursor={first['cursor']}").json
        assert first["reviews"][0]["review_id"] != second["reviews"][0]["review_id"]
        assert second["cursor"] is None


@pytest.mark.parametrize("query", ["?sort=best", "?limit=500", "?cursor=junk"])
def test_bad_queries_are_400(shop, query):
    assert listing(shop, query).status_code == 400


def test_unknown_shop_is_404(api, outbox):
    assert api.request("GET", "/shops/nope/products/p/reviews").status_code == 404


def test_ratings_summary_for_listing_pages(shop):
    data = shop.api.request("GET", f"/shops/{shop.shop_id}/ratings?products=p-mug,p-none").json
    assert data["products"]["p-mug"]["count"] == 2 and data["products"]["p-none"]["count"] == 0
    assert shop.api.request("GET", f"/shops/{shop.shop_id}/ratings").status_code == 400


def test_widget_script_is_served(api):
    response = api.request("GET", "/widget.js")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/javascript")
    assert "textContent" in response.body.decode() and "innerHTML" not in response.body.decode()


@pytest.mark.parametrize(("yes", "total", "expected"), [(0, 0, 0.0), (2, 2, 0.3424), (40, 45, 0.7650), (5, 10, 0.2366)])
def test_wilson_lower_bound(yes, total, expected):
    assert wilson_lower_bound(yes, total) == pytest.approx(expected, abs=1e-4)


def test_a_redacted_customers_review_stays_published_anonymously(shop):
    import json

    from tests import signers

    raw = json.dumps(
        {"type": "customer.redact", "timestamp": "2026-11-20T00:00:00Z", "data": {"customer_id": "c-0"}}
    ).encode()
    response = shop.api.request(
        "POST",
        f"/webhooks/generic/{shop.shop_id}",
        raw=raw,
        headers=signers.standard_headers(shop.shop["webhook_secret"], raw),
    )
    assert response.status_code == 200
    reviews = listing(shop).json["reviews"]
    assert len(reviews) == 2
    redacted = next(r for r in reviews if r["body"] == "Superb mug.")
    assert redacted["author"] == "Anonymous"
    assert next(r for r in reviews if r["body"] != "Superb mug.")["author"] == "Mia C."
