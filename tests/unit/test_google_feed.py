"""Google's product review feed: valid against Google's schema, every published review (low ratings too),
who wrote it or that they are anonymous, how it was collected, the products' identifiers, the deleted
reviews; its secret URL, its report, and the product identifiers each platform's webhook carries."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from chalicelib.reviews.tokens import review_token
from tests import signers
from tests.unit.review_support import ReviewShop

SCHEMA = Path(__file__).parents[1] / "fixtures" / "google" / "product_reviews.xsd"
JUDGEME = Path(__file__).parents[1] / "fixtures" / "judgeme_export.csv"


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def valid(xml: bytes) -> etree._Element:
    """The feed parsed, after Google's schema accepted it (a refusal fails with the schema's own words)."""
    document = etree.fromstring(xml)
    if not schema().validate(document):
        raise AssertionError("\n".join(str(e) for e in schema().error_log))
    return document


def mug_items(shop_id: str, **mug: Any) -> list[dict[str, Any]]:
    page = f"https://{shop_id}.example.com/products/trail-mug"
    return [
        {
            "product_id": "p-mug",
            "title": "Trail Mug",
            "quantity": 1,
            "price": "29.50",
            "url": page,
            "sku": "MUG-01",
            "gtin": "4006381333931",
            "mpn": "TM-350",
            "brand": "Summit Goods",
            **mug,
        }
    ]


def review(shop: ReviewShop, order_id: str, rating: int, body: str, title: str = "", **more: Any) -> dict[str, Any]:
    response = shop.api.request(
        "POST",
        "/reviews",
        {
            "token": review_token(shop.shop_id, order_id, ["p-mug"]),
            "product_id": "p-mug",
            "rating": rating,
            "title": title,
            "body": body,
            **more,
        },
    )
    assert response.status_code == 201, response.body
    return response.json


def feed(shop: ReviewShop) -> etree._Element:
    response = shop.owner("GET", "/feeds/google-product-reviews.xml")
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"].startswith("application/xml")
    return valid(response.body)


def reviews_in(document: etree._Element) -> dict[str, etree._Element]:
    return {r.findtext("review_id"): r for r in document.iterfind("reviews/review")}


@pytest.fixture
def shop(api, outbox):
    shop = ReviewShop(api, outbox)
    for n, customer in enumerate(["c-ana", "c-ben", "c-cy"]):
        shop.fulfilled_order(f"o-{n}", customer, items=mug_items(shop.shop_id))
    return shop


def test_every_published_review_goes_in_low_ratings_too_and_the_feed_is_valid(shop):
    happy = review(shop, "o-0", 5, "Keeps coffee hot all morning.", "Great mug")
    unhappy = review(shop, "o-1", 1, "The lid cracked on day two.")
    assert unhappy["status"] == "pending"
    assert shop.owner("POST", f"/reviews/{unhappy['review_id']}/publish").status_code == 200
    review(shop, "o-2", 3, "Fine, but heavy.")  # a 3 waits for the owner: not published, not in the feed

    document = feed(shop)
    assert document.findtext("version") == "2.2"
    assert document.findtext("publisher/name") == "Trail & Summit Outfitters"
    found = reviews_in(document)
    assert set(found) == {happy["review_id"], unhappy["review_id"]}
    low = found[unhappy["review_id"]]
    assert low.find("ratings/overall").text == "1"
    assert low.find("ratings/overall").attrib == {"min": "1", "max": "5"}
    assert low.findtext("content") == "The lid cracked on day two."
    assert low.find("title") is None  # no empty title: the schema wants text in one
    high = found[happy["review_id"]]
    assert high.findtext("title") == "Great mug"
    assert high.findtext("reviewer/name") == "Mia C."
    assert high.find("reviewer/name").get("is_anonymous") is None
    assert high.findtext("collection_method") == "post_fulfillment"
    assert high.findtext("transaction_id") == "o-0"
    assert high.findtext("review_timestamp").endswith("Z")
    page = f"https://{shop.shop_id}.example.com/products/trail-mug"
    assert high.findtext("review_url") == page and high.find("review_url").get("type") == "group"
    product = high.find("products/product")
    assert product.findtext("product_name") == "Trail Mug"
    assert product.findtext("product_url") == page
    assert product.findtext("product_ids/gtins/gtin") == "4006381333931"
    assert product.findtext("product_ids/mpns/mpn") == "TM-350"
    assert product.findtext("product_ids/skus/sku") == "MUG-01"
    assert product.findtext("product_ids/brands/brand") == "Summit Goods"
    assert document.find("deleted_reviews") is None


def test_an_erased_reviewer_is_anonymous_and_the_review_stays(shop):
    written = review(shop, "o-0", 5, "Keeps coffee hot all morning.")
    shop.deliver("customer.redact", "o-0", "c-ana")
    entry = reviews_in(feed(shop))[written["review_id"]]
    assert entry.findtext("reviewer/name") == "Anonymous"
    assert entry.find("reviewer/name").get("is_anonymous") == "true"
    assert entry.findtext("content") == "Keeps coffee hot all morning."


def test_a_buyer_who_asks_not_to_be_named_is_anonymous_everywhere(shop):
    written = review(shop, "o-0", 5, "Keeps coffee hot all morning.", anonymous=True)
    entry = reviews_in(feed(shop))[written["review_id"]]
    assert entry.findtext("reviewer/name") == "Anonymous"
    assert entry.find("reviewer/name").get("is_anonymous") == "true"
    listed = shop.api.request("GET", f"/shops/{shop.shop_id}/products/p-mug/reviews").json
    assert [r["author"] for r in listed["reviews"]] == ["Anonymous"]
    assert listed["json_ld"]["review"][0]["author"]["name"] == "Anonymous"


def test_a_rejected_review_is_listed_as_deleted_until_it_is_published_again(shop):
    written = review(shop, "o-0", 5, "Keeps coffee hot all morning.")
    rid = written["review_id"]
    assert shop.owner("POST", f"/reviews/{rid}/reject").status_code == 200
    document = feed(shop)
    assert rid not in reviews_in(document)
    assert [e.text for e in document.iterfind("deleted_reviews/review_id")] == [rid]
    assert document.find("reviews") is None  # no review left: no empty <reviews>, which the schema refuses

    assert shop.owner("POST", f"/reviews/{rid}/publish").status_code == 200
    document = feed(shop)
    assert rid in reviews_in(document) and document.find("deleted_reviews") is None


def test_imported_reviews_are_unsolicited_without_a_transaction(api, outbox):
    shop = ReviewShop(api, outbox)
    product = json.loads((Path(__file__).parents[1] / "fixtures" / "shopify_product.json").read_text())
    # The imported reviews name this product: its page comes from a generic order naming its url.
    shop.fulfilled_order(
        "o-1",
        "c-1",
        items=[
            {
                "product_id": str(product["id"]),
                "title": product["title"],
                "url": f"https://{shop.shop_id}.example.com/products/{product['handle']}",
            }
        ],
    )
    imported = api.request(
        "POST",
        f"/shops/{shop.shop_id}/reviews/import?format=judgeme",
        token=shop.api_key,
        raw=JUDGEME.read_bytes(),
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status_code == 200 and imported.json["imported"] >= 2, imported.body
    found = list(reviews_in(feed(shop)).values())
    listed = api.request("GET", f"/shops/{shop.shop_id}/products/{product['id']}/reviews?limit=100").json
    assert len(found) == listed["aggregate"]["count"] >= 2  # every published import (the spam one is not)
    assert {r.findtext("collection_method") for r in found} == {"unsolicited"}
    assert all(r.find("transaction_id") is None for r in found)
    assert {r.findtext("ratings/overall") for r in found} >= {"5", "3"}


def test_text_that_xml_cannot_carry_is_escaped_or_dropped(shop):
    hostile = 'Tags <script>alert("x")</script> & a bell \x07 and a form feed \x0c stay text.'
    written = review(shop, "o-0", 5, hostile, "<b>bold</b> & co")
    entry = reviews_in(feed(shop))[written["review_id"]]
    assert entry.findtext("content") == 'Tags <script>alert("x")</script> & a bell  and a form feed  stay text.'
    assert entry.findtext("title") == "<b>bold</b> & co"


def test_the_report_names_what_google_would_refuse_and_why(api, outbox, table):
    from chalicelib.store import keys

    shop = ReviewShop(api, outbox)
    shop.fulfilled_order("o-1", "c-1", items=mug_items(shop.shop_id))
    shop.fulfilled_order(
        "o-2", "c-2", items=[{"product_id": "p-cap", "title": "Summit Cap", "quantity": 1, "price": "19.00"}]
    )
    good = review(shop, "o-1", 5, "Keeps coffee hot.")
    response = api.request(
        "POST",
        "/reviews",
        {"token": review_token(shop.shop_id, "o-2", ["p-cap"]), "product_id": "p-cap", "rating": 5, "body": "Warm."},
    )
    no_page = response.json
    # An imported review with nothing but blanks: Google wants text.
    blank = {
        **keys.review_key(shop.shop_id, "im_blank"),
        "type": "review",
        "review_id": "im_blank",
        "shop_id": shop.shop_id,
        "product_id": "p-mug",
        "author": "Dee",
        "rating": 4,
        "title": "",
        "body": "  \x07 ",
        "status": "published",
        "imported": True,
        "created_at": "2026-11-01T10:00:00Z",
    }
    table.put(blank)

    report = shop.owner("GET", "/feeds/google-product-reviews").json
    assert report["reviews_in_feed"] == 1 and report["reviews_left_out"] == 2
    assert report["reasons"] == {"no_product_url": 1, "empty_content": 1}
    assert {(r["review_id"], r["reason"]) for r in report["left_out"]} == {
        (no_page["review_id"], "no_product_url"),
        ("im_blank", "empty_content"),
    }
    assert report["meets_minimum"] is False and report["minimum_reviews"] == 50
    assert report["ratings"]["5"] == 1
    by_product = {p["product_id"]: p for p in report["products"]}
    assert by_product["p-mug"]["in_feed"] == 1 and by_product["p-mug"]["left_out"] == 1
    assert by_product["p-cap"] == {
        "product_id": "p-cap",
        "name": "Summit Cap",
        "product_url": None,
        "in_feed": 0,
        "left_out": 1,
    }
    assert set(reviews_in(feed(shop))) == {good["review_id"]}

    # The shop moves to a new domain: its old product pages are no longer its own.
    moved = shop.owner("PATCH", "", {"domains": ["new-home.example.com"]})
    assert moved.status_code == 200, moved.body
    report = shop.owner("GET", "/feeds/google-product-reviews").json
    assert report["reasons"] == {"no_product_url": 1, "foreign_domain": 2}  # the page is checked first
    assert report["reviews_in_feed"] == 0
    valid(shop.owner("GET", "/feeds/google-product-reviews.xml").body)


def test_the_secret_url_reads_the_feed_until_it_is_rotated_or_revoked(shop):
    review(shop, "o-0", 5, "Keeps coffee hot all morning.")
    assert shop.owner("GET", "/feeds/google-product-reviews").json["feed_url"] is None
    issued = shop.owner("POST", "/feeds/google-product-reviews/url")
    assert issued.status_code == 201
    url = issued.json["feed_url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    fetched = shop.api.request("GET", f"/{path}")  # no owner key: the URL is the credential
    assert fetched.status_code == 200
    assert valid(fetched.body).findtext("publisher/name") == "Trail & Summit Outfitters"
    assert shop.owner("GET", "/feeds/google-product-reviews").json["feed_url"] == url  # shown again, same

    rotated = shop.owner("POST", "/feeds/google-product-reviews/url").json["feed_url"]
    assert rotated != url
    refused = shop.api.request("GET", f"/{path}")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "revoked_feed"
    new_path = rotated.split("://", 1)[1].split("/", 1)[1]
    assert shop.api.request("GET", f"/{new_path}").status_code == 200

    assert shop.owner("DELETE", "/feeds/google-product-reviews/url").json == {"feed_url": None}
    assert shop.api.request("GET", f"/{new_path}").status_code == 403
    forged = shop.api.request("GET", "/feeds/not-a-token/google-product-reviews.xml")
    assert forged.status_code == 403 and forged.json["error"]["code"] == "invalid_feed"


def test_the_feed_is_the_owners_alone(shop, api):
    other = ReviewShop(api, shop.outbox)
    assert api.request("GET", f"/shops/{shop.shop_id}/feeds/google-product-reviews.xml").status_code == 401
    response = api.request("GET", f"/shops/{shop.shop_id}/feeds/google-product-reviews.xml", token=other.api_key)
    assert response.status_code == 403


def test_an_empty_shop_has_a_valid_feed(api, outbox):
    shop = ReviewShop(api, outbox)
    document = feed(shop)
    assert document.find("reviews") is None and document.find("deleted_reviews") is None


# --- the product identifiers each platform carries --------------------------------------------------
def product_item(table, shop_id: str, product_id: str) -> dict[str, Any]:
    from chalicelib.store import keys

    return table.get(keys.product_key(shop_id, product_id))


def test_a_shopify_product_names_its_skus_barcodes_and_vendor(api, table):
    body, _ = api.create_shop(platform="shopify", domains=["trail-summit.myshopify.com"])
    product = json.loads((Path(__file__).parents[1] / "fixtures" / "shopify_product.json").read_text())
    product["variants"] = [
        {"id": 1, "sku": "ATB-28-SLT", "barcode": "0012345678905"},
        {"id": 2, "sku": "ATB-28-RED", "barcode": "not a barcode"},
        {"id": 3, "sku": "ATB-28-SLT", "barcode": "4006381333932"},  # a wrong check digit: Google refuses it
        {"id": 4, "sku": None, "barcode": None},
    ]
    raw = json.dumps(product).encode()
    response = api.request(
        "POST",
        "/webhooks/shopify",
        raw=raw,
        headers=signers.shopify_headers("products/update", "trail-summit.myshopify.com", body["webhook_secret"], raw),
    )
    assert response.status_code == 200, response.body
    item = product_item(table, body["shop_id"], str(product["id"]))
    assert item["skus"] == ["ATB-28-SLT", "ATB-28-RED"]
    assert item["gtins"] == ["0012345678905"]
    assert item["brand"] == "Trail & Summit"


def test_a_woocommerce_product_names_its_sku_gtin_mpn_and_brand(api, table):
    body, _ = api.create_shop(platform="woocommerce")
    product = {
        "id": 77,
        "name": "Summit Cap",
        "permalink": f"https://{body['domains'][0]}/product/summit-cap/",
        "sku": "CAP-9",
        "global_unique_id": "9780306406157",
        "brands": [{"id": 3, "name": "Summit Goods", "slug": "summit-goods"}],
        "meta_data": [{"id": 1, "key": "_mpn", "value": "SC-2026"}, {"id": 2, "key": "_gtin", "value": 12345}],
        "date_modified_gmt": "2026-11-01T10:00:00",
    }
    raw = json.dumps(product).encode()
    response = api.request(
        "POST",
        f"/webhooks/woocommerce/{body['shop_id']}",
        raw=raw,
        headers=signers.woocommerce_headers("product.updated", body["webhook_secret"], raw),
    )
    assert response.status_code == 200, response.body
    item = product_item(table, body["shop_id"], "77")
    assert item["skus"] == ["CAP-9"] and item["gtins"] == ["9780306406157"]
    assert item["mpns"] == ["SC-2026"] and item["brand"] == "Summit Goods"


def test_product_codes_are_bounded_and_gtins_checked():
    from chalicelib.webhooks.events import MAX_PRODUCT_CODES, gtin, product_codes

    assert gtin("4006381333931") == "4006381333931"
    assert gtin("4006-3813 33931") == "4006381333931"
    assert gtin("96385074") == "96385074"  # GTIN-8
    assert gtin("4006381333932") is None and gtin("12345") is None and gtin("abcdefghijklm") is None
    assert product_codes([f"S{n}" for n in range(50)]) == [f"S{n}" for n in range(MAX_PRODUCT_CODES)]
    assert product_codes(["", None, "  ", "x" * 71, "A\x00B", "ok"]) == ["ok"]


def test_the_feed_reads_a_page_of_reviews_at_a_time_as_it_is_written():
    """What keeps its memory flat whatever the number of reviews; `make bench` measures the peak itself
    (bench/feed_memory.py, 100,000 reviews against 1,000)."""
    from bench.feed_memory import PagedReviews, bench_shop
    from chalicelib.feeds.google import PAGE, feed
    from chalicelib.store import keys

    class CountedPages(PagedReviews):
        pages = 0

        def query(self, pk_value: str, *, sk_prefix: str | None = None, **kwargs: Any) -> Any:
            self.pages += sk_prefix == keys.REVIEW_PREFIX
            return super().query(pk_value, sk_prefix=sk_prefix, **kwargs)

    # Given a shop with 20,000 published reviews, handed out a page at a time
    table = CountedPages("bench-shop", 20_000)
    pieces = feed(table, bench_shop())
    # When the feed's first reviews are written
    first = [next(pieces) for _ in range(PAGE // 2)]
    # Then only the first page has been read, not the whole shop
    assert table.pages == 1
    # And the whole feed, once written, holds every review, read a page at a time
    written = "".join(first) + "".join(pieces)
    assert written.count("<review>") == 20_000
    assert table.pages == 20_000 // PAGE


# --- photos, and a feed larger than a Lambda answer ---------------------------------------------------
def test_published_photos_are_the_reviewers_images_and_hidden_ones_are_not(shop, table):
    from chalicelib.storage.s3 import get_storage
    from tests import photo_files
    from tests.unit.test_photos import process, upload

    storage = get_storage()
    token = review_token(shop.shop_id, "o-0", ["p-mug"])
    first = upload(shop.api, storage, token, photo_files.jpeg())
    second = upload(shop.api, storage, token, photo_files.jpeg(color=(20, 90, 200)))
    assert process(table) == 2
    written = review(shop, "o-0", 5, "Keeps coffee hot all morning.", photo_ids=[first, second])
    entry = reviews_in(feed(shop))[written["review_id"]]
    urls = [u.text for u in entry.iterfind("reviewer_images/reviewer_image/url")]
    listed = shop.api.request("GET", f"/shops/{shop.shop_id}/products/p-mug/reviews").json["reviews"][0]
    assert len(urls) == 2 and [u.split("?")[0] for u in urls] == [p["url"].split("?")[0] for p in listed["photos"]]

    hidden = shop.owner("POST", f"/reviews/{written['review_id']}/photos/{first}/hide")
    assert hidden.status_code == 200, hidden.body
    entry = reviews_in(feed(shop))[written["review_id"]]
    assert len(entry.findall("reviewer_images/reviewer_image")) == 1


def test_a_feed_larger_than_a_lambda_answer_is_stored_and_redirected_to(shop, table, monkeypatch):
    from urllib.parse import urlsplit

    from chalicelib import spool
    from chalicelib.storage.s3 import get_storage

    for n in range(3):
        review(shop, f"o-{n}", 5, f"Review {n}: keeps coffee hot all morning. " * 40)
    inline = shop.owner("GET", "/feeds/google-product-reviews.xml")
    assert inline.status_code == 200
    # Given a limit the feed outgrows (the real one is 5 MB, under Lambda's 6 MB answer)
    monkeypatch.setattr(spool, "INLINE_LIMIT", len(inline.body) - 1)
    monkeypatch.setattr(spool, "SPOOL_IN_MEMORY", 1024)  # and spilled to a file on the way
    # When the feed is fetched
    response = shop.owner("GET", "/feeds/google-product-reviews.xml")
    # Then the answer is a redirect to a short-lived read of the stored feed, which is the same feed
    assert response.status_code == 303 and response.body in (b"", "")
    location = urlsplit(response.headers["Location"])
    assert "Expires=" in location.query or "X-Amz-Expires=3600" in location.query
    key = f"feeds/{shop.shop_id}/google-product-reviews.xml"
    assert location.path.endswith(key)
    stored = get_storage().read(key)
    assert stored == inline.body
    valid(stored)


def test_the_feed_url_and_the_shops_other_edits_leave_each_other_alone(shop):
    assert shop.owner("PATCH", "", {"name": "Trail & Summit"}).status_code == 200
    url = shop.owner("POST", "/feeds/google-product-reviews/url").json["feed_url"]
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    # An edit after the URL was issued keeps it; issuing after an edit is not refused as a stale edit
    assert shop.owner("PATCH", "", {"settings": {"review_delay_days": 5}}).status_code == 200
    assert shop.api.request("GET", path).status_code == 200
    assert shop.owner("DELETE", "/feeds/google-product-reviews/url").status_code == 200
    assert shop.owner("DELETE", "/feeds/google-product-reviews/url").status_code == 200  # twice is fine
    assert shop.owner("PATCH", "", {"name": "Trail & Summit Outfitters"}).status_code == 200
    assert shop.api.request("GET", path).status_code == 403


def test_the_forms_anonymous_choice_reaches_the_review(shop):
    from urllib.parse import urlencode

    token = review_token(shop.shop_id, "o-1", ["p-mug"])
    form = shop.api.request("GET", f"/r/{token}", headers={"Accept": "text/html"}).body.decode()
    assert 'name="anonymous"' in form and "Publish without my name" in form
    body = {"token": token, "product_id": "p-mug", "rating": "5", "title": "", "body": "Warm.", "anonymous": "true"}
    sent = shop.api.request(
        "POST",
        "/reviews",
        raw=urlencode(body).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert sent.status_code == 201, sent.body[:300]
    listed = shop.api.request("GET", f"/shops/{shop.shop_id}/products/p-mug/reviews").json
    assert [r["author"] for r in listed["reviews"]] == ["Anonymous"]
