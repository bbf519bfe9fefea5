"""Erasing a customer: their name, email and email hash leave every item, page, export and waiting event,
while every count stays exactly what it was."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from chalicelib.reviews.tokens import review_token
from chalicelib.signing import keyed_hash
from chalicelib.store import keys
from tests import signers
from tests.conftest import ADMIN_TOKEN
from tests.signers import fixture
from tests.unit.review_support import ReviewShop
from tests.unit.sharing_support import CHROME, SAFARI
from tests.unit.webhook_support import ShopifyStore

NAME = "Ottilie Vandersloot"
EMAIL = "Ottilie.Vandersloot@example.org"
CUSTOMER = "c-4471"
FRIEND = "c-5502"
CRAWLER = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
NOW = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def erased_strings(name: str = NAME, email: str = EMAIL) -> list[str]:
    """Everything that could name them: the name, its parts (so "Ottilie V." counts), email, email hash."""
    return [name, *name.split(), email, keyed_hash("email", email.lower())]


def scan(table: Any) -> dict[tuple[str, str], str]:
    """Test only (no request path scans): every item of the table as text, by key."""
    items: dict[tuple[str, str], str] = {}
    request: dict[str, Any] = {"TableName": table.name}
    while True:
        page = table.client.scan(**request)
        for item in page["Items"]:
            items[(item["PK"]["S"], item["SK"]["S"])] = json.dumps(item, sort_keys=True, ensure_ascii=False)
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _without_delivery_health(items: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    return {key: item for key, item in items.items() if not key[1].startswith("DELIVERY#")}


def leaks(where: str | dict[tuple[str, str], str] | Any, needles: list[str]) -> list[str]:
    """Where any erased string still appears: in a text, in scanned items, or in the whole table."""
    lowered = [n.lower() for n in needles]
    if isinstance(where, str):
        return [n for n in lowered if n in where.lower()]
    stored = where if isinstance(where, dict) else scan(where)
    return sorted(f"{pk} {sk}: {n}" for (pk, sk), text in stored.items() for n in lowered if n in text.lower())


def waiting_events(stored: dict[tuple[str, str], str]) -> int:
    return sum(1 for (_, sk), text in stored.items() if sk.startswith("OUTEVT#") and "delivered_at" not in text)


@contextmanager
def one_write_at_a_time(table: Any, monkeypatch: Any) -> Any:
    """Seeding only: moto copies the whole table once per action of a transaction, so 250 orders written
    through the intake's transactions take seconds each; writing the same operations one by one does not."""
    with monkeypatch.context() as patch:
        patch.setattr(table, "transact", lambda operations: [table.apply(op) for op in operations])
        yield


def seed_orders(table: Any, shop_id: str, order_ids: list[str], monkeypatch: Any, **data: Any) -> None:
    """Orders through the same intake code a signed generic webhook reaches, without 250 HTTP round trips."""
    from chalicelib.intake import apply_events
    from chalicelib.store.shop_records import Shop
    from chalicelib.webhooks.standard import to_events

    shop = Shop.from_item(table.get(keys.shop_key(shop_id)))
    with one_write_at_a_time(table, monkeypatch):
        for order_id in order_ids:
            body = signers.generic_event("order.created", order_id, CUSTOMER, name=NAME, email=EMAIL, **data)
            assert apply_events(table, shop, to_events(body)) == ["applied"]


def send_generic(shop: ReviewShop, payload: dict[str, Any]) -> Any:
    raw = json.dumps(payload).encode()
    return shop.api.request(
        "POST",
        f"/webhooks/generic/{shop.shop_id}",
        raw=raw,
        headers=signers.standard_headers(shop.shop["webhook_secret"], raw),
    )


def redact(shop: ReviewShop, customer_id: str = CUSTOMER) -> Any:
    return send_generic(shop, {"type": "customer.redact", "timestamp": NOW, "data": {"customer_id": customer_id}})


class ErasureShop:
    """A shop whose customer has a published happy review, a pending one, a share code that was shared,
    clicked and previewed, a referred friend, events waiting for the owner's endpoint, and many orders."""

    def __init__(self, api: Any, outbox: Any, table: Any, monkeypatch: Any, orders: int) -> None:
        self.shop = shop = ReviewShop(api, outbox)
        self.api = api
        home = shop.shop["domains"][0]
        events = ["review.published", "share.recorded", "referral.confirmed", "referral.reversed"]
        # Loopback is allowed in development; nothing listens on port 9, so every event keeps waiting.
        endpoint = {"url": "http://127.0.0.1:9/hooks", "events": events}
        assert shop.owner("PUT", "/webhook-endpoint", endpoint).status_code == 200
        items = [
            {
                "product_id": "p-mug",
                "title": "Trail Mug",
                "quantity": 1,
                "price": "29.50",
                "url": f"https://{home}/products/trail-mug",
                "image_url": f"https://{home}/img/mug.jpg",
            },
            {"product_id": "p-cap", "title": "Summit Cap", "quantity": 1, "price": "19.00"},
        ]
        personal = {
            "name": NAME,
            "email": EMAIL,
            "landing_url": f"https://{home}/?utm_source=newsletter&subscriber={NAME.replace(' ', '+')}",
            "discount_codes": ["OTTILIE10"],
        }
        # Some orders through the real HTTP API (signed generic webhooks)...
        for order_id in ("o-0001", "o-0002", "o-0003"):
            shop.fulfilled_order(order_id, CUSTOMER, items=items, **personal)
        # ...and the rest through the same intake code.
        seed_orders(table, shop.shop_id, [f"o-{n:04d}" for n in range(4, orders + 1)], monkeypatch)
        self.review = self._review("o-0001", "p-mug", 5, "Best mug", "Keeps coffee hot for hours on the trail.")
        self.code = self.review["share"]["code"]
        self._review("o-0002", "p-cap", 2, "Too small", "The cap runs small and the seam rubs.")  # waits for the owner
        assert self.share("whatsapp").status_code == 302
        assert self.click().status_code == 302
        assert self.preview().status_code == 200
        landing = f"https://{home}/?ref={self.code}"
        shop.deliver(
            "order.created", "f-1", FRIEND, name="Bruno Feld", email="bruno@example.net", landing_url=landing,
            created_at=NOW, timestamp=NOW, total="80.00",
        )  # fmt: skip

    def _review(self, order_id: str, product_id: str, rating: int, title: str, body: str) -> dict[str, Any]:
        response = self.api.request(
            "POST",
            "/reviews",
            {
                "token": review_token(self.shop.shop_id, order_id, [product_id]),
                "product_id": product_id,
                "rating": rating,
                "title": title,
                "body": body,
            },
        )
        assert response.status_code == 201, response.body
        return response.json

    def click(self, ip: str = "198.51.100.7") -> Any:
        return self.api.request("GET", f"/s/{self.code}", headers={"User-Agent": CHROME, "X-Forwarded-For": ip})

    def share(self, channel: str) -> Any:
        headers = {"User-Agent": SAFARI, "X-Forwarded-For": "203.0.113.9"}
        return self.api.request("GET", f"/share/{self.code}/{channel}", headers=headers)

    def preview(self) -> Any:
        return self.api.request("GET", f"/s/{self.code}", headers={"User-Agent": CRAWLER})

    def answers(self) -> dict[str, str]:
        """Every answer a person, a crawler or the owner can get that could name the customer."""
        owner = self.shop.owner
        return {
            "public reviews": self.api.request("GET", f"/shops/{self.shop.shop_id}/products/p-mug/reviews").body,
            "widget ratings": self.api.request("GET", f"/shops/{self.shop.shop_id}/ratings?products=p-mug,p-cap").body,
            "preview page": self.preview().body,
            "pending reviews": owner("GET", "/reviews?status=pending").body,
            "review export": owner("GET", "/reviews/export.csv").body,
            "data export": owner("GET", f"/customers/{CUSTOMER}/data").body,
            "report": owner("GET", "/report").body,
            "report csv": owner("GET", "/report.csv").body,
            "advocates": owner("GET", "/advocates").body,
        }


def decoded(answers: dict[str, Any]) -> dict[str, str]:
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in answers.items()}


def counts(shop: ErasureShop) -> dict[str, Any]:
    report = shop.shop.owner("GET", "/report").json
    advocates = shop.shop.owner("GET", "/advocates").json["advocates"]
    return {
        "funnel": report["funnel"],
        "rates": report["rates"],
        "series": report["series"],
        "advocates": [{k: v for k, v in a.items() if k != "name"} for a in advocates],
        "aggregate": shop.api.request("GET", f"/shops/{shop.shop.shop_id}/products/p-mug/reviews").json["aggregate"],
    }


@contextmanager
def counted_calls(table: Any) -> Any:
    """How many DynamoDB requests the app makes meanwhile (round trips, whatever moto's speed)."""
    calls: list[str] = []
    client = table.client
    original = client._make_api_call

    def counting(operation: str, params: dict[str, Any]) -> Any:
        calls.append(operation)
        return original(operation, params)

    client._make_api_call = counting
    try:
        yield calls
    finally:
        client._make_api_call = original


def test_erasure_of_a_customer_with_share_codes_previews_pending_events_and_250_orders(api, outbox, table, monkeypatch):
    # Given a customer with 250 orders, reviews, a shared, clicked and previewed code, and events waiting
    monkeypatch.setattr("chalicelib.privacy.INLINE_SECONDS", 60.0)  # moto's transactions are ~100x DynamoDB's
    shop = ErasureShop(api, outbox, table, monkeypatch, orders=250)
    strings = erased_strings()
    assert len(table.get(keys.customer_key(shop.shop.shop_id, CUSTOMER))["order_ids"]) == 250
    named = decoded(shop.answers())
    assert "Ottilie V. rated" in named["preview page"]
    assert all(leaks(named[k], strings) for k in ("public reviews", "pending reviews", "review export", "data export"))
    stored = scan(table)
    assert leaks(stored, strings)  # the scan does find them while they are stored
    waiting = waiting_events(stored)
    assert waiting >= 3  # review.published, share.recorded, referral.confirmed
    before = counts(shop)

    # When the shop's platform asks to erase them
    with counted_calls(table) as calls:
        response = redact(shop.shop)

    # Then the answer is quick: a few batched round trips, not one per order
    assert response.status_code == 200, response.body
    assert response.json["outcomes"] == ["applied"]
    assert len(calls) <= 15, calls
    # (a) no item of the table holds them any more, and every event still waits to go out
    stored = scan(table)
    assert leaks(stored, strings) == []
    assert waiting_events(stored) == waiting
    # (c) every count is exactly what it was
    assert counts(shop) == before
    # (b) no answer names them
    answers = decoded(shop.answers())
    assert {k: leaks(v, strings) for k, v in answers.items() if leaks(v, strings)} == {}
    assert "A customer rated Trail Mug" in answers["preview page"]
    assert '"author":"Anonymous"' in answers["public reviews"]
    # and the share link still works and counts
    assert shop.click(ip="198.51.100.44").status_code == 302
    assert counts(shop)["funnel"]["clicks"]["total"] == before["funnel"]["clicks"]["total"] + 1
    # (d) a second erasure is harmless
    settled = scan(table)
    with counted_calls(table) as calls:
        assert redact(shop.shop).status_code == 200
    # nothing is written but the console's note that a delivery came (one UpdateItem on its health item)
    assert [c for c in calls if c in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")] == ["UpdateItem"]
    assert _without_delivery_health(scan(table)) == _without_delivery_health(settled)


def test_an_erasure_the_webhook_cannot_finish_in_time_is_finished_by_the_due_work(api, outbox, table, monkeypatch):
    # Given a customer with more orders than one batch, and no time left after the first batch
    shop = ErasureShop(api, outbox, table, monkeypatch, orders=110)
    monkeypatch.setattr("chalicelib.privacy.INLINE_SECONDS", 0.0)
    before = counts(shop)

    # When the erasure is asked for
    assert redact(shop.shop).status_code == 200

    # Then what anyone can see is erased at once, and the orders left wait on the due index
    listing = api.request("GET", f"/shops/{shop.shop.shop_id}/products/p-mug/reviews").body.decode()
    assert leaks(listing, erased_strings()) == []
    left = leaks(table, erased_strings())
    assert left and all(" ORDER#o-01" in line for line in left)  # the orders after the first hundred
    customer = table.get(keys.customer_key(shop.shop.shop_id, CUSTOMER))
    assert customer[keys.GSI1PK] == "CUSTREDACT" and "name" not in customer

    # And the due work finishes it and leaves nothing waiting; the counts never moved
    response = api.request("POST", "/admin/run-due", token=ADMIN_TOKEN)
    assert response.status_code == 200 and response.json["ran"]["shop_redactions"] == 1
    assert leaks(table, erased_strings()) == []
    assert keys.GSI1PK not in table.get(keys.customer_key(shop.shop.shop_id, CUSTOMER))
    after = counts(shop)
    assert (after["funnel"], after["aggregate"]) == (before["funnel"], before["aggregate"])
    assert api.request("POST", "/admin/run-due", token=ADMIN_TOKEN).json["ran"]["shop_redactions"] == 0


def test_an_erasure_that_failed_midway_completes_when_delivered_again(api, outbox, table, monkeypatch):
    from tests.faults import dynamodb_errors

    # Given a customer with 110 orders, and a database that fails the erasure's second batch
    monkeypatch.setattr("chalicelib.privacy.INLINE_SECONDS", 60.0)
    shop = ErasureShop(api, outbox, table, monkeypatch, orders=110)
    before = counts(shop)
    with dynamodb_errors(table.client, "TransactWriteItems", code="InternalServerError", status=500, skip=1):
        failed = redact(shop.shop)
    assert failed.status_code >= 500
    assert leaks(table, erased_strings())  # part-done

    # When the platform delivers the request again
    assert redact(shop.shop).status_code == 200

    # Then it is complete, and nothing was counted twice
    assert leaks(table, erased_strings()) == []
    assert counts(shop) == before


def test_shopify_customers_redact_erases_the_share_preview_and_the_orders_named(api, table):
    # Given a Shopify buyer with a happy review and a share link a crawler previewed
    store = ShopifyStore(api)
    order = fixture("shopify_order.json")
    order["fulfillment_status"] = "fulfilled"
    order["fulfillments"] = [{"id": 5100000001, "status": "success", "created_at": "2026-11-04T09:00:00-05:00"}]
    assert store.send("orders/fulfilled", order).status_code == 200
    product_id = str(order["line_items"][0]["product_id"])
    response = api.request(
        "POST",
        "/reviews",
        {
            "token": review_token(store.shop_id, str(order["id"]), [product_id]),
            "product_id": product_id,
            "rating": 5,
            "title": "Great pack",
            "body": "Carried it up three peaks this autumn.",
        },
    )
    assert response.status_code == 201, response.body
    code = response.json["share"]["code"]
    customer = order["customer"]
    name = f"{customer['first_name']} {customer['last_name']}"
    assert label_in(api, code, customer)
    label = f"{customer['first_name']} {customer['last_name'][0]}."
    strings = [name, label, customer["email"], keyed_hash("email", customer["email"].lower())]

    # When Shopify sends customers/redact
    assert store.send("customers/redact", store.privacy_body("shopify_customers_redact.json")).status_code == 200

    # Then the preview names nobody, the review is anonymous, and no item holds them
    page = api.request("GET", f"/s/{code}", headers={"User-Agent": CRAWLER}).body.decode()
    assert "A customer rated" in page and leaks(page, strings) == []
    listing = api.request("GET", f"/shops/{store.shop_id}/products/{product_id}/reviews").json
    assert [r["author"] for r in listing["reviews"]] == ["Anonymous"]
    assert leaks(table, strings) == []


def test_a_guest_buyer_is_erased_too_when_shopify_names_their_account(api, table):
    # Given a buyer who checked out as a guest (kept under an id derived from the email), with a happy review
    store = ShopifyStore(api)
    order = fixture("shopify_order.json")
    order["customer"] = None
    order["fulfillment_status"] = "fulfilled"
    order["billing_address"] = {"first_name": "Ana", "last_name": "Lima"}
    assert store.send("orders/fulfilled", order).status_code == 200
    product_id = str(order["line_items"][0]["product_id"])
    review = {
        "token": review_token(store.shop_id, str(order["id"]), [product_id]),
        "product_id": product_id,
        "rating": 5,
        "title": "Great pack",
        "body": "Carried it up three peaks this autumn.",
    }
    assert api.request("POST", "/reviews", review).status_code == 201
    email = order["email"]
    assert leaks(table, [keyed_hash("email", email.lower())])  # the guest's record holds the matching hash

    # When Shopify's customers/redact names the account id the buyer has since, their email and the order
    assert store.send("customers/redact", store.privacy_body("shopify_customers_redact.json")).status_code == 200

    # Then the guest record, its reviews and the order are erased as well
    assert leaks(table, [email, keyed_hash("email", email.lower())]) == []
    listing = api.request("GET", f"/shops/{store.shop_id}/products/{product_id}/reviews").json
    assert [r["author"] for r in listing["reviews"]] == ["Anonymous"]


def label_in(api: Any, code: str, customer: dict[str, Any]) -> bool:
    page = api.request("GET", f"/s/{code}", headers={"User-Agent": CRAWLER}).body.decode()
    return f"{customer['first_name']} {customer['last_name'][0]}. rated" in page
