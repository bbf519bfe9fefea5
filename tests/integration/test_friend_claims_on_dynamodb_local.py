"""Friends' claims of the give-get offer on DynamoDB Local, where concurrent claims really run side by side (moto's
unit version serializes each call): the claim's own path (chalicelib.referrals.claims.claim) from 20 threads on a
friend pool of 10, then the due work sending the waiting ones their codes once the pool is refilled."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from chalicelib import clock
from chalicelib.referrals.claims import WAITING_RETRY, ClaimAnswer, claim, send_friend_codes
from chalicelib.referrals.offers import friend_holder, friend_key
from chalicelib.reviews.tokens import review_token
from chalicelib.sharing.codes import get_code
from chalicelib.store import claims, keys
from chalicelib.store.shop_records import get_shop
from tests.integration.support import deliver

FRIENDS = 20
POOL = 10


@pytest.fixture
def outbox(tmp_path, monkeypatch) -> Iterator[Any]:
    """The outbox mailer of this process, in a folder of this test's own."""
    from chalicelib.config import reset_settings
    from chalicelib.mail import reset_mailer

    folder = tmp_path / "outbox"
    monkeypatch.setenv("PROOFLOOP_OUTBOX", str(folder))
    reset_settings()
    reset_mailer()
    yield folder
    reset_mailer()
    monkeypatch.delenv("PROOFLOOP_OUTBOX")
    reset_settings()


def _upload(live: Any, shop_id: str, key: str, codes: list[str]) -> dict[str, Any]:
    response = live.request(
        "POST",
        f"/shops/{shop_id}/referral/codes/friend",
        data=("code\n" + "\n".join(codes) + "\n").encode(),
        headers={"Content-Type": "text/csv"},
        token=key,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _program(live: Any, shop_id: str, key: str) -> dict[str, Any]:
    response = live.request("GET", f"/shops/{shop_id}/referral", token=key)
    assert response.status_code == 200, response.text
    return response.json()


def _send_due(db: Any) -> None:
    """The friends' codes' due work until it finds nothing more due now (other tests' shops share the index)."""
    for _ in range(20):
        if send_friend_codes(db) == 0:
            return
    raise AssertionError("the due work kept finding claims")


def _mails(outbox: Any) -> dict[str, list[Any]]:
    by_address: dict[str, list[Any]] = {}
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        by_address.setdefault(str(message["To"]).lower(), []).append(message)
    return by_address


def test_twenty_friends_claiming_at_once_on_a_pool_of_ten(live, new_shop, db, outbox):
    # Given a shop running the program, an advocate's share link, and 10 friend codes uploaded over HTTP
    shop, key = new_shop()
    shop_id = shop["shop_id"]
    settings = {"referral": {"enabled": True, "friend_offer": {"type": "percent", "value": "10"}}}
    assert live.request("PATCH", f"/shops/{shop_id}", {"settings": settings}, token=key).status_code == 200
    deliver(live, shop, "order.created", "a-1", "adv-1")
    review = live.request(
        "POST",
        "/reviews",
        {
            "token": review_token(shop_id, "a-1", ["p-100"]),
            "product_id": "p-100",
            "rating": 5,
            "title": "",
            "body": "Lovely.",
        },
    )
    assert review.status_code == 201, review.text
    share = get_code(db, review.json()["share"]["code"])
    first = [f"Wave1-{n:02d}" for n in range(POOL)]
    assert _upload(live, shop_id, key, first)["available"] == POOL
    program = get_shop(db, shop_id, consistent=True)
    assert program is not None and program.settings.referral.enabled
    addresses = [f"friend-{n:02d}@example.com" for n in range(FRIENDS)]
    destination = f"https://{shop['domains'][0]}/"
    barrier = threading.Barrier(FRIENDS)

    def claim_one(n: int) -> ClaimAnswer:
        barrier.wait()
        # Each friend in a browser of their own: the per-visitor daily limit plays no part
        return claim(db, program, share, addresses[n], f"visitor-{shop_id}-{n}", "en", destination)

    # When 20 distinct friends claim at once
    with ThreadPoolExecutor(max_workers=FRIENDS) as threads:
        answers = list(threads.map(claim_one, range(FRIENDS)))

    # Then 10 are ready with 10 distinct codes, each code's item held by its one claim, and 10 wait
    ready = {addresses[n]: a.code for n, a in enumerate(answers) if a.status == "ready"}
    waiting = [addresses[n] for n, a in enumerate(answers) if a.status == "waiting_for_code"]
    assert len(ready) == POOL and len(waiting) == FRIENDS - POOL
    assert sorted(ready.values()) == first
    assert all(a.code is None for a in answers if a.status == "waiting_for_code")
    for address, code in ready.items():
        assert code is not None
        held = db.get(keys.referral_code_key(shop_id, code), consistent=True)
        assert held["holder"] == friend_holder(friend_key(address))
        stored = claims.read(db, shop_id, friend_key(address))
        assert stored is not None and stored.code == code
    assert _program(live, shop_id, key)["pools"]["friend"] == {"available": 0, "handed_out": POOL}

    # When the due work runs: the ready ones are mailed, the waiting ones look at the empty pool and wait
    _send_due(db)
    assert sorted(_mails(outbox)) == sorted(ready)
    # And the pool is refilled, and the due work runs once their wait is over
    second = [f"Wave2-{n:02d}" for n in range(POOL)]
    assert _upload(live, shop_id, key, second)["available"] == POOL
    _send_due(db)
    assert sorted(_mails(outbox)) == sorted(ready)  # not before their time
    with time_machine.travel(clock.now() + WAITING_RETRY + timedelta(minutes=1), tick=False):
        _send_due(db)

    # Then the waiting friends hold the 10 new codes, each once, and every friend got exactly one email
    later = {}
    for address in waiting:
        stored = claims.read(db, shop_id, friend_key(address))
        assert stored is not None and stored.code is not None and stored.email is None and stored.mailed_at
        later[address] = stored.code
        held = db.get(keys.referral_code_key(shop_id, stored.code), consistent=True)
        assert held["holder"] == friend_holder(friend_key(address))
    assert sorted(later.values()) == second
    mails = _mails(outbox)
    assert sorted(mails) == sorted(addresses)
    for address, sent in mails.items():
        assert len(sent) == 1, address
        code = ready.get(address) or later[address]
        assert code in sent[0].get_body(("plain",)).get_content()
    overview = _program(live, shop_id, key)
    assert overview["pools"]["friend"] == {"available": 0, "handed_out": FRIENDS}
    assert overview["claims"] == FRIENDS
    # And a friend claiming again gets the code they hold
    again = claim(db, program, share, waiting[0], f"visitor-{shop_id}-again", "en", destination)
    assert again.status == "ready" and again.code == later[waiting[0]]


def test_friends_pages_and_claims_at_once_in_an_offer_experiment_count_each_visitor_once(live, new_shop, db, outbox):
    """A viral link while a friend-offer experiment runs: 48 friends' browsers open the page twice each and 10 of them
    claim, all at once. Every unit and every claim is counted exactly once, on the visitor's variant, with the
    variant counters' shards added up. (DynamoDB Local runs transactions one at a time and never answers
    TransactionConflict: the collisions themselves, drawn again on another shard, are injected in
    tests/unit/test_experiment_offers.py.)"""
    from chalicelib.experiments.assignment import variant_for
    from chalicelib.experiments.closing import close_due_units
    from chalicelib.referrals.page import count_friend_visit

    shop, key = new_shop()
    shop_id = shop["shop_id"]
    settings = {"referral": {"enabled": True, "friend_offer": {"type": "percent", "value": "10"}}}
    assert live.request("PATCH", f"/shops/{shop_id}", {"settings": settings}, token=key).status_code == 200
    deliver(live, shop, "order.created", "a-1", "adv-1")
    body = {"token": review_token(shop_id, "a-1", ["p-100"]), "product_id": "p-100", "rating": 5, "body": "Lovely."}
    review = live.request("POST", "/reviews", {**body, "title": ""})
    assert review.status_code == 201, review.text
    share = get_code(db, review.json()["share"]["code"])
    _upload(live, shop_id, key, [f"Viral-{n:02d}" for n in range(POOL)])
    started = live.request(
        "POST",
        f"/shops/{shop_id}/experiments",
        {
            "name": "Five off",
            "lever": "friend_offer",
            "variants": [
                {"key": "a", "value": {"type": "percent", "value": "10"}},
                {"key": "b", "value": {"type": "amount", "value": "5", "currency": "USD"}},
            ],
        },
        token=key,
    )
    assert started.status_code == 201, started.text
    experiment_id = started.json()["experiment_id"]
    program = get_shop(db, shop_id, consistent=True)
    assert program is not None and program.experiments
    visitors = [f"visitor-{shop_id}-{n}" for n in range(48)]
    claimants = visitors[:POOL]
    destination = f"https://{shop['domains'][0]}/"
    barrier = threading.Barrier(16)

    def friend(n: int) -> None:
        barrier.wait()
        for visitor in visitors[n::16]:
            count_friend_visit(db, program, visitor)
            count_friend_visit(db, program, visitor)  # a reload is no second unit
            if visitor in claimants:
                answer = claim(db, program, share, f"{visitor}@example.com", visitor, "en", destination)
                assert answer.status == "ready"

    with ThreadPoolExecutor(max_workers=16) as threads:
        list(threads.map(friend, range(16)))

    def variants() -> dict[str, dict[str, Any]]:
        found = live.request("GET", f"/shops/{shop_id}/experiments/{experiment_id}", token=key)
        assert found.status_code == 200, found.text
        return {v["key"]: v for v in found.json()["variants"]}

    expected_units = {"a": 0, "b": 0}
    expected_claims = {"a": 0, "b": 0}
    for visitor in visitors:
        chosen = variant_for(experiment_id, visitor, ("a", "b"))
        expected_units[chosen] += 1
        expected_claims[chosen] += visitor in claimants
    # As counted when they came: every visitor once
    counted = variants()
    assert {k: v["so_far"] for k, v in counted.items()} == {
        k: {"units": n, "conversions": 0} for k, n in expected_units.items()
    }
    assert {k: (v["units"], v["claims"]) for k, v in counted.items()} == {"a": (0, 0), "b": (0, 0)}  # none closed
    # Once their windows closed (the due work run a day after the attribution window; other tests' units may close
    # in the same run), every unit and claim is counted once more, exactly
    month = timedelta(days=program.settings.attribution_window_days + 3)  # the window and the grace after it
    assert close_due_units(db, now=clock.now() + month) >= len(visitors)
    assert close_due_units(db, now=clock.now() + month) == 0
    closed = variants()
    assert {k: v["units"] for k, v in closed.items()} == expected_units
    assert {k: v["claims"] for k, v in closed.items()} == expected_claims
    assert {k: v["conversions"] for k, v in closed.items()} == {"a": 0, "b": 0}
