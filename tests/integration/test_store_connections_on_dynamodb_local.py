"""Store connections (issue 27) on DynamoDB Local: its transactions and conditions are the real ones, and concurrent
calls really run side by side (moto's unit version serializes each call).

The shops are made over HTTP on the live server; the store stand-ins live in this process behind a patched resolver
the server process cannot use, so the connection features are called in-process with the table on DynamoDB Local
(`db`) and the shop as DynamoDB Local keeps it. A domain belongs to one shop, and the stand-ins know one Shopify and
one WooCommerce store: the shops are made once for the module."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib import errors
from chalicelib.connections import ratings, service
from chalicelib.connections.models import ConnectionIn
from chalicelib.referrals.store_codes import CodeOffer, ShopifySource, StoreCodeFailed, derive_code
from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys, store_ratings
from chalicelib.store.shop_records import Shop, get_shop
from tests import signers
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body
from tests.integration.support import deliver
from tests.stand_ins import shopify_discounts
from tests.stand_ins.fixtures import (
    ALL_SCOPES,
    CK,
    CS,
    SHOP_HOST,
    SHOPIFY_DOMAIN,
    SHOPIFY_ENUMS,
    TOKEN,
    WOO_HOST,
    WOO_TOPICS,
    scan,
)

OFFER = CodeOffer("percent", "10")
FULFILLED = signers.days_ago(1, "10:00:00")


def _made(live: Any, **overrides: Any) -> dict[str, Any]:
    body = shop_body(**overrides)
    response = live.request("POST", "/shops", body, token=ADMIN_TOKEN)
    assert response.status_code == 201, response.text
    return {**body, "api_key": response.json()["api_key"]}


@pytest.fixture(scope="module")
def shopify_body(live: Any) -> dict[str, Any]:
    return _made(live, platform="shopify", domains=[SHOP_HOST, SHOPIFY_DOMAIN])


@pytest.fixture(scope="module")
def woo_body(live: Any) -> dict[str, Any]:
    return _made(live, platform="woocommerce", domains=[WOO_HOST])


def _shop(db: Any, body: dict[str, Any]) -> Shop:
    shop = get_shop(db, body["shop_id"], consistent=True)
    assert shop is not None
    return shop


def _connect_shopify(db: Any, body: dict[str, Any]) -> dict[str, Any]:
    return service.connect(db, _shop(db, body), ConnectionIn.model_validate({"shopify": {"access_token": TOKEN}}))


def _together(count: int, work: Any) -> list[Any]:
    """`work(n)` in `count` threads released at once."""
    barrier = threading.Barrier(count)

    def run(n: int) -> Any:
        barrier.wait()
        return work(n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


# --- Connect and register ------------------------------------------------------------------------------------------


def test_a_shopify_connection_is_sealed_in_the_table_and_registering_again_changes_nothing(db, shopify_body, shopify):
    store = shopify.tokens[TOKEN]
    # When the shop connects with its Admin API token
    view = _connect_shopify(db, shopify_body)
    # Then every topic is subscribed at the stand-in, at our address
    assert {w["status"] for w in view["webhooks"]} == {"registered"}
    assert {s["topic"] for s in store.webhooks.values()} == set(SHOPIFY_ENUMS)
    assert len(store.webhooks) == len(SHOPIFY_ENUMS)
    assert TOKEN not in json.dumps(view)
    # And the credential is sealed in DynamoDB Local's item: nowhere in the table in plain text
    item = db.get(keys.connection_key(shopify_body["shop_id"]), consistent=True)
    assert item["store"] == SHOPIFY_DOMAIN and item["sealed"] and item["scheme"]
    assert TOKEN not in scan(db)
    assert TOKEN.removeprefix("shpat_") not in scan(db)
    # When registering runs again
    created = len(shopify.calls("webhookSubscriptionCreate"))
    before = {k: dict(v) for k, v in store.webhooks.items()}
    again = service.register(db, _shop(db, shopify_body))
    # Then nothing is created or deleted: each topic is kept
    assert {w["status"] for w in again["webhooks"]} == {"kept"}
    assert len(shopify.calls("webhookSubscriptionCreate")) == created
    assert shopify.calls("webhookSubscriptionDelete") == []
    assert store.webhooks == before


def test_a_woocommerce_connection_is_sealed_in_the_table_and_registering_again_changes_nothing(db, woo_body, woo):
    body = {"woocommerce": {"consumer_key": CK, "consumer_secret": CS}}
    view = service.connect(db, _shop(db, woo_body), ConnectionIn.model_validate(body))
    site = woo.site(f"https://{WOO_HOST}")
    assert {w["status"] for w in view["webhooks"]} == {"registered"}
    assert {w["topic"] for w in site.webhooks.values()} == set(WOO_TOPICS)
    table = scan(db)
    assert CK not in table and CS not in table
    assert CK.removeprefix("ck_") not in table and CS.removeprefix("cs_") not in table
    posts = [r.method for r in woo.requests].count("POST")
    before = {k: dict(v) for k, v in site.webhooks.items()}
    again = service.register(db, _shop(db, woo_body))
    assert {w["status"] for w in again["webhooks"]} == {"kept"}
    assert [r.method for r in woo.requests].count("POST") == posts
    assert "DELETE" not in [r.method for r in woo.requests]
    assert site.webhooks == before


# --- Codes made by the store ---------------------------------------------------------------------------------------


def _claim(db: Any, shop: Shop, holder: str) -> str | None:
    """The due work's claim of one holder's code; a transaction that met another write is tried again, as the due
    work puts its claim off and tries again on its next turn."""
    source = ShopifySource(db, due_work=True)
    for _ in range(20):
        try:
            return source.claim(shop, "friend", holder, offer=OFFER)
        except errors.RetryLater:
            continue
    raise AssertionError(f"{holder}'s claim met another write 20 times")


def _holders(db: Any, shop_id: str) -> list[dict[str, Any]]:
    prefix = f"{keys.REFERRAL_HOLDER_PREFIX}friend#"
    return list(db.query_all(keys.shop_partition(shop_id), sk_prefix=prefix))


def _handed_out(live: Any, body: dict[str, Any]) -> int:
    response = live.request("GET", f"/shops/{body['shop_id']}/referral", token=body["api_key"])
    assert response.status_code == 200, response.text
    return int(response.json()["pools"]["friend"]["handed_out"])


def test_concurrent_runs_have_the_store_make_one_discount_per_holder(db, live, shopify_body, shopify):
    _connect_shopify(db, shopify_body)
    shop = _shop(db, shopify_body)
    shop_id = shop.shop_id
    store = shopify.tokens[TOKEN]
    counted = _handed_out(live, shopify_body)
    # When 10 runs claim the same holder's code at once
    answers = _together(10, lambda n: _claim(db, shop, "race-one"))
    # Then all of them answer the one code, which the store made once and the table records once
    [code] = set(answers)
    assert code is not None and list(store.discounts) == [code]
    assert [h["code"] for h in _holders(db, shop_id) if h["holder"] == "race-one"] == [code]
    assert db.get(keys.referral_code_key(shop_id, code), consistent=True)["holder"] == "race-one"
    assert _handed_out(live, shopify_body) == counted + 1
    # When 10 holders are claimed for at once
    holders = [f"race-{n}" for n in range(10)]
    many = _together(10, lambda n: _claim(db, shop, holders[n]))
    # Then each has its own code: one discount each in the store, one record each in the table
    assert len(set(many)) == 10 and None not in many
    assert sorted(store.discounts) == sorted([code, *many])
    recorded = {h["holder"]: h["code"] for h in _holders(db, shop_id)}
    assert {h: recorded[h] for h in holders} == dict(zip(holders, many, strict=True))
    assert _handed_out(live, shopify_body) == counted + 11
    # And each holder asking again reads its record without asking the store
    calls = len(shopify.calls(shopify_discounts.FIELD))
    assert [_claim(db, shop, h) for h in holders] == many
    assert len(shopify.calls(shopify_discounts.FIELD)) == calls


def test_a_lost_answer_then_a_retry_still_makes_one_discount(db, live, shopify_body, shopify):
    _connect_shopify(db, shopify_body)
    shop = _shop(db, shopify_body)
    store = shopify.tokens[TOKEN]
    counted = _handed_out(live, shopify_body)
    # Given the store makes the discount but its answer is lost on the way
    shopify_discounts.lose_answers(shopify, 1)
    with pytest.raises(StoreCodeFailed) as failed:
        _claim(db, shop, "lost-one")
    assert failed.value.retryable
    expected = derive_code(shop.shop_id, "friend", "lost-one")
    assert list(store.discounts) == [expected]
    assert [h for h in _holders(db, shop.shop_id) if h["holder"] == "lost-one"] == []
    # When the due work tries again, twice at once
    answers = _together(2, lambda n: _claim(db, shop, "lost-one"))
    # Then the store's TAKEN is read as ours: still one discount, recorded once
    assert answers == [expected, expected]
    assert list(store.discounts) == [expected]
    assert [h["code"] for h in _holders(db, shop.shop_id) if h["holder"] == "lost-one"] == [expected]
    assert _handed_out(live, shopify_body) == counted + 1


# --- Stars in the store's product data -----------------------------------------------------------------------------

PRODUCTS = ["8123456700501", "8123456700502"]


def _gid(product: str) -> str:
    return f"gid://shopify/Product/{product}"


def _rating(value: str) -> dict[str, str]:
    return {"type": "rating", "value": json.dumps({"value": value, "scale_min": "1", "scale_max": "5"})}


def _count(n: int) -> dict[str, str]:
    return {"type": "number_integer", "value": str(n)}


class Reviews:
    """Orders through the shop's generic webhook and reviews through the review link, on the live server."""

    def __init__(self, live: Any, body: dict[str, Any]) -> None:
        self.live, self.body, self.orders = live, body, 0

    def publish(self, products: list[str], stars: int) -> None:
        self.orders += 1
        order_id, customer_id = f"stars-{self.orders}", f"stars-c-{self.orders}"
        items = [{"product_id": p, "title": f"Product {p}", "quantity": 1, "price": "10.00"} for p in products]
        deliver(self.live, self.body, "order.created", order_id, customer_id, items=items)
        deliver(self.live, self.body, "order.fulfilled", order_id, customer_id, items=items, timestamp=FULFILLED)
        token = review_token(self.body["shop_id"], order_id, products)
        for product in products:
            review = {"token": token, "product_id": product, "rating": stars, "title": "Mine", "body": "Worn daily."}
            response = self.live.request("POST", "/reviews", review)
            assert response.status_code == 201, response.text
            assert response.json()["status"] == "published", response.text


def test_published_reviews_reach_the_products_metafields_and_a_marker_marked_again_stays_due(
    db, live, shopify_body, shopify, monkeypatch
):
    store = shopify.tokens[TOKEN]
    store.scopes = list(ALL_SCOPES)
    for product in PRODUCTS:
        store.products[_gid(product)] = {"metafields": {}}
    view = _connect_shopify(db, shopify_body)
    assert view["missing_scopes"] == []
    shop_id = shopify_body["shop_id"]
    reviews = Reviews(live, shopify_body)
    # Given reviews published over HTTP (the server marks each product in the review's transaction)
    reviews.publish(PRODUCTS, 5)
    reviews.publish([PRODUCTS[0]], 4)
    assert all(db.get(keys.ratings_due_key(shop_id, p), consistent=True) for p in PRODUCTS)
    # When the due work runs
    ratings.sync_store_ratings(db)
    # Then the store's products carry metafields equal to the published reviews, and no marker is left
    assert store.products[_gid(PRODUCTS[0])]["metafields"] == {
        "reviews.rating": _rating("4.5"),
        "reviews.rating_count": _count(2),
    }
    assert store.products[_gid(PRODUCTS[1])]["metafields"] == {
        "reviews.rating": _rating("5.0"),
        "reviews.rating_count": _count(1),
    }
    assert [db.get(keys.ratings_due_key(shop_id, p), consistent=True) for p in PRODUCTS] == [None, None]
    # When a review is published while a run is between reading the aggregates and deleting the marker
    reviews.publish([PRODUCTS[1]], 4)
    read = store_ratings.stats
    published = []

    def stats_then_a_review(table: Any, shop: str, products: list[str]) -> dict[str, dict[str, Any]]:
        found = read(table, shop, products)
        if not published:
            published.append(True)
            reviews.publish([PRODUCTS[1]], 4)
        return found

    monkeypatch.setattr(store_ratings, "stats", stats_then_a_review)
    ratings.sync_store_ratings(db)
    # Then the run wrote what it read, and the marker, marked again since, stays due (its delete was conditioned)
    assert store.products[_gid(PRODUCTS[1])]["metafields"]["reviews.rating_count"] == _count(2)
    assert db.get(keys.ratings_due_key(shop_id, PRODUCTS[1]), consistent=True) is not None
    # And the next run writes the product again, equal to its three published reviews
    monkeypatch.setattr(store_ratings, "stats", read)
    ratings.sync_store_ratings(db)
    assert store.products[_gid(PRODUCTS[1])]["metafields"] == {
        "reviews.rating": _rating("4.33"),
        "reviews.rating_count": _count(3),
    }
    assert db.get(keys.ratings_due_key(shop_id, PRODUCTS[1]), consistent=True) is None
