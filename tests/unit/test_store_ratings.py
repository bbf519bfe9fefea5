"""Stars in a Shopify store's own data: each reviewed product's reviews.rating and reviews.rating_count metafields
kept equal to its published reviews by the due work, through HTTP, against the loopback Shopify stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys
from tests import signers
from tests.conftest import ADMIN_TOKEN
from tests.stand_ins.fixtures import ALL_SCOPES, SHOP_HOST, SHOPIFY_DOMAIN, TOKEN, connect
from tests.stand_ins.shopify_admin import MAXIMUM_AVAILABLE

PRODUCTS = ["8123456700416", "8123456700417", "8123456700418"]
FULFILLED = signers.days_ago(1, "10:00:00")


def gid(product: str) -> str:
    return f"gid://shopify/Product/{product}"


def rating(value: str) -> dict[str, str]:
    return {"type": "rating", "value": json.dumps({"value": value, "scale_min": "1", "scale_max": "5"})}


def count(n: int) -> dict[str, str]:
    return {"type": "number_integer", "value": str(n)}


class StarShop:
    """A Shopify shop whose orders come in through its generic webhook, reviewed through the review link."""

    def __init__(
        self, api: Any, shopify: Any, monkeypatch: Any, products: list[str], domains: list[str] | None = None
    ) -> None:
        self.body, self.key = api.create_shop(platform="shopify", domains=domains or [SHOP_HOST, SHOPIFY_DOMAIN])
        self.shop_id = self.body["shop_id"]
        self.api, self.shopify, self.monkeypatch = api, shopify, monkeypatch
        self.store = shopify.tokens[TOKEN]
        self.store.scopes = list(ALL_SCOPES)
        for product in products:
            self.store.products[gid(product)] = {"metafields": {}}
        self.orders = 0

    def connect(self) -> None:
        response = connect(self.api, (self.shop_id, self.key), {"shopify": {"access_token": TOKEN}})
        assert response.status_code == 200, response.body
        assert response.json["missing_scopes"] == []

    def deliver(self, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        response = self.api.request(
            "POST",
            f"/webhooks/generic/{self.shop_id}",
            raw=raw,
            headers=signers.standard_headers(self.body["webhook_secret"], raw),
        )
        assert response.status_code == 200, response.body

    def review(self, products: list[str], stars: int, customer: str | None = None) -> list[str]:
        """One order of these products, fulfilled, and a review of each with `stars`; the reviews' ids."""
        self.orders += 1
        order_id, customer_id = f"o-{self.orders}", customer or f"c-{self.orders}"
        items = [{"product_id": p, "title": f"Product {p}", "quantity": 1, "price": "10.00"} for p in products]
        for kind, at in (("order.created", None), ("order.fulfilled", FULFILLED)):
            extra = {"timestamp": at} if at else {}
            self.deliver(signers.generic_event(kind, order_id, customer_id, items=items, **extra))
        token = review_token(self.shop_id, order_id, products)
        ids = []
        for product in products:
            body = {"token": token, "product_id": product, "rating": stars, "title": "Mine", "body": "Worn daily."}
            response = self.api.request("POST", "/reviews", body)
            assert response.status_code == 201, response.body
            ids.append(response.json["review_id"])
        return ids

    def owner(self, method: str, path: str, body: Any = None) -> Any:
        return self.api.request(method, f"/shops/{self.shop_id}{path}", body, token=self.key)

    def run_due(self, at: datetime | None = None) -> dict[str, Any]:
        if at is not None:
            self.monkeypatch.setattr(clock, "now", lambda: at)
        response = self.api.request("POST", "/admin/run-due", token=ADMIN_TOKEN)
        assert response.status_code == 200, response.body
        return response.json

    def stars(self, product: str) -> dict[str, Any]:
        return self.store.products[gid(product)]["metafields"]

    def parked(self) -> list[dict[str, Any]]:
        return self.owner("GET", "/parked").json["parked"]

    def markers(self, table: Any) -> list[dict[str, Any]]:
        return [i for p in PRODUCTS if (i := table.get(keys.ratings_due_key(self.shop_id, p), consistent=True))]


@pytest.fixture
def shop(api, shopify, outbox, monkeypatch):
    return StarShop(api, shopify, monkeypatch, PRODUCTS)


def failures_by_kind(monkeypatch: Any) -> list[str]:
    """The kinds of the failed store calls, as each is counted (the StoreCallFailed metric, its log line)."""
    from chalicelib.connections import api as store_api_module

    kinds: list[str] = []
    record = store_api_module.record_failure

    def counted(table: Any, shop_id: str, what: str, kind: str, reason: str, **options: Any) -> None:
        kinds.append(kind)
        record(table, shop_id, what, kind, reason, **options)

    monkeypatch.setattr(store_api_module, "record_failure", counted)
    return kinds


def test_published_reviews_are_written_as_the_products_rating_and_count(shop, shopify):
    # Given a connected Shopify shop with reviews of two products (the average of 5, 4 and 4 is 4.33)
    shop.connect()
    shop.review([PRODUCTS[0], PRODUCTS[1]], 5)
    shop.review([PRODUCTS[0]], 4)
    shop.review([PRODUCTS[0]], 4)
    # When the due work runs
    ran = shop.run_due()
    # Then the store's products carry the standard metafields equal to the published reviews
    assert ran["ran"]["store_ratings"] == 2
    assert shop.stars(PRODUCTS[0]) == {"reviews.rating": rating("4.33"), "reviews.rating_count": count(3)}
    assert shop.stars(PRODUCTS[1]) == {"reviews.rating": rating("5.0"), "reviews.rating_count": count(1)}
    assert shop.stars(PRODUCTS[2]) == {}
    # In one metafieldsSet call, and nothing is left to do: a second run calls nothing
    assert len(shopify.calls("metafieldsSet")) == 1
    shop.run_due()
    assert len(shopify.calls("metafieldsSet")) == 1


def test_a_review_waiting_for_the_owner_counts_once_published(shop):
    shop.connect()
    shop.review([PRODUCTS[0]], 5)
    (pending,) = shop.review([PRODUCTS[0]], 2)  # unhappy: the owner sees it first
    shop.run_due()
    assert shop.stars(PRODUCTS[0])["reviews.rating_count"] == count(1)
    # When the owner publishes it
    assert shop.owner("POST", f"/reviews/{pending}/publish").status_code == 200
    shop.run_due()
    # Then the store's stars count it
    assert shop.stars(PRODUCTS[0]) == {"reviews.rating": rating("3.5"), "reviews.rating_count": count(2)}


def test_a_rejected_review_leaves_the_stars_and_the_last_one_removes_them(shop, shopify):
    shop.connect()
    (first,) = shop.review([PRODUCTS[0]], 5)
    (second,) = shop.review([PRODUCTS[0]], 4)
    shop.run_due()
    assert shop.stars(PRODUCTS[0])["reviews.rating"] == rating("4.5")
    # When the owner rejects one published review
    assert shop.owner("POST", f"/reviews/{second}/reject").status_code == 200
    shop.run_due()
    # Then the store's stars are the other one's
    assert shop.stars(PRODUCTS[0]) == {"reviews.rating": rating("5.0"), "reviews.rating_count": count(1)}
    # And when the last one goes, both metafields are deleted from the product
    assert shop.owner("POST", f"/reviews/{first}/reject").status_code == 200
    shop.run_due()
    assert shop.stars(PRODUCTS[0]) == {}
    (deleted,) = shopify.calls("metafieldsDelete")
    assert deleted["metafields"] == [
        {"ownerId": gid(PRODUCTS[0]), "namespace": "reviews", "key": "rating"},
        {"ownerId": gid(PRODUCTS[0]), "namespace": "reviews", "key": "rating_count"},
    ]


def test_a_customers_erasure_keeps_their_review_counted_and_the_stars_as_they_are(shop, shopify, monkeypatch, table):
    # Given a connected shop whose stars count a review by customer c-erased
    monkeypatch.setattr("chalicelib.privacy.INLINE_SECONDS", 60.0)
    shop.connect()
    shop.review([PRODUCTS[0]], 5, customer="c-erased")
    shop.review([PRODUCTS[0]], 3)  # pending: not counted
    shop.run_due()
    before = dict(shop.stars(PRODUCTS[0]))
    # When the customer's erasure is asked
    now = clock.iso()
    shop.deliver({"type": "customer.redact", "timestamp": now, "data": {"customer_id": "c-erased"}})
    shop.run_due()
    # Then their review stays published and counted (only its author is forgotten): the stars do not move
    assert before == {"reviews.rating": rating("5.0"), "reviews.rating_count": count(1)}
    assert shop.stars(PRODUCTS[0]) == before
    assert shop.markers(table) == []


def test_thirty_products_are_written_in_three_calls_of_at_most_25_metafields(api, shopify, outbox, monkeypatch):
    products = [str(8123456701000 + n) for n in range(30)]
    shop = StarShop(api, shopify, monkeypatch, products)
    shop.connect()
    shop.review(products, 5)
    shop.run_due()
    calls = shopify.calls("metafieldsSet")
    assert [len(c["metafields"]) for c in calls] == [24, 24, 12]
    written = {m["ownerId"] for c in calls for m in c["metafields"]}
    assert written == {gid(p) for p in products}
    assert all(shop.stars(p)["reviews.rating_count"] == count(1) for p in products)


def test_a_product_deleted_in_the_store_is_skipped_and_the_others_written_in_the_same_run(shop, shopify, table):
    shop.connect()
    shop.review(PRODUCTS, 4)
    del shop.store.products[gid(PRODUCTS[1])]  # the owner deleted it in Shopify
    shop.run_due()
    # Then the first call was refused on that product's ownerId, and the rest sent again at once
    first, second = shopify.calls("metafieldsSet")
    assert len(first["metafields"]) == 6 and len(second["metafields"]) == 4
    assert gid(PRODUCTS[1]) not in {m["ownerId"] for m in second["metafields"]}
    assert shop.stars(PRODUCTS[0])["reviews.rating"] == rating("4.0")
    assert shop.stars(PRODUCTS[2])["reviews.rating_count"] == count(1)
    # And no marker is left: the deleted product is not tried again, nor parked
    assert shop.markers(table) == []
    assert shop.parked() == []
    shop.run_due()
    assert len(shopify.calls("metafieldsSet")) == 2


def test_a_throttled_store_is_asked_again_after_its_wait(shop, shopify, monkeypatch, table):
    kinds = failures_by_kind(monkeypatch)
    shop.connect()
    shop.review([PRODUCTS[0]], 5)
    shop.store.available = 0.0  # Shopify's cost bucket is empty
    start = clock.now()
    shop.run_due(at=start)
    assert shop.stars(PRODUCTS[0]) == {}
    (marker,) = shop.markers(table)
    assert marker["due_attempts"] == 1 and "slow down" not in marker["due_reason"]
    assert "cost limit" in marker["due_reason"]
    assert kinds == ["throttled"]
    # The failure is counted on the connection, shown with the connect page's data
    connection = table.get(keys.connection_key(shop.shop_id), consistent=True)
    assert connection["failure_count"] == 1 and connection["last_failure"]["kind"] == "throttled"
    # When the bucket has refilled and the run comes after the wait
    shop.store.available = MAXIMUM_AVAILABLE
    shop.run_due(at=start + timedelta(seconds=30))  # before the wait: nothing is asked
    assert len(shopify.calls("metafieldsSet")) == 1
    shop.run_due(at=start + timedelta(minutes=3))
    assert shop.stars(PRODUCTS[0])["reviews.rating"] == rating("5.0")
    assert shop.markers(table) == []


def test_a_429_waits_at_least_its_retry_after(shop, shopify):
    shop.connect()
    shop.review([PRODUCTS[0]], 5)
    shopify.fail_next.append((429, {"Retry-After": "600"}))
    start = clock.now()
    shop.run_due(at=start)
    shop.run_due(at=start + timedelta(minutes=5))  # the backoff's first wait is over, the store's is not
    assert len(shopify.calls("metafieldsSet")) == 1 and shop.stars(PRODUCTS[0]) == {}  # the one answered 429
    shop.run_due(at=start + timedelta(minutes=11))
    assert len(shopify.calls("metafieldsSet")) == 2
    assert shop.stars(PRODUCTS[0])["reviews.rating_count"] == count(1)


def test_a_store_that_keeps_failing_is_put_off_then_parked_with_its_reason(shop, shopify, table):
    from chalicelib.backoff import STORE_RATINGS

    shop.connect()
    shop.review([PRODUCTS[0]], 5)
    moment = clock.now()
    for attempt in range(1, STORE_RATINGS.attempts + 1):
        shopify.fail_next.append((503, {}))
        shop.run_due(at=moment)
        wait = STORE_RATINGS.wait_after(attempt)
        if wait is not None:
            assert shop.parked() == []
            moment += wait + timedelta(seconds=1)
    # Then after the last attempt the product is parked with the store's answer as its reason
    (parked,) = shop.parked()
    assert parked["job"] == "store_ratings" and parked["which"] == f"product {PRODUCTS[0]}"
    assert "503" in parked["reason"] and parked["attempts"] == STORE_RATINGS.attempts
    assert shop.markers(table)[0]["due_state"] == "failed"
    # And it is no longer due: a later run asks nothing
    calls = len(shopify.requests)
    shop.run_due(at=moment + timedelta(days=1))
    assert len(shopify.requests) == calls
    # Until the owner retries it, once the store is back
    assert shop.owner("POST", "/parked/retry", {"entry": parked["entry"]}).status_code in (200, 204)
    shop.run_due(at=moment + timedelta(days=1))
    assert shop.stars(PRODUCTS[0])["reviews.rating_count"] == count(1)


def test_a_revoked_token_parks_the_products_at_once_and_counts_the_failure(shop, shopify, table, monkeypatch):
    kinds = failures_by_kind(monkeypatch)
    shop.connect()
    shop.review([PRODUCTS[0], PRODUCTS[1]], 5)
    shopify.tokens.pop(TOKEN)  # the owner uninstalled the app: the token is revoked
    shop.run_due()
    parked = shop.parked()
    assert sorted(p["which"] for p in parked) == [f"product {PRODUCTS[0]}", f"product {PRODUCTS[1]}"]
    assert all(p["reason"].startswith("the store refused the credential") for p in parked)
    connection = table.get(keys.connection_key(shop.shop_id), consistent=True)
    assert connection["failure_count"] == 1 and connection["last_failure"]["kind"] == "refused"
    assert kinds == ["refused"]
    assert TOKEN not in json.dumps(parked) and TOKEN not in json.dumps(connection, default=str)


def test_one_shops_failure_does_not_stop_anothers_stars(api, shopify, outbox, monkeypatch, table):
    from chalicelib.connections import sealing
    from chalicelib.store.connections import put_connection

    # Given two connected Shopify shops with a review each, the first one's due first
    first = StarShop(api, shopify, monkeypatch, PRODUCTS)
    first.connect()
    second = StarShop(api, shopify, monkeypatch, PRODUCTS, domains=["second-shop.example"])
    # (the test's DNS knows one Shopify store: the second shop's connection points at it, written as connect would)
    sealed = sealing.seal(second.shop_id, "shopify", {"access_token": TOKEN})
    put_connection(
        table,
        second.shop_id,
        {
            "platform": "shopify",
            "store": SHOPIFY_DOMAIN,
            "api_host": SHOPIFY_DOMAIN,
            "scopes": ALL_SCOPES,
            "missing_scopes": [],
            "sealed": sealed,
            "scheme": sealing.SCHEME,
        },
    )
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    first.review([PRODUCTS[0]], 5)
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(seconds=1))
    second.review([PRODUCTS[1]], 4)
    # When the store answers the first shop's call with a 500
    shopify.fail_next.append((500, {}))
    first.run_due(at=start + timedelta(seconds=2))
    # Then the first shop's product is put off, and the second shop's written in the same run
    assert [m["due_attempts"] for m in first.markers(table)] == [1]
    assert second.markers(table) == []
    assert first.stars(PRODUCTS[1]) == {"reviews.rating": rating("4.0"), "reviews.rating_count": count(1)}
    assert first.stars(PRODUCTS[0]) == {}
    # And the first shop's stars are written once its wait is over
    first.run_due(at=start + timedelta(minutes=3))
    assert first.stars(PRODUCTS[0])["reviews.rating_count"] == count(1)


def test_a_shop_without_a_connection_asks_the_store_nothing_and_keeps_no_marker(shop, shopify, table):
    shop.review([PRODUCTS[0]], 5)
    shop.run_due()
    assert shopify.requests == []
    assert shop.markers(table) == []


def test_a_connection_without_write_products_asks_nothing(shop, shopify, table):
    shop.store.scopes = ["read_orders", "read_products", "write_discounts"]
    response = connect(shop.api, (shop.shop_id, shop.key), {"shopify": {"access_token": TOKEN}})
    assert response.json["missing_scopes"][0]["scope"] == "write_products"
    shop.review([PRODUCTS[0]], 5)
    shop.run_due()
    assert shopify.calls("metafieldsSet") == [] and shop.markers(table) == []


def test_a_generic_shop_keeps_no_marker(api, outbox, table):
    from tests.unit.review_support import ReviewShop

    generic = ReviewShop(api, outbox)
    generic.fulfilled_order()
    token = review_token(generic.shop_id, "o-1", ["p-mug"])
    body = {"token": token, "product_id": "p-mug", "rating": 5, "title": "Good", "body": "Keeps coffee hot."}
    assert api.request("POST", "/reviews", body).status_code == 201
    assert table.get(keys.ratings_due_key(generic.shop_id, "p-mug")) is None
    assert table.get(keys.product_stats_key(generic.shop_id, "p-mug"))["review_count"] == 1


def test_the_stand_in_refuses_a_rating_off_its_scale(shopify):
    from tests.stand_ins.shopify_metafields import metafields_set

    store = shopify.tokens[TOKEN]
    store.products[gid("1")] = {"metafields": {}}
    bad = {"value": "6", "scale_min": "1", "scale_max": "5"}
    answer = metafields_set(
        store,
        {
            "metafields": [
                {
                    "ownerId": gid("1"),
                    "namespace": "reviews",
                    "key": "rating_count",
                    "type": "number_integer",
                    "value": "2",
                },
                {
                    "ownerId": gid("1"),
                    "namespace": "reviews",
                    "key": "rating",
                    "type": "rating",
                    "value": json.dumps(bad),
                },
            ]
        },
    )
    assert answer["userErrors"][0]["field"] == ["metafields", "1", "value"]
    assert store.products[gid("1")]["metafields"] == {}  # atomic: none set


@pytest.mark.parametrize("when", [datetime(2030, 1, 1, tzinfo=UTC)])
def test_a_marker_is_one_per_product_and_marking_again_moves_it(shop, table, monkeypatch, when):
    shop.review([PRODUCTS[0]], 5)
    (first,) = shop.markers(table)
    monkeypatch.setattr(clock, "now", lambda: when)
    shop.review([PRODUCTS[0]], 4)
    (moved,) = shop.markers(table)
    assert moved["GSI1SK"].startswith(clock.iso(when)) and moved["mark"] != first["mark"]


def test_a_reviews_marker_rides_in_its_transaction_no_dynamodb_call_is_added(api, shopify, outbox, monkeypatch, table):
    from bench.ddb_calls import CallCounter
    from tests.unit.review_support import ReviewShop

    def submission_calls(shop_id: str, order_id: str, product: str) -> dict[str, int]:
        token = review_token(shop_id, order_id, [product])
        body = {"token": token, "product_id": product, "rating": 5, "title": "Good", "body": "Keeps coffee hot."}
        counter = CallCounter(table.client)
        assert api.request("POST", "/reviews", body).status_code == 201
        return dict(counter.calls)

    generic = ReviewShop(api, outbox)
    generic.fulfilled_order()
    starred = StarShop(api, shopify, monkeypatch, PRODUCTS)
    starred.connect()
    items = [{"product_id": PRODUCTS[0], "title": "Trail Mug", "quantity": 1, "price": "10.00"}]
    for kind, extra in (("order.created", {}), ("order.fulfilled", {"timestamp": FULFILLED})):
        starred.deliver(signers.generic_event(kind, "o-1", "c-1", items=items, **extra))
    # The same review in a generic shop and in a Shopify shop (whose transaction also puts the product's marker)
    with_marker = submission_calls(starred.shop_id, "o-1", PRODUCTS[0])
    without = submission_calls(generic.shop_id, "o-1", "p-mug")
    # Then the calls are the same; the Shopify shop's transaction writes one item more, the marker
    assert {k: v for k, v in with_marker.items() if not k.startswith("~")} == {
        k: v for k, v in without.items() if not k.startswith("~")
    }
    assert with_marker["~items written"] == without["~items written"] + 1
    assert len(starred.markers(table)) == 1


def test_imported_reviews_reach_the_stores_stars(api, shopify, outbox, monkeypatch):
    from tests.signers import FIXTURES

    socks = "8123456733184"
    shop = StarShop(api, shopify, monkeypatch, [PRODUCTS[0], socks])
    shop.connect()
    # When a Judge.me export is imported (two published reviews of the pack, 5 and 3; one of the socks, 4)
    response = api.request(
        "POST",
        f"/shops/{shop.shop_id}/reviews/import?format=judgeme&dry_run=false",
        raw=(FIXTURES / "judgeme_export.csv").read_bytes(),
        headers={"Content-Type": "text/csv"},
        token=shop.key,
    )
    assert response.status_code == 200 and response.json["imported"] == 4, response.body
    shop.run_due()
    # Then the store's stars are the published ones (the spam row is not published)
    assert shop.stars(PRODUCTS[0]) == {"reviews.rating": rating("4.0"), "reviews.rating_count": count(2)}
    assert shop.stars(socks) == {"reviews.rating": rating("4.0"), "reviews.rating_count": count(1)}


def test_reviews_from_before_the_connection_reach_the_store_when_it_connects(shop, table):
    # Given reviews published while the shop had no connection (their markers dropped by the due work)
    shop.review([PRODUCTS[0], PRODUCTS[1]], 5)
    shop.review([PRODUCTS[0]], 3)  # pending: not published
    shop.run_due()
    assert shop.markers(table) == []
    # When the shop connects with a token that may write products: every product with published reviews is due
    shop.connect()
    assert len(shop.markers(table)) == 2
    shop.run_due()
    # Then the store has every product's stars
    assert shop.stars(PRODUCTS[0]) == {"reviews.rating": rating("5.0"), "reviews.rating_count": count(1)}
    assert shop.stars(PRODUCTS[1]) == {"reviews.rating": rating("5.0"), "reviews.rating_count": count(1)}
