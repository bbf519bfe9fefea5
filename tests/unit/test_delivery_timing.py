"""Review requests timed by delivery, on every platform, and the buyer's "Not arrived yet?" link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import clock
from chalicelib.reviews.tokens import review_token
from tests import signers
from tests.unit.review_support import ReviewShop, text_part
from tests.unit.webhook_support import ShopifyStore, WooStore, order_item, totals

# This module runs its own calendar: the order is fulfilled on a fixed day, and every moment it reads is given
# (run_due(now=...)) or pinned (clock.now), so no date here depends on today.
FULFILLED = "2026-11-06T10:00:00Z"
SENT = datetime(2026, 11, 14, 8, 0, tzinfo=UTC)
FORM = "application/x-www-form-urlencoded"


def by_delivery(api, outbox, **settings):
    shop = ReviewShop(api, outbox, review_after="delivery", review_delay_days=3, delivery_fallback_days=10, **settings)
    shop.deliver("order.created", "o-1")
    shop.deliver("order.fulfilled", "o-1", timestamp=FULFILLED)
    return shop


def request(table, shop_id, order_id="o-1"):
    order = order_item(table, shop_id, order_id)
    return order["request_status"], order["request_due_at"], order.get("request_basis")


def patch_settings(api, shop_id, key, **settings):
    return api.request("PATCH", f"/shops/{shop_id}", {"settings": settings}, token=key)


# --- generic senders ---------------------------------------------------------------------------------------
def test_without_a_reported_delivery_the_request_waits_for_the_assumed_one(api, table, outbox):
    shop = by_delivery(api, outbox)
    # fulfilled Nov 6 + 10 days assumed in transit + 3 days' delay
    assert request(table, shop.shop_id) == ("scheduled", "2026-11-19T10:00:00Z", "assumed_delivery")


def test_a_reported_delivery_moves_the_request_to_the_delivery_once(api, table, outbox):
    shop = by_delivery(api, outbox)
    shop.deliver("order.delivered", "o-1", timestamp="2026-11-08T15:30:00Z")
    assert request(table, shop.shop_id) == ("scheduled", "2026-11-11T15:30:00Z", "delivery")
    # The same delivery again, or a later one, changes nothing
    shop.deliver("order.delivered", "o-1", timestamp="2026-11-08T15:30:00Z")
    shop.deliver("order.delivered", "o-1", timestamp="2026-11-12T09:00:00Z")
    assert request(table, shop.shop_id) == ("scheduled", "2026-11-11T15:30:00Z", "delivery")
    assert order_item(table, shop.shop_id, "o-1")["delivered_at"] == "2026-11-08T15:30:00Z"


def test_a_delivery_reported_first_fulfils_and_schedules_from_itself(api, table, outbox):
    shop = ReviewShop(api, outbox, review_after="delivery", review_delay_days=2)
    shop.deliver("order.created", "o-1")
    shop.deliver("order.delivered", "o-1", timestamp="2026-11-09T08:00:00Z")
    assert request(table, shop.shop_id) == ("scheduled", "2026-11-11T08:00:00Z", "delivery")
    assert order_item(table, shop.shop_id, "o-1")["fulfilled_at"] == "2026-11-09T08:00:00Z"


def test_shops_timed_by_fulfilment_ignore_the_delivery(api, table, outbox):
    shop = ReviewShop(api, outbox, review_delay_days=3)  # review_after defaults to fulfillment
    shop.deliver("order.created", "o-1")
    shop.deliver("order.fulfilled", "o-1", timestamp=FULFILLED)
    shop.deliver("order.delivered", "o-1", timestamp="2026-11-12T09:00:00Z")
    assert request(table, shop.shop_id) == ("scheduled", "2026-11-09T10:00:00Z", "fulfillment")


def test_a_request_already_sent_is_not_moved_by_a_late_delivery(api, table, outbox):
    shop = by_delivery(api, outbox)
    assert shop.run_due() == 1  # sent on the assumed delivery
    shop.deliver("order.delivered", "o-1", timestamp="2026-11-25T10:00:00Z")
    assert order_item(table, shop.shop_id, "o-1")["request_status"] == "sent"


# --- Shopify ---------------------------------------------------------------------------------------------
@pytest.fixture
def shopify(api):
    store = ShopifyStore(api)
    response = patch_settings(api, store.shop_id, store.api_key, review_after="delivery", review_delay_days=3)
    assert response.status_code == 200, response.body
    return store


def shopify_order(**extra):
    return {
        **signers.fixture("shopify_order.json"),
        "fulfillments": [{"id": 1, "status": "success", "created_at": FULFILLED}],
        **extra,
    }


def test_shopify_tracking_events_move_the_request_only_when_delivered(shopify, table):
    order = shopify_order()
    assert shopify.send("orders/fulfilled", order).status_code == 200
    order_id = str(order["id"])
    assert request(table, shopify.shop_id, order_id)[2] == "assumed_delivery"

    tracking = {"id": 9, "fulfillment_id": 1, "order_id": order["id"], "created_at": "2026-11-07T08:00:00Z"}
    in_transit = shopify.send("fulfillment_events/create", {**tracking, "status": "in_transit"})
    assert in_transit.status_code == 200 and in_transit.json["status"] == "ignored"
    assert request(table, shopify.shop_id, order_id)[2] == "assumed_delivery"

    delivered = {**tracking, "id": 10, "status": "delivered", "happened_at": "2026-11-08T12:00:00-05:00"}
    assert shopify.send("fulfillment_events/create", delivered).status_code == 200
    assert request(table, shopify.shop_id, order_id) == ("scheduled", "2026-11-11T17:00:00Z", "delivery")


def test_shopify_order_whose_shipment_status_is_delivered(shopify, table):
    order = shopify_order()
    order["fulfillments"][0].update(shipment_status="delivered", updated_at="2026-11-08T09:00:00Z")
    assert shopify.send("orders/updated", order).status_code == 200
    assert request(table, shopify.shop_id, str(order["id"])) == ("scheduled", "2026-11-11T09:00:00Z", "delivery")


def test_shopify_tracking_event_of_another_shape_is_refused(shopify, table):
    response = shopify.send("fulfillment_events/create", {"status": "delivered", "order_id": {"x": 1}})
    assert response.status_code == 422 and response.json["error"]["code"] == "validation_failed"


# --- WooCommerce ---------------------------------------------------------------------------------------
def test_woocommerce_delivered_status_named_by_the_shop(api, table):
    store = WooStore(api)
    patch_settings(api, store.shop_id, store.api_key, review_after="delivery", delivered_status="arrived")
    order = {**signers.fixture("woocommerce_order.json"), "status": "completed"}
    assert store.send("order.updated", order).status_code == 200
    order_id = str(order["id"])
    assert request(table, store.shop_id, order_id)[2] == "assumed_delivery"
    arrived = {**order, "status": "arrived", "date_modified_gmt": "2026-11-20T10:00:00"}
    assert store.send("order.updated", arrived).status_code == 200
    assert request(table, store.shop_id, order_id) == ("scheduled", "2026-11-27T10:00:00Z", "delivery")


def test_woocommerce_without_a_delivered_status_never_reads_one(api, table):
    store = WooStore(api)
    patch_settings(api, store.shop_id, store.api_key, review_after="delivery", delivered_status="")
    order = {**signers.fixture("woocommerce_order.json"), "status": "completed"}
    store.send("order.updated", order)
    store.send("order.updated", {**order, "status": "delivered", "date_modified_gmt": "2026-11-20T10:00:00"})
    item = order_item(table, store.shop_id, str(order["id"]))
    assert "delivered_at" not in item and item["request_basis"] == "assumed_delivery"


@pytest.mark.parametrize(
    "settings",
    [{"review_after": "arrival"}, {"delivered_status": "Out For Delivery"}, {"delivery_fallback_days": 91}],
)
def test_bad_timing_settings_are_refused_beside_the_field(api, settings):
    body, key = api.create_shop()
    response = patch_settings(api, body["shop_id"], key, **settings)
    assert response.status_code == 422
    assert next(iter(settings)) in str(response.json["error"]["details"])


# --- "Not arrived yet?" ------------------------------------------------------------------------------------
@pytest.fixture
def sent(api, table, outbox):
    shop = ReviewShop(api, outbox, reminder_after_days=4)
    shop.fulfilled_order(fulfilled_at=FULFILLED)  # fulfilled Nov 6: asked on Nov 13
    assert shop.run_due(SENT) == 1  # the reminder is due Nov 18
    return shop


def test_every_request_email_offers_to_wait(sent):
    import re

    from chalicelib.reviews.tokens import read_review_token

    text = text_part(sent.emails()[0])
    assert "Not arrived yet?" in text
    # The link is the order's own review link (signed when the email was made, so read, not rebuilt)
    token = re.search(r"/r/([A-Za-z0-9_.-]+)/later", text).group(1)
    grant = read_review_token(token)
    assert (grant.shop_id, grant.order_id) == (sent.shop_id, "o-1")


def test_a_prefetched_link_changes_nothing_and_the_button_postpones_once(sent, api, table, monkeypatch):
    token = review_token(sent.shop_id, "o-1", ["p-mug", "p-cap"])
    before = order_item(table, sent.shop_id, "o-1")
    # A mail scanner (or the buyer) opens the link: a page with a button, nothing changed
    page = api.request("GET", f"/r/{token}/later", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Ask me in 7 days" in page.body.decode()
    assert order_item(table, sent.shop_id, "o-1") == before

    # The button: asked again in a week (one more email), once
    moment = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)
    done = api.request("POST", f"/r/{token}/later", raw=b"", headers={"Content-Type": FORM})
    assert done.status_code == 200 and "November 23, 2026" in done.body.decode()  # the day, as English writes it
    after = order_item(table, sent.shop_id, "o-1")
    assert after["request_status"] == "sent" and after["request_due_at"] == "2026-11-23T09:00:00Z"
    assert after["postponed_at"] == "2026-11-16T09:00:00Z"

    again = api.request("POST", f"/r/{token}/later", raw=b"", headers={"Content-Type": FORM})
    assert again.status_code == 200 and "asked us to wait already" in again.body.decode()
    assert order_item(table, sent.shop_id, "o-1") == after

    # The week passes: the reminder waited for it (none on Nov 18), then one more email
    assert sent.run_due(moment + timedelta(days=6)) == 0
    assert sent.run_due(moment + timedelta(days=7, minutes=1)) == 1
    assert sent.emails()[-1]["Subject"].startswith("Reminder")


def test_a_reviewed_order_has_nothing_to_postpone(sent, api, table):
    token = review_token(sent.shop_id, "o-1", ["p-mug", "p-cap"])
    review = {"token": token, "product_id": "p-mug", "rating": 5, "title": "", "body": "Lovely mug."}
    assert api.request("POST", "/reviews", review).status_code == 201
    before = order_item(table, sent.shop_id, "o-1")
    done = api.request("POST", f"/r/{token}/later", raw=b"", headers={"Content-Type": FORM})
    assert done.status_code == 200 and "already reviewed" in done.body.decode()
    assert order_item(table, sent.shop_id, "o-1") == before


def test_a_forged_postpone_link_is_refused(sent, api, table):
    before = order_item(table, sent.shop_id, "o-1")
    response = api.request("POST", "/r/eyJzIjoieCJ9.AAAA/later", raw=b"", headers={"Content-Type": FORM})
    assert 400 <= response.status_code < 500
    assert order_item(table, sent.shop_id, "o-1") == before


# --- nothing asked twice, nothing asked of a reversed order ----------------------------------------------
def postpone_at(api, shop, moment, monkeypatch):
    token = review_token(shop.shop_id, "o-1", ["p-mug", "p-cap"])
    monkeypatch.setattr(clock, "now", lambda: moment)
    return api.request("POST", f"/r/{token}/later", raw=b"", headers={"Content-Type": FORM})


def test_after_the_one_reminder_there_is_nothing_to_postpone(sent, api, table, monkeypatch):
    assert sent.run_due(SENT + timedelta(days=5)) == 1  # the one reminder
    before = order_item(table, sent.shop_id, "o-1")
    answer = postpone_at(api, sent, SENT + timedelta(days=6), monkeypatch)
    assert "no more review emails planned" in answer.body.decode()
    assert order_item(table, sent.shop_id, "o-1") == before
    assert sent.run_due(SENT + timedelta(days=30)) == 0 and len(sent.emails()) == 2


def test_a_shop_without_reminders_sends_none_after_a_postponement(api, table, outbox, monkeypatch):
    shop = ReviewShop(api, outbox, reminder_after_days=0)
    shop.fulfilled_order(fulfilled_at=FULFILLED)
    assert shop.run_due(SENT) == 1
    answer = postpone_at(api, shop, SENT + timedelta(days=1), monkeypatch)
    assert "no more review emails planned" in answer.body.decode()
    assert shop.run_due(SENT + timedelta(days=30)) == 0


def test_a_cancelled_order_is_not_asked_again(sent, api, table, monkeypatch):
    sent.deliver("order.cancelled", "o-1", timestamp="2026-11-15T10:00:00Z")
    answer = postpone_at(api, sent, SENT + timedelta(days=2), monkeypatch)
    assert "no more review emails planned" in answer.body.decode()
    assert sent.run_due(SENT + timedelta(days=30)) == 0 and len(sent.emails()) == 1


def test_a_delivery_planned_before_the_request_went_out_does_not_send_it_again(api, table, outbox, monkeypatch):
    from chalicelib.orders import writer

    shop = ReviewShop(api, outbox, review_after="delivery", review_delay_days=3, delivery_fallback_days=1)
    shop.deliver("order.created", "o-1")
    shop.deliver("order.fulfilled", "o-1", timestamp=FULFILLED)
    planned = writer.plan_order_event
    raced: list[int] = []

    def due_run_between_read_and_write(*args, **kwargs):
        plan = planned(*args, **kwargs)
        if not raced:
            raced.append(shop.run_due(SENT))  # the request goes out while the delivery is being applied
        return plan

    monkeypatch.setattr(writer, "plan_order_event", due_run_between_read_and_write)
    shop.deliver("order.delivered", "o-1", timestamp="2026-11-08T15:30:00Z")
    assert raced == [1]
    assert order_item(table, shop.shop_id, "o-1")["request_status"] == "sent"  # re-planned, not written back
    assert shop.run_due(SENT + timedelta(days=1)) == 0
    assert totals(table, shop.shop_id)["review_requests"] == 1
