"""Experiments through HTTP: start one on a request lever, requests go out with each variant, units and
conversions counted exactly per variant, the decision read at any time, stop and promote."""

from __future__ import annotations

import email.header
import math
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.experiments.assignment import variant_for
from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys
from chalicelib.store.table import get_client
from tests.unit.experiment_support import closed_counts, in_both_arms, outcomes_arrived, windows_closed
from tests.unit.review_support import FULFILLED, ITEMS, LATER, ReviewShop, after_fulfilment, text_part
from tests.unit.test_erasure import scan
from tests.unit.webhook_support import calls, order_item, totals

SUBJECT_B = "How is your new mug?"


def subject(message: Any) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def recipient(message: Any) -> str:
    return str(message["To"])


def start(shop: ReviewShop, **overrides: Any) -> Any:
    body = {
        "name": "Subject test",
        "lever": "request_subject",
        "language": "en",
        "variants": [{"key": "a", "value": ""}, {"key": "b", "value": SUBJECT_B}],
    }
    body.update(overrides)
    return shop.owner("POST", "/experiments", body)


def started(shop: ReviewShop, **overrides: Any) -> str:
    response = start(shop, **overrides)
    assert response.status_code == 201, response.body
    return str(response.json["experiment_id"])


def review(shop: ReviewShop, order_id: str, product_id: str = "p-mug", rating: int = 5) -> Any:
    token = review_token(shop.shop_id, order_id, [i["product_id"] for i in ITEMS])
    body = {"token": token, "product_id": product_id, "rating": rating, "title": "Good", "body": "Does the job well."}
    return shop.api.request("POST", "/reviews", body)


def variants_of(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["key"]: v for v in answer["variants"]}


def units(shop: ReviewShop, experiment_id: str) -> dict[str, int]:
    """Each variant's units counted so far (as they came), as the owner reads them."""
    answer = shop.owner("GET", f"/experiments/{experiment_id}")
    assert answer.status_code == 200, answer.body
    return {key: int(v["so_far"]["units"]) for key, v in variants_of(answer.json).items()}


def conversions(shop: ReviewShop, experiment_id: str) -> dict[str, int]:
    """Each variant's conversions counted so far, as the owner reads them."""
    return {
        key: int(v["so_far"]["conversions"])
        for key, v in variants_of(shop.owner("GET", f"/experiments/{experiment_id}").json).items()
    }


def closed(shop: ReviewShop, experiment_id: str, days: int = 2000) -> dict[str, tuple[int, int]]:
    """Each variant's (units, conversions) the statistic reads, once every unit's window closed (the due work
    run `days` from now): the owner's `units` and `conversions`."""
    from chalicelib.store.table import get_table

    windows_closed(get_table(), days)
    answer = shop.owner("GET", f"/experiments/{experiment_id}")
    assert answer.status_code == 200, answer.body
    return {key: (int(v["units"]), int(v["conversions"])) for key, v in variants_of(answer.json).items()}


DELAYS = [{"key": "a", "value": 7}, {"key": "b", "value": 2}]


def delay_started(shop: ReviewShop) -> str:
    return started(shop, lever="request_delay_days", language=None, variants=DELAYS)


@pytest.fixture
def shop(api, outbox):
    return ReviewShop(api, outbox)


def test_a_subject_experiment_end_to_end_through_http(shop):
    experiment_id = started(shop)
    orders = [f"o-{n}" for n in range(24)]
    for order_id in orders:
        shop.fulfilled_order(order_id, f"c-{order_id}")
    assert shop.run_due() == len(orders)  # every buyer is asked

    sent = {recipient(m).split("@")[0][2:]: subject(m) for m in shop.emails()}
    assert sorted(sent) == sorted(orders)
    assert set(sent.values()) == {SUBJECT_B, next(s for s in sent.values() if s != SUBJECT_B)}
    with_b = {o for o, s in sent.items() if s == SUBJECT_B}
    assert 0 < len(with_b) < len(orders)

    # Two buyers of each subject review (one of them twice: two products), one resubmits the same review.
    reviewers = sorted(with_b)[:2] + sorted(set(orders) - with_b)[:2]
    for order_id in reviewers:
        assert review(shop, order_id).status_code == 201
    assert review(shop, reviewers[0], "p-cap").status_code == 201
    assert review(shop, reviewers[1]).status_code in (200, 201)  # the same again: replayed

    answer = shop.owner("GET", f"/experiments/{experiment_id}")
    assert answer.status_code == 200, answer.body
    body = answer.json
    assert body["status"] == "running" and body["metric"] == "review_rate" and body["control"] == "a"
    assert body["method"] == {"name": "mSPRT", "alpha": 0.05}
    assert body["decision"] == "running" and body["sentence"]
    counted = variants_of(body)
    so_far = {key: (v["so_far"]["units"], v["so_far"]["conversions"]) for key, v in counted.items()}
    assert so_far == {"a": (len(orders) - len(with_b), 2), "b": (len(with_b), 2)}
    assert counted["b"]["units"] == counted["a"]["units"] == 0  # no unit's window has closed yet
    # Once every request's window has closed, each unit is counted with its outcome: the statistic's counts.
    assert closed(shop, experiment_id) == so_far
    counted = variants_of(shop.owner("GET", f"/experiments/{experiment_id}").json)
    assert counted["a"]["difference"] is None and counted["a"]["control"] is True
    diff = counted["b"]["difference"]
    assert diff["low"] <= diff["estimate"] <= diff["high"] and counted["b"]["sentence"].startswith("Subject B")

    promoted = shop.owner("POST", f"/experiments/{experiment_id}/promote", {"variant": "b"})
    assert promoted.status_code == 200, promoted.body
    assert promoted.json["status"] == "promoted" and promoted.json["promoted"] == "b"
    settings = shop.owner("GET", "").json["settings"]
    assert settings["email_texts"]["en"]["request_subject"] == SUBJECT_B
    # The lever is free: a new experiment on it starts, with the promoted subject as its control.
    assert start(shop, variants=[{"key": "a", "value": SUBJECT_B}, {"key": "c", "value": "A word?"}]).status_code == 201
    # The next buyer is asked with the promoted subject... or the new experiment's variant.
    shop.fulfilled_order("o-next", "c-o-next")
    shop.run_due()
    assert subject(shop.emails()[-1]) in (SUBJECT_B, "A word?")


# --- starting one: validation, one running a lever -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"variants": [{"key": "a", "value": ""}]}, "validation_failed"),  # one variant
        ({"variants": [{"key": "a", "value": ""}, {"key": "b", "value": "x" * 151}]}, "invalid_variant"),
        ({"variants": [{"key": "a", "value": ""}, {"key": "b", "value": "Two\nlines"}]}, "invalid_variant"),
        ({"variants": [{"key": "a", "value": "One"}, {"key": "b", "value": "Two"}]}, "no_control"),
        ({"variants": [{"key": "a", "value": ""}, {"key": "a", "value": "Two"}]}, "duplicate_variant"),
        ({"variants": [{"key": "a", "value": ""}, {"key": "b", "value": 3}]}, "invalid_variant"),
        ({"language": None}, "language_required"),
        ({"language": "xx"}, "validation_failed"),
        ({"alpha": 0}, "validation_failed"),
        ({"alpha": 5e-324}, "validation_failed"),  # split over variants it would round to nothing
        ({"lever": "request_delay_days", "variants": [{"key": "a", "value": 7}, {"key": "b", "value": 400}]}, None),
        (
            {
                "lever": "request_delay_days",
                "language": None,
                "variants": [{"key": "a", "value": 7}, {"key": "b", "value": 400}],
            },
            "invalid_variant",
        ),
        (
            {
                "lever": "request_delay_days",
                "language": None,
                "variants": [{"key": "a", "value": 6}, {"key": "b", "value": 3}],
            },
            "no_control",
        ),
        ({"lever": "share_prompt", "language": None}, "language_required"),  # the prompt's words are per language
        ({"lever": "friend_offer"}, "language_not_allowed"),  # an offer has no language
        ({"lever": "advocate_reward"}, "language_not_allowed"),
    ],
)
def test_a_bad_experiment_is_a_422_naming_what_is_wrong(shop, change, code):
    response = start(shop, **change)
    assert response.status_code == 422, response.body
    error = response.json["error"]
    if code is None:  # a delay experiment with a language
        assert error["code"] == "language_not_allowed"
    else:
        assert error["code"] == code
    if code == "invalid_variant":
        assert "variant 'b'" in error["message"]
    assert shop.owner("GET", "/experiments").json["experiments"] == []


def test_an_intro_experiment_writes_each_buyers_variant_in_their_language_only(shop):
    intro = "Thanks for trusting a small shop!"
    experiment_id = started(
        shop, lever="request_intro", language="fr", variants=[{"key": "a", "value": ""}, {"key": "b", "value": intro}]
    )
    orders = [f"o-{n}" for n in range(10)]
    for order_id in orders:
        shop.fulfilled_order(order_id, f"c-{order_id}", locale="fr")
    shop.fulfilled_order("o-en", "c-o-en", locale="en")  # another language: not in the experiment
    assert shop.run_due() == len(orders) + 1
    for message in shop.emails():
        order_id = recipient(message).split("@")[0][2:]
        wanted = order_id != "o-en" and variant_for(experiment_id, order_id, ("a", "b")) == "b"
        assert (intro in text_part(message)) == wanted
    assert sum(units(shop, experiment_id).values()) == len(orders)
    assert sum(u for u, _ in closed(shop, experiment_id).values()) == len(orders)


def test_one_running_experiment_a_lever_and_language(shop):
    first = started(shop)
    busy = start(shop, variants=[{"key": "a", "value": ""}, {"key": "z", "value": "Another"}])
    assert busy.status_code == 409 and busy.json["error"]["code"] == "lever_busy"
    # Another language, another text lever, the delay: each its own lever.
    french = started(shop, language="fr")
    intro = started(shop, lever="request_intro", variants=[{"key": "a", "value": ""}, {"key": "b", "value": "Hi!"}])
    delay = started(
        shop, lever="request_delay_days", language=None, variants=[{"key": "a", "value": 7}, {"key": "b", "value": 3}]
    )
    listed = shop.owner("GET", "/experiments").json
    assert [e["experiment_id"] for e in listed["experiments"]] == [delay, intro, french, first]  # newest first
    page = shop.owner("GET", "/experiments?limit=2").json
    assert [e["experiment_id"] for e in page["experiments"]] == [delay, intro] and page["cursor"]
    rest = shop.owner("GET", f"/experiments?limit=2&cursor={page['cursor']}").json
    assert [e["experiment_id"] for e in rest["experiments"]] == [french, first]


def test_two_starts_at_once_on_one_lever_cannot_both_win(shop, table, monkeypatch):
    from chalicelib.experiments import service

    read = service._shop
    before = read(table, shop.shop_id)  # what a second start read before the first one was written
    first = started(shop)
    stale = iter([before])
    monkeypatch.setattr(service, "_shop", lambda t, shop_id: next(stale, None) or read(t, shop_id))
    second = start(shop, variants=[{"key": "a", "value": ""}, {"key": "c", "value": "Another"}])
    assert second.status_code == 409 and second.json["error"]["code"] == "lever_busy"
    assert [e["experiment_id"] for e in shop.owner("GET", "/experiments").json["experiments"]] == [first]
    assert list(read(table, shop.shop_id).experiments) == ["request_subject:en"]


def test_an_unknown_experiment_is_404_and_another_shops_too(shop, api, outbox):
    assert shop.owner("GET", "/experiments/ex00000000000000000000000000").json["error"]["code"] == (
        "experiment_not_found"
    )
    assert shop.owner("GET", "/experiments/nope").status_code == 404
    assert shop.owner("POST", "/experiments/ex00000000000000000000000000/stop").status_code == 404
    experiment_id = started(shop)
    other = ReviewShop(api, outbox, review_delay_days=5)
    assert other.owner("GET", f"/experiments/{experiment_id}").status_code == 404
    assert other.owner("POST", f"/experiments/{experiment_id}/promote", {"variant": "b"}).status_code == 404
    assert shop.owner("GET", f"/experiments/{experiment_id}").status_code == 200


def test_stop_freezes_the_counts_and_frees_the_lever(shop):
    experiment_id = started(shop)
    for n in range(6):
        shop.fulfilled_order(f"o-{n}", f"c-o-{n}")
    shop.run_due()
    stopped = shop.owner("POST", f"/experiments/{experiment_id}/stop")
    assert stopped.status_code == 200 and stopped.json["status"] == "stopped" and stopped.json["ended_at"]
    frozen = {k: v["so_far"]["units"] for k, v in variants_of(stopped.json).items()}
    assert sum(frozen.values()) == 6
    assert shop.owner("POST", f"/experiments/{experiment_id}/stop").json["error"]["code"] == "not_running"
    assert shop.owner("POST", f"/experiments/{experiment_id}/promote", {"variant": "b"}).status_code == 409

    # After the stop: every buyer gets the shop's own subject again, and nothing more is counted.
    for n in range(6, 10):
        shop.fulfilled_order(f"o-{n}", f"c-o-{n}")
    shop.run_due()
    assert [subject(m) for m in shop.emails()[-4:]].count(SUBJECT_B) == 0
    assert review(shop, "o-0").status_code == 201
    again = shop.owner("GET", f"/experiments/{experiment_id}").json
    assert {k: v["so_far"]["units"] for k, v in variants_of(again).items()} == frozen
    assert sum(v["so_far"]["conversions"] for v in again["variants"]) == 0
    # Its six units still close after the stop, each with its outcome by then: o-0's review, within its window.
    result = closed(shop, experiment_id)
    assert {k: u for k, (u, _) in result.items()} == frozen and sum(c for _, c in result.values()) == 1
    assert start(shop).status_code == 201  # the lever is free


def test_promote_of_an_unknown_variant_is_422_and_changes_nothing(shop):
    experiment_id = started(shop)
    response = shop.owner("POST", f"/experiments/{experiment_id}/promote", {"variant": "z"})
    assert response.status_code == 422 and response.json["error"]["code"] == "unknown_variant"
    assert shop.owner("GET", f"/experiments/{experiment_id}").json["status"] == "running"
    assert shop.owner("GET", "").json["settings"]["email_texts"] == {}
    assert start(shop).json["error"]["code"] == "lever_busy"


def test_promoting_a_delay_goes_through_the_settings_own_change(shop):
    experiment_id = started(
        shop, lever="request_delay_days", language=None, variants=[{"key": "a", "value": 7}, {"key": "b", "value": 3}]
    )
    promoted = shop.owner("POST", f"/experiments/{experiment_id}/promote", {"variant": "b"})
    assert promoted.status_code == 200, promoted.body
    assert shop.owner("GET", "").json["settings"]["review_delay_days"] == 3
    # A setting changed meanwhile that the variant no longer fits is refused as PATCH would refuse it.
    intro = started(shop, lever="request_intro", variants=[{"key": "a", "value": ""}, {"key": "b", "value": "Hi"}])
    assert shop.owner("POST", f"/experiments/{intro}/promote", {"variant": "b"}).status_code == 200
    assert shop.owner("GET", "").json["settings"]["email_texts"]["en"]["request_intro"] == "Hi"


# --- assignment ------------------------------------------------------------------------------------------------------
def test_assignment_is_stable_and_within_sampling_bounds_over_10000_units(api):
    for variants in (("a", "b"), ("a", "b", "c"), ("a", "b", "c", "d")):
        units = [f"order-{n}" for n in range(10_000)]
        first = [variant_for("ex1", unit, variants) for unit in units]
        assert first == [variant_for("ex1", unit, variants) for unit in units]  # the same every time
        counted = Counter(first)
        share = 1 / len(variants)
        bound = 4.5 * math.sqrt(10_000 * share * (1 - share))  # 4.5 sigma: a false alarm about once in 150,000 runs
        assert set(counted) == set(variants)
        assert all(abs(n - 10_000 * share) <= bound for n in counted.values()), counted
    # Another experiment shuffles units afresh: its assignment is independent of the first's.
    other = [variant_for("ex2", f"order-{n}", ("a", "b")) for n in range(10_000)]
    first = [variant_for("ex1", f"order-{n}", ("a", "b")) for n in range(10_000)]
    agree = sum(x == y for x, y in zip(first, other, strict=True))
    assert abs(agree - 5_000) <= 4.5 * 50


def test_a_delay_variant_is_kept_with_the_order_through_redelivery_and_retries(shop, table, monkeypatch):
    experiment_id = started(
        shop, lever="request_delay_days", language=None, variants=[{"key": "a", "value": 7}, {"key": "b", "value": 2}]
    )
    orders = in_both_arms(experiment_id, 8)
    for order_id in orders:
        shop.fulfilled_order(order_id, f"c-{order_id}")
    fulfilled = datetime.fromisoformat(FULFILLED.replace("Z", "+00:00"))
    expected = {o: variant_for(experiment_id, o, ("a", "b")) for o in orders}
    assert set(expected.values()) == {"a", "b"}
    for order_id in orders:
        order = order_item(table, shop.shop_id, order_id)
        assert order["assigned"] == {experiment_id: expected[order_id]}
        days = {"a": 7, "b": 2}[expected[order_id]]
        assert datetime.fromisoformat(order["request_due_at"].replace("Z", "+00:00")) == fulfilled + timedelta(
            days=days
        )
    # Delivered again (and again), the orders keep their variant and their due time.
    before = {o: order_item(table, shop.shop_id, o) for o in orders}
    for order_id in orders[:5]:
        shop.fulfilled_order(order_id, f"c-{order_id}")
        shop.deliver("order.delivered", order_id, f"c-{order_id}")  # re-planned: the same variant
    for order_id in orders:
        after = order_item(table, shop.shop_id, order_id)
        assert after["assigned"] == before[order_id]["assigned"]
        assert after["request_due_at"] == before[order_id]["request_due_at"]
    # Each order counted once, when its plan assigned it, whatever was delivered again since.
    truth = Counter(expected.values())
    assert units(shop, experiment_id) == {"a": truth["a"], "b": truth["b"]}
    # A failed send, its retry with the same variant, and the reminders a week later count nothing more.
    from tests.unit.test_due_failures import mailer_failing

    mailer_failing(monkeypatch, {f"c-{orders[0]}@example.com": RuntimeError("mail service down")})
    assert shop.run_due() == len(orders) - 1
    monkeypatch.undo()
    assert units(shop, experiment_id) == {"a": truth["a"], "b": truth["b"]}
    assert shop.run_due(LATER + timedelta(hours=1)) == 1  # the retry, after its backoff
    assert order_item(table, shop.shop_id, orders[0])["request_status"] == "sent"
    assert "exposed" not in order_item(table, shop.shop_id, orders[0])  # the send counted no delay unit
    assert units(shop, experiment_id) == {"a": truth["a"], "b": truth["b"]}
    assert shop.run_due(LATER + timedelta(days=8)) == len(orders)
    assert units(shop, experiment_id) == {"a": truth["a"], "b": truth["b"]}


# --- the delay's unit: the order as assigned (intent to treat) -------------------------------------------------------
def test_a_delay_unit_is_counted_when_the_plan_assigns_the_variant_and_never_again(shop, table):
    experiment_id = delay_started(shop)
    variant = variant_for(experiment_id, "o-1", ("a", "b"))
    none = {"a": 0, "b": 0}
    shop.deliver("order.created", "o-1", "c-1")
    assert "assigned" not in order_item(table, shop.shop_id, "o-1")  # not shipped: no request planned, no variant
    assert units(shop, experiment_id) == none
    shop.deliver("order.fulfilled", "o-1", "c-1", timestamp=FULFILLED)
    assert order_item(table, shop.shop_id, "o-1")["assigned"] == {experiment_id: variant}
    one = {**none, variant: 1}
    assert units(shop, experiment_id) == one  # at once, before any send
    assert shop.emails() == []
    # The same webhooks again, then a delivery and a partial refund: re-planned with the variant kept, not recounted.
    shop.deliver("order.fulfilled", "o-1", "c-1", timestamp=FULFILLED)
    shop.deliver("order.created", "o-1", "c-1")
    shop.deliver("order.delivered", "o-1", "c-1", timestamp=clock.iso(after_fulfilment(1)))
    shop.deliver(
        "order.refunded", "o-1", "c-1", amount="5.00", refund_id="r-1", timestamp=clock.iso(after_fulfilment(2))
    )
    order = order_item(table, shop.shop_id, "o-1")
    assert order["delivered_at"] and order["refunds"] and order["assigned"] == {experiment_id: variant}
    assert units(shop, experiment_id) == one
    # Its request and its reminder count nothing more.
    assert shop.run_due() == 1
    assert units(shop, experiment_id) == one
    assert shop.run_due(LATER + timedelta(days=8)) == 1
    assert units(shop, experiment_id) == one


def test_the_delivery_that_moves_a_request_off_its_assumed_delivery_counts_no_second_unit(api, outbox, table):
    shop = ReviewShop(api, outbox, review_after="delivery", delivery_fallback_days=10)
    experiment_id = delay_started(shop)
    variant = variant_for(experiment_id, "o-1", ("a", "b"))
    shop.fulfilled_order("o-1", "c-1")
    before = order_item(table, shop.shop_id, "o-1")
    assert before["request_basis"] == "assumed_delivery" and before["assigned"] == {experiment_id: variant}
    one = {"a": 0, "b": 0, variant: 1}
    assert units(shop, experiment_id) == one
    delivered = after_fulfilment(2)
    shop.deliver("order.delivered", "o-1", "c-1", timestamp=clock.iso(delivered))
    after = order_item(table, shop.shop_id, "o-1")
    assert after["request_basis"] == "delivery" and after["assigned"] == before["assigned"]
    days = {"a": 7, "b": 2}[variant]
    assert after["request_due_at"] == clock.iso(delivered + timedelta(days=days))  # rescheduled with its variant
    assert units(shop, experiment_id) == one
    shop.deliver("order.delivered", "o-1", "c-1", timestamp=clock.iso(delivered))  # again
    assert units(shop, experiment_id) == one


def test_a_delivery_that_loses_the_race_to_assign_re_plans_without_a_second_unit(shop, table, monkeypatch):
    from chalicelib.orders import writer

    experiment_id = delay_started(shop)
    variant = variant_for(experiment_id, "o-1", ("a", "b"))
    shop.deliver("order.created", "o-1", "c-1")
    real_plan = writer.plan_order_event
    planned: list[dict[str, str]] = []

    def plan_then_race(*args: Any, **kwargs: Any) -> Any:
        plan = real_plan(*args, **kwargs)
        planned.append(dict(plan.newly_assigned))
        if len(planned) == 1:  # the fulfilment lands between our read and our write, and assigns the order first
            shop.deliver("order.fulfilled", "o-1", "c-1", timestamp=FULFILLED)
        return plan

    monkeypatch.setattr(writer, "plan_order_event", plan_then_race)
    shop.deliver("order.delivered", "o-1", "c-1", timestamp=clock.iso(after_fulfilment(1)))
    monkeypatch.undo()
    # Ours planned the assignment (planned[0]), the fulfilment's plan assigned it and won (planned[1]); ours lost the
    # race, re-read and re-planned without it (planned[2]): the delivery kept, no unit more.
    assert planned == [{experiment_id: variant}, {experiment_id: variant}, {}]
    assert order_item(table, shop.shop_id, "o-1")["delivered_at"]
    assert units(shop, experiment_id) == {"a": 0, "b": 0, variant: 1}


def test_an_order_cancelled_or_refunded_before_its_request_still_counts_in_its_variant(shop, table):
    experiment_id = delay_started(shop)
    orders = in_both_arms(experiment_id, 6)
    for order_id in orders:
        shop.fulfilled_order(order_id, f"c-{order_id}")
    expected = {o: variant_for(experiment_id, o, ("a", "b")) for o in orders}
    assert set(expected.values()) == {"a", "b"}
    truth = Counter(expected.values())
    assert units(shop, experiment_id) == {"a": truth["a"], "b": truth["b"]}
    cancelled, refunded = orders[0], orders[1]
    shop.deliver("order.cancelled", cancelled, f"c-{cancelled}", timestamp=clock.iso(after_fulfilment(1)))
    shop.deliver("order.refunded", refunded, f"c-{refunded}", refund_id="r-1", timestamp=clock.iso(after_fulfilment(1)))
    for order_id in (cancelled, refunded):
        order = order_item(table, shop.shop_id, order_id)
        assert order["request_status"] == "cancelled"
        assert order["assigned"] == {experiment_id: expected[order_id]}
    assert units(shop, experiment_id) == {"a": truth["a"], "b": truth["b"]}  # nothing taken back
    # The others' requests go; the reversed two are never asked, and the send counts no unit again.
    assert shop.run_due() == len(orders) - 2
    asked = sorted(recipient(m) for m in shop.emails())
    assert asked == sorted(f"c-{o}@example.com" for o in orders[2:])
    assert totals(table, shop.shop_id)["review_requests"] == len(orders) - 2
    assert units(shop, experiment_id) == {"a": truth["a"], "b": truth["b"]}
    assert shop.run_due(LATER + timedelta(days=8)) == len(orders) - 2  # the reminders
    assert units(shop, experiment_id) == {"a": truth["a"], "b": truth["b"]}


def test_a_review_converts_the_delay_variant_the_order_was_assigned_once(shop, table):
    experiment_id = delay_started(shop)
    orders = in_both_arms(experiment_id, 4)
    for order_id in orders:
        shop.fulfilled_order(order_id, f"c-{order_id}")
    expected = {o: variant_for(experiment_id, o, ("a", "b")) for o in orders}
    early = next(o for o in orders if expected[o] == "a")
    late = next(o for o in orders if expected[o] == "b")
    # Reviewed before its request goes: converted in its variant, and its request is not sent.
    assert review(shop, early).status_code == 201
    assert review(shop, early, "p-cap", rating=3).status_code == 201  # another product of the same order
    assert conversions(shop, experiment_id) == {"a": 1, "b": 0}
    assert shop.run_due() == len(orders) - 1
    assert f"c-{early}@example.com" not in {recipient(m) for m in shop.emails()}
    # Reviewed after its request: converted in its own variant, once.
    assert review(shop, late).status_code == 201
    assert review(shop, late, "p-cap", rating=4).status_code == 201
    assert review(shop, late).status_code in (200, 201)  # the same again: replayed
    assert conversions(shop, experiment_id) == {"a": 1, "b": 1}
    truth = Counter(expected.values())
    assert units(shop, experiment_id) == {"a": truth["a"], "b": truth["b"]}
    assert closed(shop, experiment_id) == {"a": (truth["a"], 1), "b": (truth["b"], 1)}


def test_delay_units_equal_the_distinct_assigned_orders_over_a_replayed_workload(shop, table):
    rng = random.Random(68)
    experiment_id = delay_started(shop)
    orders = [f"o-{n}" for n in range(80)]
    shipped = clock.iso(after_fulfilment(0))
    later = clock.iso(after_fulfilment(1))
    per_order: dict[str, list[str]] = {}
    for order_id in orders:
        events = ["order.created", "order.fulfilled"]
        roll = rng.random()
        if roll < 0.2:
            events.append("order.cancelled")
        elif roll < 0.35:
            events.append("order.refunded")  # in full
        if rng.random() < 0.3:
            events.append("order.delivered")
        for _ in range(rng.randint(0, 2)):
            events.append(rng.choice(events))  # delivered again
        rng.shuffle(events)  # in any order: a cancellation, a refund or the fulfilment before the order
        per_order[order_id] = events
    deliveries = [(kind, o) for o, events in per_order.items() for kind in events]
    rng.shuffle(deliveries)
    for kind, order_id in deliveries:
        timestamp = shipped if kind in ("order.fulfilled", "order.delivered") else later
        extra = {"refund_id": "r-1"} if kind == "order.refunded" else {}
        shop.deliver(kind, order_id, f"c-{order_id}", timestamp=timestamp, **extra)

    def first(events: list[str], kinds: tuple[str, ...]) -> int:
        return min((n for n, kind in enumerate(events) if kind in kinds), default=len(events))

    # Each delivery makes the order known; one is assigned when it ships before anything reverses it.
    arrived = {o: [kind for kind, order_id in deliveries if order_id == o] for o in orders}
    ships = ("order.fulfilled", "order.delivered")
    reverses = ("order.cancelled", "order.refunded")
    assigned = {o for o in orders if first(arrived[o], ships) < first(arrived[o], reverses)}
    assert 0 < len(assigned) < len(orders)
    assert {o for o in orders if order_item(table, shop.shop_id, o).get("assigned")} == assigned
    truth = Counter(variant_for(experiment_id, o, ("a", "b")) for o in assigned)
    assert units(shop, experiment_id) == {"a": truth["a"], "b": truth["b"]}
    assert sum(units(shop, experiment_id).values()) == len(assigned)
    # Only the never-reversed orders are asked; the send counts nothing again.
    asked = {o for o in orders if not set(per_order[o]) & set(reverses)}
    assert shop.run_due() == len(asked)
    assert units(shop, experiment_id) == {"a": truth["a"], "b": truth["b"]}
    assert closed(shop, experiment_id) == {"a": (truth["a"], 0), "b": (truth["b"], 0)}


def test_the_order_webhook_makes_the_same_calls_with_experiments_running(shop, table):
    client = get_client()
    with calls(client) as without:
        shop.fulfilled_order("o-1", "c-1")
    started(shop)
    started(
        shop, lever="request_delay_days", language=None, variants=[{"key": "a", "value": 7}, {"key": "b", "value": 2}]
    )
    shop.owner("GET", "")  # the shop as read lately is the one with its experiments
    with calls(client) as running:
        shop.fulfilled_order("o-2", "c-2")
    assert running == without
    assert order_item(table, shop.shop_id, "o-2")["assigned"]


# --- counts exact ----------------------------------------------------------------------------------------------------
def test_counts_are_exact_against_a_replayed_workload_with_duplicates_and_reordering(shop, table):
    rng = random.Random(28)
    subject_id = started(shop)
    delay_id = started(
        shop, lever="request_delay_days", language=None, variants=[{"key": "a", "value": 7}, {"key": "b", "value": 4}]
    )
    orders = [f"o-{n}" for n in range(120)]
    deliveries: list[tuple[str, str]] = []
    for order_id in orders:
        events = [("order.created", order_id), ("order.fulfilled", order_id)]
        if rng.random() < 0.3:
            events.append(rng.choice(events))  # delivered twice
        if rng.random() < 0.3:
            events.reverse()  # the fulfilment before the order
        deliveries += events
    for kind, order_id in deliveries:
        timestamp = FULFILLED if kind == "order.fulfilled" else None
        shop.deliver(kind, order_id, f"c-{order_id}", **({"timestamp": timestamp} if timestamp else {}))
    assert shop.run_due() == len(orders)
    assert shop.run_due() == 0  # a second run finds nothing to send

    reviewed = set(rng.sample(orders, 45))
    for order_id in sorted(reviewed):
        assert review(shop, order_id).status_code == 201
        if rng.random() < 0.4:
            assert review(shop, order_id, "p-cap", rating=3).status_code == 201  # a second product: one order
        if rng.random() < 0.3:
            assert review(shop, order_id).status_code in (200, 201)  # the same again: replayed, counted once

    for experiment_id, variants in ((subject_id, ("a", "b")), (delay_id, ("a", "b"))):
        assigned = {o: variant_for(experiment_id, o, variants) for o in orders}
        body = shop.owner("GET", f"/experiments/{experiment_id}").json
        counted = {v["key"]: (v["so_far"]["units"], v["so_far"]["conversions"]) for v in body["variants"]}
        truth = {
            key: (
                sum(1 for o in orders if assigned[o] == key),
                sum(1 for o in reviewed if assigned[o] == key),
            )
            for key in variants
        }
        assert counted == truth
        assert closed(shop, experiment_id) == truth  # each unit closed once, with its outcome
        assert sum(u for u, _ in counted.values()) == totals(table, shop.shop_id)["review_requests"]
    sent_b = sum(1 for m in shop.emails() if subject(m) == SUBJECT_B)
    assert sent_b == sum(1 for o in orders if variant_for(subject_id, o, ("a", "b")) == "b")


# --- privacy ---------------------------------------------------------------------------------------------------------
def test_a_shops_erasure_removes_its_experiments_and_they_hold_nothing_personal(shop, table):
    from chalicelib.privacy import request_shop_redaction, run_shop_redactions
    from chalicelib.store.shop_records import get_shop

    experiment_id = started(shop)
    shop.fulfilled_order("o-1", "c-1", name="Ada Lovelace")
    shop.run_due()
    assert review(shop, "o-1").status_code == 201
    partition = keys.shop_partition(shop.shop_id)
    found = {sk: text for (pk, sk), text in scan(table).items() if pk == partition and sk.startswith("EXP")}
    # The experiment, its two variants' counters (the start's item of each, and a shard each count drew) and the
    # order's unit, which names the order as the order's own `exposed` does, and nothing of its buyer.
    assert sum(sk.startswith(keys.EXPERIMENT_PREFIX) for sk in found) == 1
    assert 2 <= sum(sk.startswith(keys.EXPERIMENT_VARIANT_PREFIX) for sk in found) <= 4
    assert [sk for sk in found if sk.startswith(keys.EXPERIMENT_UNIT_PREFIX)] == [
        keys.experiment_unit_key(shop.shop_id, experiment_id, "o-1")[keys.SK]
    ]
    assert len(found) <= 6
    text = str(list(found.values()))
    for personal in ("c-1", "Ada", "Lovelace", "example.com"):
        assert personal not in text
    assert "o-1" not in str([t for sk, t in found.items() if not sk.startswith(keys.EXPERIMENT_UNIT_PREFIX)])
    # The buyer's data export shows their order's variant, nothing of the experiment beyond it.
    exported = shop.owner("GET", "/customers/c-1/data").json
    assert exported["orders"][0]["exposed"] == {experiment_id: variant_for(experiment_id, "o-1", ("a", "b"))}

    request_shop_redaction(table, get_shop(table, shop.shop_id))
    run_shop_redactions(table)
    assert [sk for pk, sk in scan(table) if pk == partition and sk.startswith("EXP")] == []


def test_each_look_keeps_its_intervals_so_the_next_never_widens(shop, table):
    from chalicelib.experiments import models, stats

    assert (models.DEFAULT_ALPHA, models.MIN_VARIANTS, models.MAX_VARIANTS) == (
        stats.DEFAULT_ALPHA,
        stats.MIN_VARIANTS,
        stats.MAX_VARIANTS,
    )
    experiment_id = started(shop)
    for n in range(8):
        shop.fulfilled_order(f"o-{n}", f"c-o-{n}")
    shop.run_due()
    for n in range(0, 8, 2):
        assert review(shop, f"o-{n}").status_code == 201
    outcomes_arrived(table, shop.shop_id, experiment_id)
    first = variants_of(shop.owner("GET", f"/experiments/{experiment_id}").json)["b"]["difference"]
    stored = table.get(keys.experiment_key(shop.shop_id, experiment_id))["looks"]["b"]
    assert {name: float(value) for name, value in stored.items()} == first
    for n in range(8, 14):
        shop.fulfilled_order(f"o-{n}", f"c-o-{n}")
    shop.run_due()
    second = variants_of(shop.owner("GET", f"/experiments/{experiment_id}").json)["b"]["difference"]
    assert first["low"] <= second["low"] <= second["high"] <= first["high"]


def test_two_overlapping_looks_keep_the_narrower_intervals(shop, table, monkeypatch):
    """A look computed from fewer units, kept after a later look that saw more, must not write its wider intervals
    over the later one's: the next look would start from them, and a decision could flip back."""
    from chalicelib.store import experiments as store

    experiment_id = started(shop)

    def counted(variant: str, units: int, conversions: int) -> None:  # units closed with their outcomes
        closed_counts(table, shop.shop_id, experiment_id, variant, units, conversions)

    counted("a", 300, 60)
    counted("b", 300, 75)
    outcomes_arrived(table, shop.shop_id, experiment_id)
    real = store.save_looks
    later: dict[str, Any] = {}
    raced: list[bool] = []

    def overtaken(*args: Any, **kwargs: Any) -> bool:
        if not raced:  # the first look, before it is kept: many more units, and a second look kept first
            raced.append(True)
            counted("a", 3000, 600)
            counted("b", 3000, 750)
            inner = shop.owner("GET", f"/experiments/{experiment_id}")
            assert inner.status_code == 200, inner.body
            later.update(variants_of(inner.json)["b"]["difference"])
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "save_looks", overtaken)
    answer = variants_of(shop.owner("GET", f"/experiments/{experiment_id}").json)["b"]["difference"]
    kept = {n: float(v) for n, v in table.get(keys.experiment_key(shop.shop_id, experiment_id))["looks"]["b"].items()}
    assert later and later["high"] - later["low"] < 0.2  # the second look saw enough to narrow the interval
    # The first look, overtaken, started again from the second's intervals: what is kept never widened.
    assert later["low"] <= kept["low"] <= kept["high"] <= later["high"]
    assert answer == kept


def test_nothing_is_decided_or_kept_while_the_outcomes_are_still_arriving(shop, table):
    """On its first day an experiment has sent requests whose reviews have not come yet: 0 of 300 against 0 of 300
    would read as "no difference" (and, kept, would cap every later interval). It reads as running until its first
    units have had their outcome window, then it is decided on the counts."""
    from datetime import timedelta

    from chalicelib import clock
    from chalicelib.store.experiments import count_ops

    experiment_id = started(shop)
    for variant in ("a", "b"):
        table.transact(count_ops(table, shop.shop_id, {experiment_id: variant}, "closed_units", 300))
    early = shop.owner("GET", f"/experiments/{experiment_id}").json
    item = table.get(keys.experiment_key(shop.shop_id, experiment_id))
    assert int(item["outcome_days"]) == 7 + 14  # the reminder's 7 days and two weeks for the reviews
    assert early["readable_from"] == clock.iso(clock.parse(item["created_at"]) + timedelta(days=21))
    assert early["decision"] == "running" and early["sentence"].startswith("Too early to read")
    assert "looks" not in item and "decided" not in item
    assert variants_of(early)["b"]["units"] == 300  # the counts are shown as they are

    outcomes_arrived(table, shop.shop_id, experiment_id)
    later = shop.owner("GET", f"/experiments/{experiment_id}").json
    assert later["decision"] == "no_difference"  # 0 of 300 both, once the reviews had their time
    kept = table.get(keys.experiment_key(shop.shop_id, experiment_id))
    assert kept["decided"] == "no_difference" and set(kept["looks"]) == {"b"}


def test_a_decision_once_reached_stays_however_the_counts_go_on(shop, table):
    experiment_id = started(shop, max_units_per_variant=100)

    def counted(variant: str, units: int, conversions: int) -> None:  # units closed with their outcomes
        closed_counts(table, shop.shop_id, experiment_id, variant, units, conversions)

    counted("a", 100, 20)
    counted("b", 100, 24)
    outcomes_arrived(table, shop.shop_id, experiment_id)
    assert shop.owner("GET", f"/experiments/{experiment_id}").json["decision"] == "inconclusive"
    counted("a", 4000, 800)  # units still arrive past the most: B would now read as better
    counted("b", 4000, 1200)
    answer = shop.owner("GET", f"/experiments/{experiment_id}").json
    assert answer["decision"] == "inconclusive"
    assert answer["sentence"].startswith("Stopped at the most units without a conclusion")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, 7 + 7 + 14),  # the longest delay, the reminder, two weeks
        ({"review_after": "delivery"}, 10 + 7 + 7 + 14),  # and the assumed delivery
        ({"reminder_after_days": 0}, 7 + 0 + 14),
    ],
)
def test_a_delay_experiment_waits_for_its_longest_arm(shop, table, settings, expected):
    if settings:
        assert shop.owner("PATCH", "", {"settings": settings}).status_code == 200
    experiment_id = delay_started(shop)
    assert int(table.get(keys.experiment_key(shop.shop_id, experiment_id))["outcome_days"]) == expected
