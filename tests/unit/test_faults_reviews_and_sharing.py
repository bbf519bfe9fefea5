"""DynamoDB failures on the review, share and click paths: a retryable answer, then counted exactly once.

Each write step of each path is made to fail (throttling past botocore's retries, a server error, a
timeout, an answer lost after the write took effect, a transaction collision, a concurrent twin). The
caller gets a 503 with Retry-After (the share pages also retry by themselves), and after the retry the
counts equal what happened: nothing lost, nothing doubled.
"""

from __future__ import annotations

import re

import pytest

from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys
from chalicelib.store.table import get_client
from tests.faults import dynamodb_errors, dynamodb_timeouts
from tests.unit.review_support import ReviewShop
from tests.unit.sharing_support import SAFARI, Advocate
from tests.unit.test_sharing import code_totals
from tests.unit.webhook_support import totals

# --- reviews ------------------------------------------------------------------------------------------


@pytest.fixture
def buyer(api, outbox):
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order()
    return shop


def submit(shop, rating=5, body="Keeps coffee hot all morning.", product_id="p-mug"):
    return shop.api.request(
        "POST",
        "/reviews",
        {
            "token": review_token(shop.shop_id, "o-1", ["p-mug", "p-cap"]),
            "product_id": product_id,
            "rating": rating,
            "title": "Great mug",
            "body": body,
        },
    )


def review_counts(table, shop_id):
    counted = totals(table, shop_id)
    return {name: counted.get(name, 0) for name in ("reviews", "reviewers", "happy_reviews", "promoters")}


ONE_HAPPY_REVIEW = {"reviews": 1, "reviewers": 1, "happy_reviews": 1, "promoters": 1}
NOTHING = {"reviews": 0, "reviewers": 0, "happy_reviews": 0, "promoters": 0}


def test_review_during_throttling_is_503_with_retry_after_and_stores_nothing(buyer, table):
    with dynamodb_errors(get_client(), "TransactWriteItems") as seen:
        response = submit(buyer)
    assert response.status_code == 503 and seen["injected"] > 1  # botocore retried first
    assert response.headers["Retry-After"] == "2"
    assert response.json["error"]["code"] == "retry_later"
    assert review_counts(table, buyer.shop_id) == NOTHING
    retried = submit(buyer)
    assert retried.status_code == 201 and retried.json["share"]["code"].startswith("pl-")
    assert review_counts(table, buyer.shop_id) == ONE_HAPPY_REVIEW


def test_review_whose_answer_is_lost_is_answered_again_on_retry_and_counted_once(buyer, table):
    with dynamodb_errors(
        get_client(), "TransactWriteItems", code="InternalServerError", status=500, reaches_service=True, times=1
    ):
        lost = submit(buyer)
    # botocore retried the committed transaction: DynamoDB's ClientRequestToken makes that retry succeed
    # (201); moto has no such memory, so the retry meets the stored review and is answered as a replay (200).
    assert lost.status_code in (200, 201) and lost.json["share"]["code"].startswith("pl-")
    retried = submit(buyer)
    assert retried.status_code == 200, retried.body  # the same submission: answered again, not a 409
    assert retried.json["share"]["code"].startswith("pl-")
    assert review_counts(table, buyer.shop_id) == ONE_HAPPY_REVIEW
    assert table.get(keys.product_stats_key(buyer.shop_id, "p-mug"))["review_count"] == 1


def test_review_committed_but_every_answer_lost_then_the_retry_gets_the_share_offer(buyer, table):
    with dynamodb_errors(
        get_client(), "TransactWriteItems", code="InternalServerError", status=500, reaches_service=True
    ):
        assert submit(buyer).status_code == 503
    retried = submit(buyer)
    assert retried.status_code == 200 and retried.json["status"] == "published"
    assert retried.json["share"]["code"].startswith("pl-")
    assert review_counts(table, buyer.shop_id) == ONE_HAPPY_REVIEW


def test_review_stored_but_share_code_step_fails_then_the_retry_completes_it(buyer, table):
    # The review's own transaction passes; the next one (making the share code) is throttled throughout.
    with dynamodb_errors(get_client(), "TransactWriteItems", skip=1) as seen:
        response = submit(buyer)
    assert response.status_code == 503 and seen["injected"] > 1
    customer = table.get(keys.customer_key(buyer.shop_id, "c-1"))
    assert "share_code" not in customer
    retried = submit(buyer)
    assert retried.status_code == 200
    assert table.get(keys.customer_key(buyer.shop_id, "c-1"))["share_code"] == retried.json["share"]["code"]
    assert review_counts(table, buyer.shop_id) == ONE_HAPPY_REVIEW


def test_review_read_step_timing_out_is_503_and_the_retry_counts_once(buyer, table):
    with dynamodb_timeouts(get_client(), "BatchGetItem") as seen:
        response = submit(buyer)
    assert response.status_code == 503 and seen["calls"] > 1
    assert review_counts(table, buyer.shop_id) == NOTHING
    assert submit(buyer).status_code == 201
    assert review_counts(table, buyer.shop_id) == ONE_HAPPY_REVIEW


def test_a_double_tapped_review_is_answered_twice_and_counted_once(buyer, table):
    first, second = submit(buyer), submit(buyer)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json == second.json
    assert review_counts(table, buyer.shop_id) == ONE_HAPPY_REVIEW
    changed = submit(buyer, rating=2, body="On reflection, it leaks.")
    assert changed.status_code == 409 and changed.json["error"]["code"] == "review_exists"


def test_a_twin_submission_winning_the_race_is_not_doubled(buyer, table, monkeypatch):
    # Given the same review lands from another tab between our read of the buyer and our write
    from chalicelib.reviews import submission
    from chalicelib.reviews.models import ReviewSubmission

    real_weight = submission.scoring.weight_at
    raced = {"done": False}
    token = review_token(buyer.shop_id, "o-1", ["p-mug", "p-cap"])
    twin = ReviewSubmission(
        token=token, product_id="p-mug", rating=5, title="Great mug", body="Keeps coffee hot all morning."
    )

    def weight_then_race(kind, moment):
        if not raced["done"]:
            raced["done"] = True
            submission.submit_review(table, submission.load_context(table, token), twin)
        return real_weight(kind, moment)

    monkeypatch.setattr(submission.scoring, "weight_at", weight_then_race)
    # When ours writes its now-stale plan, Then it is answered as a replay and nothing is doubled
    assert submit(buyer).status_code == 200
    assert raced["done"]
    assert review_counts(table, buyer.shop_id) == ONE_HAPPY_REVIEW


def test_a_review_form_that_cannot_load_retries_by_itself(buyer):
    token = review_token(buyer.shop_id, "o-1", ["p-mug"])
    with dynamodb_errors(get_client(), "BatchGetItem"):
        response = buyer.api.request("GET", f"/r/{token}", headers={"Accept": "text/html"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert '<meta http-equiv="refresh" content="2">' in response.body.decode()


# --- clicks -------------------------------------------------------------------------------------------


@pytest.fixture
def adv(api, outbox):
    return Advocate(api, outbox)


def clicks(table, adv):
    return (totals(table, adv.shop.shop_id).get("clicks", 0), code_totals(table, adv.code).get("clicks", 0))


def retry_link(response):
    html = response.body.decode()
    refresh = re.search(r'<meta http-equiv="refresh" content="2; url=([^"]+)">', html)
    assert refresh, html
    return refresh.group(1).replace("&amp;", "&")


def test_click_while_its_write_fails_gets_a_self_retrying_page_then_counts_once(adv, table):
    # The count, the day noted on the code and the code's listing for the day's roll-up are one transaction
    with dynamodb_errors(get_client(), "TransactWriteItems"):
        response = adv.click(query="?via=whatsapp")
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert response.headers["Cache-Control"] == "private, no-store"
    again = retry_link(response)
    assert again == "?via=whatsapp&attempt=1"
    html = response.body.decode()
    assert f"ref={adv.code}" in html and "Continue to" in html  # the visitor can go on at once
    assert clicks(table, adv) == (0, 0)
    # The page reloads itself: the same visitor, the same link, one attempt later
    assert adv.click(query=again).status_code == 302
    assert clicks(table, adv) == (1, 1)
    day = next(iter(table.get(keys.code_key(adv.code))["click_days"]))
    assert table.get(keys.rollup_key(day, adv.code))["customer_id"] == "c-1"
    assert totals(table, adv.shop.shop_id)["clicks_whatsapp"] == 1


def test_click_whose_answer_is_lost_is_not_doubled_by_the_retry(adv, table):
    with dynamodb_errors(
        get_client(), "TransactWriteItems", code="InternalServerError", status=500, reaches_service=True
    ):
        response = adv.click()
    assert response.status_code == 503
    assert clicks(table, adv) == (1, 1)  # it took effect
    assert adv.click(query="?" + retry_link(response).lstrip("?")).status_code == 302
    assert clicks(table, adv) == (1, 1)  # and the retry is the same visitor's repeat


def test_click_timing_out_counts_once_after_the_retry(adv, table):
    with dynamodb_timeouts(get_client(), "TransactWriteItems"):
        response = adv.click()
    assert response.status_code == 503
    assert clicks(table, adv) == (0, 0)
    assert adv.click(query=retry_link(response)).status_code == 302
    assert clicks(table, adv) == (1, 1)


def test_a_visitor_is_never_stranded_by_a_database_that_stays_down(adv, table):
    with dynamodb_errors(get_client(), "TransactWriteItems"):
        first = adv.click()
        second = adv.click(query=retry_link(first))
        third = adv.click(query=retry_link(second))
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 302)
    assert f"ref={adv.code}" in third.headers["Location"]
    assert clicks(table, adv) == (0, 0)


def test_clicks_colliding_on_a_hot_shard_are_drawn_again_and_counted(adv, table):
    with dynamodb_errors(
        get_client(), "TransactWriteItems", times=2, reasons=["None", "None", "TransactionConflict", "None"]
    ) as seen:
        response = adv.click()
    assert response.status_code == 302 and seen["injected"] == 2
    assert clicks(table, adv) == (1, 1)


def test_a_twin_click_winning_the_race_is_counted_once(adv, table, monkeypatch):
    from chalicelib.sharing import counting

    real = counting._code_stat_op
    raced = {"done": False}

    def stat_then_race(*args, **kwargs):
        if not raced["done"]:
            raced["done"] = True
            assert adv.click().status_code == 302  # the same visitor, a moment earlier
        return real(*args, **kwargs)

    monkeypatch.setattr(counting, "_code_stat_op", stat_then_race)
    assert adv.click().status_code == 302
    assert raced["done"] and clicks(table, adv) == (1, 1)


def test_daily_cap_of_a_code_holds_and_the_counters_agree(adv, table, monkeypatch):
    from chalicelib.sharing import counting

    monkeypatch.setattr(counting, "CODE_DAILY_CAP", keys.CODE_SHARDS)  # one click per shard a day
    for n in range(30):
        adv.click(ip=f"198.51.100.{n + 10}")
    shop_clicks, code_clicks = clicks(table, adv)
    assert 1 <= shop_clicks <= keys.CODE_SHARDS and shop_clicks == code_clicks


# --- shares -------------------------------------------------------------------------------------------


def shares(table, adv):
    counted = totals(table, adv.shop.shop_id)
    customer = table.get(keys.customer_key(adv.shop.shop_id, "c-1"))
    return (
        counted.get("shares", 0),
        counted.get("sharers", 0),
        int(customer.get("shares", 0)),
        code_totals(table, adv.code).get("shares", 0),
    )


@pytest.mark.parametrize("operation", ["GetItem", "TransactWriteItems"])
def test_share_while_a_step_fails_retries_by_itself_then_counts_once(adv, table, operation):
    with dynamodb_errors(get_client(), operation, skip=1 if operation == "GetItem" else 0):
        response = adv.share("whatsapp")
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    html = response.body.decode()
    assert "Share anyway" in html and "wa.me" in html
    assert shares(table, adv) == (0, 0, 0, 0)
    retried = adv.api.request(
        "GET",
        f"/share/{adv.code}/whatsapp{retry_link(response)}",
        headers={"User-Agent": SAFARI, "X-Forwarded-For": "203.0.113.9"},
    )
    assert retried.status_code == 302 and "wa.me" in retried.headers["Location"]
    assert shares(table, adv) == (1, 1, 1, 1)


def test_share_whose_answer_is_lost_is_not_doubled(adv, table):
    with dynamodb_errors(
        get_client(), "TransactWriteItems", code="InternalServerError", status=500, reaches_service=True
    ):
        assert adv.share("x").status_code == 503
    assert shares(table, adv) == (1, 1, 1, 1)
    assert adv.share("x").status_code == 302
    assert adv.share("facebook").status_code == 302
    assert shares(table, adv) == (2, 1, 2, 2)


def test_copy_link_share_falls_back_to_the_copy_page_when_the_database_stays_down(adv, table):
    with dynamodb_errors(get_client(), "TransactWriteItems"):
        first = adv.share("copy")
        path = f"/share/{adv.code}/copy"
        headers = {"User-Agent": SAFARI, "X-Forwarded-For": "203.0.113.9"}
        second = adv.api.request("GET", path + retry_link(first), headers=headers)
        third = adv.api.request("GET", path + retry_link(second), headers=headers)
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert f"/s/{adv.code}?via=copy" in third.body.decode()
    assert shares(table, adv) == (0, 0, 0, 0)
