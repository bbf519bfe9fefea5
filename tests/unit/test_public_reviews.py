"""Published reviews as social proof: listing, aggregate, JSON-LD, votes, CORS and caching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

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


# --- the widget's words, in the page's language ---------------------------------------------------------------------


def reviewed_shop(api, outbox, count, language="en", body="Keeps coffee hot.", **settings):
    """A shop whose language is `language`, with `count` published 5-star and 4-star reviews of p-mug."""
    shop = ReviewShop(api, outbox, language=language, **settings)
    for n in range(count):
        shop.fulfilled_order(f"o-{n}", f"c-{n}")
        token = review_token(shop.shop_id, f"o-{n}", ["p-mug"])
        body_n = {"token": token, "product_id": "p-mug", "rating": 5 if n % 2 else 4, "title": "", "body": body}
        assert api.request("POST", "/reviews", body_n).status_code == 201
    return shop


@pytest.mark.parametrize("lang", ["fr", "fr-CA", "FR_fr", " fr "])
def test_the_widgets_words_are_in_the_pages_language(shop, lang):
    response = listing(shop, f"?lang={lang}")
    assert response.status_code == 200 and response.headers["Content-Language"] == "fr"
    texts = response.json["texts"]
    assert texts["language"] == "fr"
    assert texts["region"] == "Avis clients" and texts["more"] == "Plus d\u2019avis"
    assert texts["average"] == "4,5 sur 5"  # the French decimal comma
    assert texts["count"] == "2 avis" and "none" not in texts
    assert texts["verified"] == "Achat vérifié" and texts["reply"] == "Réponse de la boutique"
    assert texts["stars"] == "{rating} sur 5 étoiles"
    assert texts["view_photo"] == "Voir la photo {index} sur {count} de {author}"
    assert "answers" not in texts  # the owner does not show the answers line
    from chalicelib.reviews.models import ProductReviews

    assert ProductReviews.model_validate(response.json).texts.language == "fr"  # the documented shape


@pytest.mark.parametrize("lang", [None, "", "ja", "zh-Hant-TW", "x" * 36, "fr" + "-abc" * 500, "<script>", "fr;q=1"])
def test_without_one_of_our_languages_the_words_are_the_shops(api, outbox, lang):
    shop = reviewed_shop(api, outbox, 1, language="de")
    response = listing(shop, "" if lang is None else f"?{urlencode({'lang': lang})}")
    assert response.status_code == 200, response.body  # never an error for a language
    texts = response.json["texts"]
    assert texts["language"] == "de" and response.headers["Content-Language"] == "de"
    assert texts["region"] == "Kundenbewertungen" and texts["count"] == "1 Bewertung"


def test_an_english_shop_on_a_page_without_language_keeps_the_english_words(shop):
    texts = listing(shop).json["texts"]
    assert texts["language"] == "en"
    assert texts["region"] == "Customer reviews" and texts["average"] == "4.5 out of 5"
    assert texts["count"] == "2 reviews" and texts["more"] == "More reviews"
    assert texts["photo"] == "Photo {index} of {count} from {author}"


@pytest.mark.parametrize(
    ("lang", "one", "twelve"),
    [
        ("en", "1 review", "12 reviews"),
        ("fr", "1 avis", "12 avis"),
        ("de", "1 Bewertung", "12 Bewertungen"),
        ("es", "1 opinión", "12 opiniones"),
        ("pt", "1 avaliação", "12 avaliações"),
    ],
)
def test_the_count_is_in_the_languages_plural_form(api, outbox, lang, one, twelve):
    single, many = reviewed_shop(api, outbox, 1), reviewed_shop(api, outbox, 12)
    assert listing(single, f"?lang={lang}").json["texts"]["count"] == one
    assert listing(many, f"?lang={lang}").json["texts"]["count"] == twelve


def test_a_product_without_reviews_says_so_in_the_language(shop):
    texts = shop.api.request("GET", f"/shops/{shop.shop_id}/products/p-none/reviews?lang=es").json["texts"]
    assert texts["none"] == "Todavía no hay opiniones." and "count" not in texts and "average" not in texts


def test_the_words_change_nothing_else_of_the_answer(shop):
    english, french = listing(shop).json, listing(shop, "?lang=fr").json
    assert english["texts"] != french["texts"]
    english.pop("texts"), french.pop("texts")
    assert english == french  # reviews, aggregate and the JSON-LD block as they were


def test_review_text_stays_data_and_never_enters_the_words(api, outbox):
    markup = '<img src=x onerror="alert(1)">{author} %(num)s'
    shop = reviewed_shop(api, outbox, 1, body=markup)
    data = listing(shop, "?lang=fr").json
    assert data["reviews"][0]["body"] == markup  # as written: the widget sets it as text
    assert data["json_ld"]["review"][0]["reviewBody"] == markup
    assert not any("<" in text or "onerror" in text for text in data["texts"].values())


def test_a_cached_answer_is_never_one_of_another_language(shop):
    english, french = listing(shop), listing(shop, "?lang=fr")
    assert english.headers["ETag"] != french.headers["ETag"]
    # The English page's ETag does not validate the French answer: it comes again, in French
    again = listing(shop, "?lang=fr", headers={"If-None-Match": english.headers["ETag"]})
    assert again.status_code == 200 and again.json["texts"]["language"] == "fr"
    assert listing(shop, "?lang=fr-CA", headers={"If-None-Match": french.headers["ETag"]}).status_code == 304
    assert listing(shop, headers={"If-None-Match": english.headers["ETag"]}).status_code == 304


def test_the_shops_answers_line_in_the_pages_language(api, outbox):
    """One review answered 50 hours after it came: the median's bucket is 72 hours, "within 3 days"."""
    import time_machine

    now = datetime.now(UTC).replace(microsecond=0)
    shop = ReviewShop(api, outbox, show_answer_rate=True)
    with time_machine.travel(now - timedelta(days=5), tick=False):
        shop.fulfilled_order("o-1", "c-1")
        token = review_token(shop.shop_id, "o-1", ["p-mug"])
        review = {"token": token, "product_id": "p-mug", "rating": 5, "title": "", "body": "Good."}
        created = api.request("POST", "/reviews", review)
        assert created.status_code == 201, created.body
    with time_machine.travel(now - timedelta(days=5) + timedelta(hours=50), tick=False):
        assert shop.owner("POST", f"/reviews/{created.json['review_id']}/reply", {"body": "Thanks"}).status_code == 200
    answers = listing(shop).json
    assert answers["shop_answers"] == {"rate": 1.0, "median_hours": 72, "days": 90}
    assert answers["texts"]["answers"] == "Answers 100% of reviews, usually within 3 days"
    expected = {
        "fr": "Répond à 100\u00a0% des avis, généralement sous 3 jours",
        "de": "Antwortet auf 100\u00a0% der Bewertungen, meist innerhalb von 3 Tagen",
        "es": "Responde al 100\u00a0% de las opiniones, normalmente en 3 días",
        "pt": "Responde a 100% das avaliações, geralmente em até 3 dias",
    }
    for lang, line in expected.items():
        assert listing(shop, f"?lang={lang}").json["texts"]["answers"] == line
