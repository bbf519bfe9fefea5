"""Experiments through HTTP: start one on a request lever, requests go out with each variant, units and
conversions counted exactly per variant, the decision read at any time, stop and promote."""

from __future__ import annotations

import email.header
import json
import random
from collections import Counter
from typing import Any

import pytest

from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys
from tests.stand_ins.fixtures import scan
from tests.unit.review_support import ITEMS, ReviewShop

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
    assert counted["b"]["units"] == len(with_b) and counted["a"]["units"] == len(orders) - len(with_b)
    assert counted["b"]["conversions"] == 2 and counted["a"]["conversions"] == 2
    assert counted["a"]["difference"] is None and counted["a"]["control"] is True
    diff = counted["b"]["difference"]
    assert diff["low"] <= diff["estimate"] <= diff["high"] and counted["b"]["sentence"].startswith("Subject b")

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
