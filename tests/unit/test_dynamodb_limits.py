"""DynamoDB's limits are handled by design: chunked reads, named cancellation outcomes, sizes and keys, no 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import errors
from chalicelib.store import keys
from chalicelib.store.table import (
    ITEM_SIZE_LIMIT,
    ConditionFailed,
    Table,
    TransactionConflict,
    get_client,
)
from tests import signers
from tests.faults import dynamodb_errors
from tests.unit.webhook_support import SHOPIFY_SECRET, ShopifyStore, order_item, totals

SIZE_MESSAGE = "Item size has exceeded the maximum allowed size"
KEY_MESSAGE = (
    "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes"
)


def item(n: int, **extra: Any) -> dict[str, Any]:
    return {keys.PK: "SHOP#limits", keys.SK: f"ORDER#{n:04d}", "type": "order", "n": n, **extra}


def batch_requests(client: Any) -> list[list[dict[str, Any]]]:
    """Records the keys of every BatchGetItem request the client sends."""
    sent: list[list[dict[str, Any]]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.extend(request["Keys"] for request in params["RequestItems"].values())

    client.meta.events.register("before-parameter-build.dynamodb.BatchGetItem", record)
    return sent


class RefusingClient:
    """A DynamoDB client whose every call is answered with one error (as botocore raises it)."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def _refuse(self, **_: Any) -> Any:
        self.calls += 1
        raise self.error

    transact_write_items = put_item = update_item = delete_item = get_item = batch_get_item = query = _refuse


def client_error(code: str, message: str = "refused", **response: Any) -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}, **response}, "TransactWriteItems")


def cancelled(*reasons: str | tuple[str, str]) -> Exception:
    listed = [{"Code": r} if isinstance(r, str) else {"Code": r[0], "Message": r[1]} for r in reasons]
    return client_error("TransactionCanceledException", "Transaction cancelled", CancellationReasons=listed)


def two_puts(table: Table) -> list[tuple[str, dict[str, Any]]]:
    return [("first", table.put_op(item(1))), ("second", table.put_op(item(2)))]


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    from chalicelib.observability import logger

    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(logger, "error", lambda message, extra=None, **_: seen.append(extra or {}))
    return seen


# -- BatchGet: at most 100 distinct keys a request -----------------------------------------------------------


def test_reading_250_items_asks_in_requests_of_at_most_100_keys(table):
    # Given a customer's 250 orders
    table.put_many([item(n) for n in range(250)])
    sent = batch_requests(table.client)
    # When they are read together
    found = table.get_many([keys.order_key("limits", f"{n:04d}") for n in range(250)])
    # Then every one comes back, asked for in three requests none of which is over DynamoDB's limit
    assert sorted(int(i["n"]) for i in found) == list(range(250))
    assert [len(request) for request in sent] == [100, 100, 50]


def test_a_key_named_twice_is_asked_for_once_and_answered_once(table):
    # Given 150 orders, named twice each in one read (300 keys)
    table.put_many([item(n) for n in range(150)])
    sent = batch_requests(table.client)
    wanted = [keys.order_key("limits", f"{n:04d}") for n in range(150)] * 2
    # When they are read
    found = table.get_many(wanted)
    # Then each is answered once, and no request names a key twice (DynamoDB refuses that)
    assert sorted(int(i["n"]) for i in found) == list(range(150))
    assert [len(request) for request in sent] == [100, 50]
    assert all(len({json.dumps(k, sort_keys=True) for k in request}) == len(request) for request in sent)


# -- A cancelled transaction: named outcomes, and only a failed condition is ConditionFailed ---------------


def test_a_failed_condition_is_asked_about_by_its_role_not_its_position(table):
    # Given the second of two items exists already
    table.put(item(2))
    # When a transaction creates both if absent
    with pytest.raises(ConditionFailed) as caught:
        table.transact(
            [
                ("first", table.put_op(item(1), "attribute_not_exists(PK)")),
                ("second", table.put_op(item(2), "attribute_not_exists(PK)")),
            ]
        )
    # Then the outcome names the operation that failed
    assert caught.value.failed("second")
    assert not caught.value.failed("first")
    assert not caught.value.failed("no such role")


@pytest.mark.parametrize(
    ("reasons", "failed"),
    [
        (("ConditionalCheckFailed", "None"), {"first"}),
        (("None", "ConditionalCheckFailed"), {"second"}),
        (("ConditionalCheckFailed", "ConditionalCheckFailed"), {"first", "second"}),
    ],
)
def test_a_transaction_cancelled_only_by_conditions_is_a_condition_failure(reasons, failed):
    fake = Table(client=RefusingClient(cancelled(*reasons)), name="t")
    with pytest.raises(ConditionFailed) as caught:
        fake.transact(two_puts(fake))
    assert {role for role in ("first", "second") if caught.value.failed(role)} == failed


@pytest.mark.parametrize(
    ("reasons", "status", "code"),
    [
        ((("ValidationError", SIZE_MESSAGE), "None"), 413, "item_too_large"),
        (("ConditionalCheckFailed", ("ValidationError", SIZE_MESSAGE)), 413, "item_too_large"),
        ((("ValidationError", "One or more parameter values were invalid: empty set"), "None"), 503, "retry_later"),
        ((("ValidationError", KEY_MESSAGE), "ThrottlingError"), 422, "key_too_long"),
    ],
)
def test_a_transaction_cancelled_as_invalid_is_final_however_the_other_items_fared(reasons, status, code, logged):
    # Over a size limit it is the sender's input (4xx); any other invalid request is our fault (a logged 5xx)
    fake = Table(client=RefusingClient(cancelled(*reasons)), name="t")
    with pytest.raises(errors.ProofloopError) as caught:
        fake.transact(two_puts(fake))
    assert (caught.value.status, caught.value.code) == (status, code)
    assert logged and logged[0]["dynamodb_error"] == "TransactionCanceledException"


@pytest.mark.parametrize(
    "reasons",
    [
        ("ThrottlingError", "None"),
        ("ConditionalCheckFailed", "ThrottlingError"),
        ("ProvisionedThroughputExceeded", "ConditionalCheckFailed"),
        ("ConditionalCheckFailed", "TransactionConflict"),
        ("None", "ItemCollectionSizeLimitExceeded"),
        ("ConditionalCheckFailed", "ItemCollectionSizeLimitExceeded"),
        ("None", "None"),
        (),
        ("ConditionalCheckFailed", "SomeReasonNotYetInvented"),
    ],
)
def test_a_transaction_cancelled_for_any_other_reason_is_retried_never_read_as_a_duplicate(reasons):
    fake = Table(client=RefusingClient(cancelled(*reasons)), name="t")
    with pytest.raises(errors.RetryLater) as caught:
        fake.transact(two_puts(fake))
    assert not isinstance(caught.value, TransactionConflict)
    assert caught.value.status == 503


def test_a_transaction_only_in_conflict_is_a_transaction_conflict():
    fake = Table(client=RefusingClient(cancelled("None", "TransactionConflict")), name="t")
    with pytest.raises(TransactionConflict):
        fake.transact(two_puts(fake))


# -- No botocore error answers 500 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "status", "code"),
    [
        (SIZE_MESSAGE, 413, "item_too_large"),
        ("Item size to update has exceeded the maximum allowed size", 413, "item_too_large"),
        (KEY_MESSAGE, 422, "key_too_long"),
        ("Aggregated size of all range keys has exceeded the size limit of 1024 bytes", 422, "key_too_long"),
        ("ExpressionAttributeValues contains invalid value: An string set may not be empty", 503, "retry_later"),
    ],
)
def test_a_request_dynamodb_refuses_as_invalid_is_logged_and_a_4xx_only_over_a_limit(message, status, code, logged):
    fake = Table(client=RefusingClient(client_error("ValidationException", message)), name="t")
    with pytest.raises(errors.ProofloopError) as caught:
        fake.put(item(1))
    assert (caught.value.status, caught.value.code) == (status, code)
    assert logged == [
        {"dynamodb_error": "ValidationException", "operation": "TransactWriteItems", "error_message": message}
    ]


@pytest.mark.parametrize("code", ["AccessDeniedException", "ResourceNotFoundException", "SomethingUnheardOf"])
def test_an_unmapped_client_error_is_retry_later_with_its_code_logged(code, logged):
    fake = Table(client=RefusingClient(client_error(code)), name="t")
    with pytest.raises(errors.RetryLater):
        fake.update(keys.order_key("limits", "1"), "SET n = :n", values={":n": 1})
    assert [entry["dynamodb_error"] for entry in logged] == [code]


def test_a_missing_table_on_the_real_client_is_retry_later(table, logged):
    missing = Table(client=get_client(), name="proofloop-no-such-table")
    with pytest.raises(errors.RetryLater):
        missing.get(keys.order_key("limits", "1"))
    assert logged[0]["dynamodb_error"] == "ResourceNotFoundException"


def test_a_parameter_botocore_refuses_before_sending_is_retry_later(table, logged):
    # botocore validates parameters itself (here a page limit under 1): ParamValidationError, never sent
    with pytest.raises(errors.RetryLater):
        table.query("SHOP#limits", limit=0)
    assert logged[0]["dynamodb_error"] == "ParamValidationError"


def test_an_unreachable_endpoint_is_retry_later():
    from botocore.exceptions import EndpointConnectionError

    fake = Table(client=RefusingClient(EndpointConnectionError(endpoint_url="https://dynamodb.invalid")), name="t")
    with pytest.raises(errors.RetryLater):
        fake.query("SHOP#limits")


# -- Item size: refused before the call ----------------------------------------------------------------------


def test_an_item_over_400_kb_is_refused_before_it_reaches_dynamodb(table):
    spy = RefusingClient(AssertionError("sent"))
    big = item(1, body="x" * ITEM_SIZE_LIMIT)
    with pytest.raises(errors.PayloadTooLarge) as caught:
        Table(client=spy, name="t").put(big)
    assert (caught.value.status, caught.value.code) == (413, "item_too_large")
    assert spy.calls == 0


def test_multibyte_text_counts_by_its_bytes():
    # 110,000 characters of 4 bytes each: 440,000 bytes, over the limit although under it in characters
    with pytest.raises(errors.PayloadTooLarge):
        Table(client=RefusingClient(AssertionError("sent")), name="t").put_op(item(1, body="\U0001f600" * 110_000))


def test_names_and_nested_values_count_towards_the_size(table):
    nested = {
        "refunds": {f"refund-{n:06d}-" + "r" * 40: {"amount": n, "at": "2026-01-01T00:00:00Z"} for n in range(6000)}
    }
    with pytest.raises(errors.PayloadTooLarge):
        table.put(item(1, **nested))
    assert table.get(keys.order_key("limits", "0001")) is None


def test_an_item_just_under_the_limit_is_stored(table):
    table.put(item(1, body="x" * (ITEM_SIZE_LIMIT - 1024)))
    assert len(table.get(keys.order_key("limits", "0001"))["body"]) == ITEM_SIZE_LIMIT - 1024


def test_an_update_whose_values_alone_are_over_the_limit_is_refused(table):
    table.put(item(1))
    with pytest.raises(errors.PayloadTooLarge):
        table.update(keys.order_key("limits", "0001"), "SET body = :b", values={":b": "x" * ITEM_SIZE_LIMIT})


def test_a_batch_with_one_oversized_item_writes_nothing(table):
    with pytest.raises(errors.PayloadTooLarge):
        table.put_many([item(1), item(2, body="x" * ITEM_SIZE_LIMIT)])
    assert table.get_many([keys.order_key("limits", "0001"), keys.order_key("limits", "0002")]) == []


def test_an_order_whose_refunds_would_not_fit_one_record_is_refused_and_stores_nothing(api, table):
    # Given a signed Shopify order listing thousands of refunds with the longest ids we accept
    store = ShopifyStore(api)
    order = signers.fixture("shopify_order.json")
    order["refunds"] = [
        {"id": f"{n:064d}", "transactions": [{"kind": "refund", "status": "success", "amount": "1"}]}
        for n in range(1, 3000)
    ]
    raw = json.dumps(order, separators=(",", ":")).encode()
    assert len(raw) < 512 * 1024  # the webhook takes the body
    headers = signers.shopify_headers("orders/updated", store.domain, SHOPIFY_SECRET, raw)
    # When it is delivered
    response = api.request("POST", "/webhooks/shopify", raw=raw, headers=headers)
    # Then the answer is a clear 4xx naming the refunds, and nothing of it was stored or counted
    assert response.status_code == 422
    assert response.json["error"]["details"][0]["field"] == "refunds"
    assert order_item(table, store.shop_id, str(order["id"])) is None
    assert totals(table, store.shop_id) == {}


def test_refunds_delivered_a_hundred_at_a_time_stop_at_the_order_cap(api, table):
    from chalicelib.orders.planner import MAX_REFUNDS_PER_ORDER

    # Given an order that already keeps as many refunds as an order item may hold
    store = ShopifyStore(api)
    order = signers.fixture("shopify_order.json")
    for batch in range(MAX_REFUNDS_PER_ORDER // 100 + 1):
        first = batch * 100
        count = min(100, MAX_REFUNDS_PER_ORDER - first)
        if count <= 0:
            break
        order["refunds"] = [
            {"id": f"{n:064d}", "transactions": [{"kind": "refund", "status": "success", "amount": "0.01"}]}
            for n in range(first, first + count)
        ]
        assert store.send("orders/updated", order).status_code == 200
    kept = totals(table, store.shop_id)
    # When one more refund arrives
    order["refunds"] = [{"id": "9" * 64, "transactions": [{"kind": "refund", "status": "success", "amount": "0.01"}]}]
    response = store.send("orders/updated", order)
    # Then it is refused by name and nothing moves
    assert response.status_code == 422 and response.json["error"]["details"][0]["field"] == "refunds"
    assert totals(table, store.shop_id) == kept
    assert kept["refunds"] == MAX_REFUNDS_PER_ORDER


# -- Keys: 2048 bytes partition, 1024 bytes sort -------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        {keys.PK: "SHOP#" + "p" * 2044, keys.SK: "SHOP"},
        {keys.PK: "SHOP#limits", keys.SK: "ORDER#" + "o" * 1019},
        {keys.PK: "SHOP#limits", keys.SK: "ORDER#" + "\u00e9" * 510},  # 1026 bytes in 516 characters
    ],
)
def test_a_write_with_an_over_long_key_is_a_clear_4xx_before_the_call(key):
    spy = RefusingClient(AssertionError("sent"))
    fake = Table(client=spy, name="t")
    for write in (
        lambda: fake.put({**key, "type": "order"}),
        lambda: fake.update(key, "SET n = :n", values={":n": 1}),
        lambda: fake.delete(key),
    ):
        with pytest.raises(errors.ValidationFailed) as caught:
            write()
        assert caught.value.code == "key_too_long"
    assert spy.calls == 0


def test_an_over_long_index_key_is_refused_too():
    fake = Table(client=RefusingClient(AssertionError("sent")), name="t")
    with pytest.raises(errors.ValidationFailed):
        fake.put_op({**item(1), keys.GSI1PK: "PRODREV#limits#" + "p" * 2040, keys.GSI1SK: "2026"})


def test_a_key_of_exactly_the_limits_is_stored(table):
    key = {keys.PK: "P" * 2048, keys.SK: "S" * 1024}
    table.put({**key, "type": "edge"})
    assert table.get(key)["type"] == "edge"


def test_reading_an_over_long_key_finds_nothing_without_asking():
    spy = RefusingClient(AssertionError("sent"))
    fake = Table(client=spy, name="t")
    long_key = keys.review_key("limits", "r" * 1100)
    assert fake.get(long_key) is None
    assert fake.get_many([long_key]) == []
    assert fake.query("PRODREV#limits#" + "p" * 2100, index=keys.GSI1) == ([], None)
    assert fake.query("SHOP#limits", sk_prefix="REVIEW#" + "r" * 1100) == ([], None)
    assert spy.calls == 0


def test_a_vote_on_a_review_id_too_long_to_exist_is_404(api, table):
    # Given a shop, and DynamoDB refusing any key over its limit (as it does; moto does not on reads)
    body, _ = api.create_shop()
    with dynamodb_errors(get_client(), "GetItem", code="ValidationException", skip=1, times=1) as seen:
        # When a visitor votes on a review whose id is far longer than any key
        response = api.request("POST", f"/shops/{body['shop_id']}/reviews/rv_{'x' * 1100}/votes", {"helpful": True})
    # Then there is no such review, and the key was never sent
    assert response.status_code == 404
    assert seen["injected"] == 0
