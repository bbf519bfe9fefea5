"""Review requests: every fulfilled buyer is asked once after the delay, reminded at most once."""

from __future__ import annotations

import pytest

from chalicelib.store import keys
from tests.unit.review_support import LATER, ReviewShop, after_fulfilment, html_part, review_token, text_part
from tests.unit.webhook_support import order_item, totals


@pytest.fixture
def shop(api, outbox):
    return ReviewShop(api, outbox)


def test_nothing_is_sent_before_the_delay(shop):
    shop.fulfilled_order()
    assert shop.run_due(now=after_fulfilment(7, minutes=-1)) == 0  # due 7 days after it
    assert shop.emails() == []


def test_due_request_is_sent_once_with_a_signed_link_and_one_click_unsubscribe(shop, table):
    shop.fulfilled_order()
    assert shop.run_due(now=after_fulfilment(7)) == 1
    assert shop.run_due(now=after_fulfilment(7, minutes=5)) == 0
    [message] = shop.emails()
    assert message["To"] == "c-1@example.com"
    assert "Trail & Summit Outfitters" in message["Subject"]
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Trail Mug" in text_part(message) and "Summit Cap" in html_part(message)
    assert review_token(message)
    assert totals(table, shop.shop_id)["review_requests"] == 1
    assert order_item(table, shop.shop_id, "o-1")["request_status"] == "sent"


def test_one_reminder_after_the_gap_then_nothing(shop, table):
    shop.fulfilled_order()
    assert shop.run_due(now=after_fulfilment(8)) == 1
    assert shop.run_due(now=after_fulfilment(14)) == 0
    assert shop.run_due(now=after_fulfilment(15, hours=1)) == 1
    assert shop.run_due(now=LATER) == 0
    subjects = [m["Subject"] for m in shop.emails()]
    assert len(subjects) == 2 and subjects[1].startswith("Reminder:")
    assert keys.GSI1PK not in order_item(table, shop.shop_id, "o-1")
    assert totals(table, shop.shop_id)["reminders"] == 1


def test_no_reminder_when_the_shop_wants_none(api, outbox):
    shop = ReviewShop(api, outbox, reminder_after_days=0)
    shop.fulfilled_order()
    shop.run_due(now=after_fulfilment(8))
    assert shop.run_due(now=LATER) == 0
    assert len(shop.emails()) == 1


def test_no_reminder_after_the_buyer_reviewed(shop):
    shop.fulfilled_order()
    shop.run_due(now=after_fulfilment(8))
    token = review_token(shop.emails()[0])
    submitted = shop.api.request(
        "POST",
        "/reviews",
        {"token": token, "product_id": "p-mug", "rating": 5, "title": "", "body": "Keeps coffee hot all morning."},
    )
    assert submitted.status_code == 201
    assert shop.run_due(now=LATER) == 0
    assert len(shop.emails()) == 1


def test_unsubscribed_buyer_gets_nothing_more(shop):
    shop.fulfilled_order()
    shop.run_due(now=after_fulfilment(8))
    unsubscribe_url = shop.emails()[0]["List-Unsubscribe"].strip("<>")
    path = unsubscribe_url.split("8000", 1)[1]
    response = shop.api.request(
        "POST", path, raw=b"List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200
    assert shop.run_due(now=LATER) == 0
    shop.fulfilled_order(order_id="o-2")
    assert shop.run_due(now=LATER) == 0
    assert len(shop.emails()) == 1


def test_an_unsubscribe_link_of_a_customer_no_longer_stored_confirms_and_stores_nothing(shop, table):
    from chalicelib.reviews.tokens import unsubscribe_token

    # A link from an old email whose customer was since erased (or never kept): nothing will be sent to them.
    path = f"/u/{unsubscribe_token(shop.shop_id, 'c-gone')}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for _ in range(2):
        response = shop.api.request("POST", path, raw=b"List-Unsubscribe=One-Click", headers=form)
        assert response.status_code == 200, response.body
        assert "You are unsubscribed" in response.body.decode()
    assert table.get(keys.customer_key(shop.shop_id, "c-gone")) is None


def test_redacted_buyer_gets_no_request(shop):
    import json

    from tests import signers

    shop.fulfilled_order()
    raw = json.dumps(
        {"type": "customer.redact", "timestamp": signers.days_ago(0, "00:00:00"), "data": {"customer_id": "c-1"}}
    ).encode()
    shop.api.request(
        "POST",
        f"/webhooks/generic/{shop.shop_id}",
        raw=raw,
        headers=signers.standard_headers(shop.shop["webhook_secret"], raw),
    )
    assert shop.run_due(now=LATER) == 0


def test_every_buyer_gets_the_same_request_whatever_they_bought(shop):
    shop.fulfilled_order("o-1", "c-1")
    shop.fulfilled_order("o-2", "c-2", total="0.00")
    assert shop.run_due(now=LATER) == 2
    first, second = (text_part(m) for m in shop.emails())
    assert first.replace("c-1", "X").split("Write a review")[0] == second.replace("c-2", "X").split("Write a review")[0]


def test_product_names_are_escaped_in_the_html_email(shop):
    items = [{"product_id": "p-x", "title": "<img src=x onerror=alert(1)>Mug", "quantity": 1, "price": "5"}]
    shop.fulfilled_order(items=items)
    shop.run_due()
    html = html_part(shop.emails()[0])
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;Mug" in html


def test_run_due_route_runs_the_job_for_the_admin(shop):
    from tests.conftest import ADMIN_TOKEN

    shop.fulfilled_order()
    assert shop.api.request("POST", "/admin/run-due").status_code == 401
    response = shop.api.request("POST", "/admin/run-due", token=ADMIN_TOKEN)
    assert response.status_code == 200
    assert set(response.json["ran"]) == {
        "review_emails",
        "shop_redactions",
        "outbound_events",
        "click_rollup",
        "photos",
        "share_cards",
        "imports",
        "customer_index",
        "friend_codes",
        "rewards",
        "store_ratings",
        "answer_digests",
        "answer_figures",
        "experiment_units",
    }
