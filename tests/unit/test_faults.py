"""DynamoDB throttling and failures: retried, then a retryable answer, and never a half-written order."""

from __future__ import annotations

import pytest

from chalicelib.store.table import get_client
from tests.faults import dynamodb_errors, dynamodb_timeouts
from tests.signers import fixture
from tests.unit.webhook_support import ShopifyStore, order_item, totals


@pytest.fixture
def store(api):
    return ShopifyStore(api)


def test_brief_throttling_is_retried_inside_the_request(store, table):
    with dynamodb_errors(get_client(), "TransactWriteItems", times=2) as seen:
        response = store.send("orders/create", fixture("shopify_order.json"))
    assert response.status_code == 200
    assert seen["injected"] == 2 and seen["calls"] == 3
    assert totals(table, store.shop_id)["orders"] == 1


@pytest.mark.parametrize(
    ("operation", "code", "status"),
    [
        ("TransactWriteItems", "ThrottlingException", 400),
        ("TransactWriteItems", "InternalServerError", 500),
        ("BatchGetItem", "ProvisionedThroughputExceededException", 400),
        ("GetItem", "ThrottlingException", 400),
    ],
)
def test_persistent_failure_answers_503_so_the_storefront_retries(store, table, operation, code, status):
    with dynamodb_errors(get_client(), operation, code=code, status=status):
        response = store.send("orders/create", fixture("shopify_order.json"))
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert response.json["error"]["code"] == "retry_later"
    assert order_item(table, store.shop_id, "5839274650112") is None
    assert totals(table, store.shop_id) == {}
    # The storefront delivers again once the database recovers: counted exactly once.
    assert store.send("orders/create", fixture("shopify_order.json")).status_code == 200
    assert store.send("orders/create", fixture("shopify_order.json")).json["status"] == "duplicate"
    assert totals(table, store.shop_id)["orders"] == 1


def test_a_delivery_that_loses_a_race_re_reads_and_counts_once(store, table, monkeypatch):
    # Given another delivery of the same order lands between our read and our write
    from chalicelib.orders import writer

    real_plan = writer.plan_order_event
    raced = {"done": False}

    def plan_then_race(current, customer, event, shop, *referral):
        plan = real_plan(current, customer, event, shop, *referral)
        if not raced["done"]:
            raced["done"] = True
            writer.apply_order_event(intake_table(), shop, event)  # the competitor wins
        return plan

    def intake_table():
        from chalicelib.store.table import get_table

        return get_table()

    monkeypatch.setattr(writer, "plan_order_event", plan_then_race)
    # When ours tries to write its now-stale plan
    response = store.send("orders/create", fixture("shopify_order.json"))
    # Then its conditional write fails, it re-reads, finds nothing new, and nothing is doubled
    assert response.status_code == 200
    assert response.json["status"] == "duplicate"
    assert totals(table, store.shop_id)["orders"] == 1


def test_a_write_whose_answer_is_lost_is_not_doubled_by_the_redelivery(store, table):
    # Given the transaction commits but every answer to it is an error
    with dynamodb_errors(
        get_client(), "TransactWriteItems", code="InternalServerError", status=500, reaches_service=True
    ):
        response = store.send("orders/create", fixture("shopify_order.json"))
    # Then the storefront is told to deliver again, and the redelivery finds the facts recorded
    assert response.status_code == 503
    assert store.send("orders/create", fixture("shopify_order.json")).json["status"] == "duplicate"
    assert totals(table, store.shop_id)["orders"] == 1


def test_a_timed_out_database_answers_503_and_the_redelivery_counts_once(store, table):
    with dynamodb_timeouts(get_client(), "TransactWriteItems") as seen:
        response = store.send("orders/create", fixture("shopify_order.json"))
    assert response.status_code == 503 and seen["calls"] > 1  # botocore retried before giving up
    assert totals(table, store.shop_id) == {}
    assert store.send("orders/create", fixture("shopify_order.json")).status_code == 200
    assert totals(table, store.shop_id)["orders"] == 1
