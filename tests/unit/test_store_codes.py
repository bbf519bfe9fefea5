"""Give-get codes made by the shop's connected store (issue 27, part 4), through the HTTP API against loopback
stand-ins of Shopify's GraphQL Admin API and WooCommerce's REST API.

The friend's claim never waits on the store: it answers `waiting_for_code`, and the due work has the store make the
one code of that friend (Shopify `discountCodeBasicCreate`, WooCommerce `POST /coupons`) and emails it. A code is made
once per holder, under a lost answer, a throttle, concurrent runs and concurrent claims; a refused credential makes
none, and says why on the connection."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.store import keys
from tests.stand_ins import shopify_discounts, woocommerce_coupons
from tests.stand_ins.fixtures import CK, CS, SHOP_HOST, SHOPIFY_DOMAIN, TOKEN, WOO_HOST
from tests.unit.review_support import text_part
from tests.unit.sharing_support import Advocate
from tests.unit.test_friend_claims import claim, friend_mails, run_due
from tests.unit.test_referral_codes import Serialized
from tests.unit.test_rewards import HOLD_DAYS, friend_order, fulfil, later, only_reward, reward_mails

CREATE = shopify_discounts.FIELD
FRIEND = "friend@example.com"


def store_advocate(api: Any, outbox: Any, monkeypatch: Any, platform: str, domains: list[str]) -> Advocate:
    """The Advocate of the referral tests, on a shop of `platform` at `domains` (the stand-ins' stores)."""
    create = api.create_shop
    monkeypatch.setattr(api, "create_shop", lambda **o: create(**{"platform": platform, "domains": domains, **o}))
    advocate = Advocate(api, outbox)
    monkeypatch.setattr(api, "create_shop", create)
    return advocate


def connect(advocate: Advocate, credential: dict[str, Any]) -> None:
    answer = advocate.shop.owner("PUT", "/connection", credential)
    assert answer.status_code == 200, answer.body


def program(advocate: Advocate, codes: str, **changes: Any) -> None:
    referral = {
        "enabled": True,
        "codes": codes,
        "friend_offer": {"type": "percent", "value": "10", "minimum_order": "0"},
        **changes,
    }
    answer = advocate.shop.owner("PATCH", "", {"settings": {"referral": referral, "attribution_window_days": 21}})
    assert answer.status_code == 200, answer.body


@pytest.fixture
def on_shopify(api, outbox, monkeypatch, shopify) -> Advocate:
    advocate = store_advocate(api, outbox, monkeypatch, "shopify", [SHOP_HOST, SHOPIFY_DOMAIN])
    connect(advocate, {"shopify": {"access_token": TOKEN}})
    program(advocate, "shopify")
    return advocate


@pytest.fixture
def on_woo(api, outbox, monkeypatch, woo) -> Advocate:
    advocate = store_advocate(api, outbox, monkeypatch, "woocommerce", [WOO_HOST])
    connect(advocate, {"woocommerce": {"consumer_key": CK, "consumer_secret": CS}})
    program(advocate, "woocommerce")
    return advocate


def discounts(shopify: Any) -> dict[str, dict[str, Any]]:
    return shopify.tokens[TOKEN].discounts


def hours_later(hours: float) -> Any:
    return later(0, hours=hours)


def connection(table: Any, advocate: Advocate) -> dict[str, Any]:
    return table.get(keys.connection_key(advocate.shop.shop_id))


# --- Shopify: the friend's code ------------------------------------------------------------------------------------


def test_a_friends_claim_waits_and_the_due_run_has_shopify_make_the_one_code_and_email_it(on_shopify, shopify):
    # When a friend claims the offer of a shop whose codes come from Shopify
    first = claim(on_shopify, FRIEND)
    # Then the answer does not wait on the store: the code follows by email
    assert first.status_code == 200, first.body
    assert first.json["status"] == "waiting_for_code" and first.json["code"] is None
    assert shopify.calls(CREATE) == []
    # When the due work runs
    run_due(on_shopify)
    # Then Shopify made exactly one discount: the offer's value, one use, once per customer, for the window
    [(code, discount)] = discounts(shopify).items()
    assert code.startswith("PL-") and len(code) == 12
    assert discount["customerGets"] == {"value": {"percentage": 0.1}, "items": {"all": True}}
    assert discount["context"] == {"all": "ALL"}
    assert discount["usageLimit"] == 1 and discount["appliesOncePerCustomer"] is True
    window = clock.parse(discount["endsAt"]) - clock.parse(discount["startsAt"])
    assert window == timedelta(days=21)
    assert abs(clock.parse(discount["startsAt"]) - clock.now()) < timedelta(minutes=5)
    assert code in discount["title"]
    # And the friend got one email with it
    [mail] = friend_mails(on_shopify, FRIEND)
    assert code in text_part(mail)
    # And the same mailbox claiming again is answered the code, without asking the store again
    again = claim(on_shopify, FRIEND, ip="203.0.113.77")
    assert again.json["status"] == "ready" and again.json["code"] == code
    run_due(on_shopify)
    assert len(shopify.calls(CREATE)) == 1 and len(discounts(shopify)) == 1
    assert len(friend_mails(on_shopify, FRIEND)) == 1
    # And the owner's counts show the code handed out
    assert on_shopify.shop.owner("GET", "/referral").json["pools"]["friend"] == {"available": 0, "handed_out": 1}


def test_an_amount_offer_with_a_minimum_is_a_fixed_amount_off_from_that_subtotal(on_shopify, shopify):
    program(
        on_shopify, "shopify", friend_offer={"type": "amount", "value": "7.5", "currency": "USD", "minimum_order": "40"}
    )
    claim(on_shopify, FRIEND)
    run_due(on_shopify)
    [discount] = discounts(shopify).values()
    assert discount["customerGets"]["value"] == {"discountAmount": {"amount": "7.5", "appliesOnEachItem": False}}
    assert discount["minimumRequirement"] == {"subtotal": {"greaterThanOrEqualToSubtotal": "40"}}


def test_a_lost_answer_is_retried_and_the_store_says_taken_so_the_same_code_is_used(on_shopify, shopify):
    claim(on_shopify, FRIEND)
    # Given Shopify makes the discount but its answer is lost on the way
    shopify_discounts.lose_answers(shopify, 1)
    run_due(on_shopify)
    [code] = discounts(shopify)
    assert friend_mails(on_shopify, FRIEND) == []  # nothing recorded, nothing sent: the claim is put off
    # When the claim's turn comes again
    with hours_later(1):
        run_due(on_shopify)
    # Then the store says the code is taken (ours, from the lost attempt) and it is used: one discount, one email
    assert len(shopify.calls(CREATE)) == 2
    assert list(discounts(shopify)) == [code]
    [mail] = friend_mails(on_shopify, FRIEND)
    assert code in text_part(mail)
    assert claim(on_shopify, FRIEND).json["code"] == code


def test_a_throttled_store_puts_the_claim_off_and_the_others_still_get_theirs(on_shopify, shopify, table):
    claim(on_shopify, "first@example.com")
    claim(on_shopify, "second@example.com", ip="203.0.113.8")
    # Given the store answers the first call of the run 429
    shopify.fail_next.append((429, {"Retry-After": "2"}))
    run_due(on_shopify)
    # Then one claim got its code and its email, the other waits; the failure is counted on the connection
    assert len(discounts(shopify)) == 1
    mailed = friend_mails(on_shopify, "first@example.com") + friend_mails(on_shopify, "second@example.com")
    assert len(mailed) == 1
    failure = connection(table, on_shopify)
    assert failure["failure_count"] == 1 and failure["last_failure"]["kind"] == "throttled"
    # And Shopify's own cost throttle is met the same way
    shopify.tokens[TOKEN].available = 0
    with hours_later(1):
        run_due(on_shopify)
    assert len(discounts(shopify)) == 1 and connection(table, on_shopify)["failure_count"] == 2
    # When the bucket has refilled, the waiting claim is issued
    shopify.tokens[TOKEN].available = 2000.0
    with hours_later(2):
        run_due(on_shopify)
    assert len(discounts(shopify)) == 2
    for address in ("first@example.com", "second@example.com"):
        [mail] = friend_mails(on_shopify, address)
        assert claim(on_shopify, address, ip="203.0.113.99").json["code"] in text_part(mail)


def test_a_revoked_token_makes_no_code_and_says_why_on_the_connection(on_shopify, shopify, table, monkeypatch):
    from chalicelib.connections.api import FAILURE_METRIC
    from chalicelib.observability import metrics

    counted: list[str] = []
    add = metrics.add_metric
    monkeypatch.setattr(metrics, "add_metric", lambda **kw: (counted.append(kw["name"]), add(**kw))[1])
    claim(on_shopify, FRIEND)
    store = shopify.tokens.pop(TOKEN)  # the owner uninstalled the app
    run_due(on_shopify)
    assert friend_mails(on_shopify, FRIEND) == [] and store.discounts == {}
    assert claim(on_shopify, FRIEND).json["status"] == "waiting_for_code"
    item = connection(table, on_shopify)
    assert item["failure_count"] == 1 and item["last_failure"]["kind"] == "refused"
    assert "credential" in item["last_failure"]["reason"] and TOKEN not in str(item["last_failure"])
    assert counted.count(FAILURE_METRIC) == 1
    # And the claim waits hours, not minutes, for the owner to connect the store again; then its code is made
    shopify.tokens[TOKEN] = store
    with hours_later(1):
        run_due(on_shopify)
    assert store.discounts == {} and connection(table, on_shopify)["failure_count"] == 1
    with hours_later(7):
        run_due(on_shopify)
    [mail] = friend_mails(on_shopify, FRIEND)
    [code] = store.discounts
    assert code in text_part(mail)


def test_a_userError_other_than_taken_is_not_a_code(on_shopify, shopify, table):
    def refuse(store: Any, variables: dict[str, Any]) -> Any:
        error = {
            "field": ["basicCodeDiscount", "endsAt"],
            "message": "Ends at must be after starts at",
            "code": "INVALID",
        }
        return {"codeDiscountNode": None, "userErrors": [error]}

    shopify.fields[CREATE] = refuse
    claim(on_shopify, FRIEND)
    run_due(on_shopify)
    assert friend_mails(on_shopify, FRIEND) == []
    assert "INVALID" in connection(table, on_shopify)["last_failure"]["reason"]


def test_concurrent_due_runs_make_one_code_per_friend(on_shopify, shopify, table, monkeypatch):
    from chalicelib.referrals.claims import send_friend_codes

    friends = [f"friend{n}@example.com" for n in range(4)]
    for n, address in enumerate(friends):
        assert claim(on_shopify, address, ip=f"198.51.100.{40 + n}").status_code == 200
    monkeypatch.setattr(table, "client", Serialized(table.client))
    barrier = threading.Barrier(4)

    def run(_: int) -> int:
        barrier.wait()
        return send_friend_codes(table)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(run, range(4)))
    with hours_later(1):
        send_friend_codes(table)
    # Then each friend has exactly one discount in the store, and their email carries it
    assert len(discounts(shopify)) == len(friends)
    for address in friends:
        mails = friend_mails(on_shopify, address)
        assert mails, address
        code = claim(on_shopify, address, ip="203.0.113.99").json["code"]
        assert code in discounts(shopify) and all(code in text_part(m) for m in mails)


def test_one_holder_asked_for_twice_at_once_gets_one_code(on_shopify, shopify, table, monkeypatch):
    from chalicelib.referrals.codes import code_source
    from chalicelib.store.shop_records import get_shop

    monkeypatch.setattr(table, "client", Serialized(table.client))
    shop = get_shop(table, on_shopify.shop.shop_id)
    source = code_source(table, "shopify", due_work=True)
    barrier = threading.Barrier(6)

    def ask(_: int) -> str | None:
        barrier.wait()
        return source.claim(shop, "friend", "friend:same-holder")

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(ask, range(6)))
    assert len(set(answers)) == 1 and answers[0] in discounts(shopify)
    assert len(discounts(shopify)) == 1
    # And outside the due work no store is asked: a new holder gets nothing now
    before = len(shopify.calls(CREATE))
    assert code_source(table, "shopify").claim(shop, "friend", "friend:other") is None
    assert code_source(table, "shopify").claim(shop, "friend", "friend:same-holder") == answers[0]
    assert len(shopify.calls(CREATE)) == before


# --- the advocate's reward -----------------------------------------------------------------------------------------


def test_an_advocates_reward_is_a_code_shopify_makes(on_shopify, shopify):
    program(
        on_shopify, "shopify", advocate_reward={"type": "amount", "value": "5", "currency": "USD"}, hold_days=HOLD_DAYS
    )
    assert on_shopify.click().status_code == 200
    friend_order(on_shopify)
    fulfil(on_shopify)
    with later(HOLD_DAYS, hours=1):
        run_due(on_shopify)
        run_due(on_shopify)
        reward = only_reward(on_shopify)
    assert reward["status"] == "issued" and reward["code"].startswith("PL-")
    discount = discounts(shopify)[reward["code"]]
    assert discount["customerGets"]["value"] == {"discountAmount": {"amount": "5", "appliesOnEachItem": False}}
    assert discount["usageLimit"] == 1 and discount["appliesOncePerCustomer"] is True
    [mail] = reward_mails(on_shopify)
    assert str(mail["To"]) == "c-1@example.com" and reward["code"] in text_part(mail)
    assert len(shopify.calls(CREATE)) == 1


def test_a_reward_the_store_refuses_stays_pending_and_is_issued_once_it_answers(on_shopify, shopify, table):
    program(on_shopify, "shopify", advocate_reward={"type": "percent", "value": "10"}, hold_days=HOLD_DAYS)
    assert on_shopify.click().status_code == 200
    friend_order(on_shopify)
    fulfil(on_shopify)
    shopify.fail_next.append((503, {}))
    with later(HOLD_DAYS, hours=1):
        run_due(on_shopify)
        assert only_reward(on_shopify)["status"] == "pending"
    assert connection(table, on_shopify)["last_failure"]["kind"] == "unavailable"
    with later(HOLD_DAYS, hours=3):
        run_due(on_shopify)
        reward = only_reward(on_shopify)
    assert reward["status"] == "issued"
    assert discounts(shopify)[reward["code"]]["customerGets"]["value"] == {"percentage": 0.1}
    assert len(reward_mails(on_shopify)) == 1


# --- WooCommerce ---------------------------------------------------------------------------------------------------


def test_a_woocommerce_coupon_is_one_use_and_for_the_friends_mailbox_only(on_woo, woo):
    answer = claim(on_woo, "Friend@Example.com")
    assert answer.json["status"] == "waiting_for_code"
    assert not [r for r in woo.requests if "/coupons" in r.path]  # the buyer's request never calls the store
    # Given the first creation's answer is lost
    woocommerce_coupons.lose_answers(woo, 1)
    run_due(on_woo)
    with hours_later(1):
        run_due(on_woo)
    # Then one coupon exists: the offer, one use, one per user, the friend's mailbox, expiring with the window
    site = woo.site(f"https://{WOO_HOST}")
    [coupon] = site.coupons.values()
    assert coupon["code"].startswith("PL-")
    assert coupon["discount_type"] == "percent" and Decimal(coupon["amount"]) == 10
    assert coupon["usage_limit"] == 1 and coupon["usage_limit_per_user"] == 1
    assert coupon["email_restrictions"] == ["friend@example.com"]
    expires = clock.parse(coupon["date_expires_gmt"] + "Z")
    assert timedelta(days=20, hours=23) < expires - clock.now() <= timedelta(days=21, hours=1)
    [mail] = friend_mails(on_woo, FRIEND)
    assert coupon["code"] in text_part(mail)
    assert claim(on_woo, FRIEND).json["code"] == coupon["code"]


def test_a_woocommerce_advocate_reward_is_restricted_to_the_advocates_mailbox(on_woo, woo):
    program(
        on_woo, "woocommerce", advocate_reward={"type": "amount", "value": "5", "currency": "EUR"}, hold_days=HOLD_DAYS
    )
    assert on_woo.click().status_code == 200
    friend_order(on_woo)
    fulfil(on_woo)
    with later(HOLD_DAYS, hours=1):
        run_due(on_woo)
        reward = only_reward(on_woo)
    [coupon] = woo.site(f"https://{WOO_HOST}").coupons.values()
    assert reward["code"] == coupon["code"]
    assert coupon["discount_type"] == "fixed_cart" and Decimal(coupon["amount"]) == 5
    assert coupon["email_restrictions"] == ["c-1@example.com"]


# --- the setting ---------------------------------------------------------------------------------------------------


def test_codes_from_a_store_need_that_store_connected(api, outbox, monkeypatch, shopify):
    advocate = store_advocate(api, outbox, monkeypatch, "shopify", [SHOP_HOST, SHOPIFY_DOMAIN])
    change = {"settings": {"referral": {"enabled": True, "codes": "shopify"}}}
    refused = advocate.shop.owner("PATCH", "", change)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "not_connected"
    assert advocate.shop.owner("GET", "/referral").json["settings"]["codes"] == "pool"
    connect(advocate, {"shopify": {"access_token": TOKEN}})
    other = advocate.shop.owner("PATCH", "", {"settings": {"referral": {"codes": "woocommerce"}}})
    assert other.status_code == 422 and other.json["error"]["code"] == "not_connected"
    assert advocate.shop.owner("PATCH", "", change).status_code == 200
    assert advocate.shop.owner("GET", "/referral").json["settings"]["codes"] == "shopify"
    unknown = advocate.shop.owner("PATCH", "", {"settings": {"referral": {"codes": "magento"}}})
    assert unknown.status_code == 422


# --- erasure -------------------------------------------------------------------------------------------------------


def test_a_friends_erasure_forgets_whom_the_stores_code_was_made_for(on_shopify, shopify, table):
    from tests.unit.test_erasure import leaks
    from tests.unit.test_referral_erasure import redact, traces

    claim(on_shopify, FRIEND)
    run_due(on_shopify)
    [code] = discounts(shopify)
    assert leaks(table, traces(FRIEND))
    redact(on_shopify, email=FRIEND)
    assert leaks(table, traces(FRIEND)) == []
    item = table.get(keys.referral_code_key(on_shopify.shop.shop_id, code))
    assert item["state"] == "handed_out" and "holder" not in item
    assert on_shopify.shop.owner("GET", "/referral").json["pools"]["friend"] == {"available": 0, "handed_out": 1}
