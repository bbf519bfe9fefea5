"""A later purchase is still found (issue 26, part 4): a friend's order is credited to the advocate by the friend's
code, the friend's claimed mailbox, the landing ref, a note or WooCommerce's order attribution, strongest first,
on Shopify, WooCommerce and generic webhooks; the referral keeps its signal and the report counts them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from chalicelib import clock
from chalicelib.store import keys
from chalicelib.store.table import get_client
from tests import signers
from tests.signers import fixture
from tests.unit.sharing_support import Advocate
from tests.unit.test_friend_claims import claim, fill, program
from tests.unit.webhook_support import calls, order_item, totals

FRIEND = "friend@example.com"
FRIEND_CODE = "FRIEND-AAA"
SIGNALS = ("code", "email", "landing", "note", "wc_attribution")


@pytest.fixture
def adv(api, outbox) -> Advocate:
    """An advocate (c-1) whose link a friend followed and whose offer the friend claimed, with FRIEND_CODE."""
    adv = Advocate(api, outbox)
    program(adv)
    fill(adv, FRIEND_CODE)
    assert adv.click().status_code == 200  # the friend's page: a counted click
    answer = claim(adv, FRIEND)
    assert answer.status_code == 200 and answer.json["code"] == FRIEND_CODE, answer.body
    return adv


@contextmanager
def days_later(days: float = 2) -> Iterator[datetime]:
    """The friend comes back `days` after the claim, from another visit."""
    moment = (clock.now() + timedelta(days=days)).replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        yield moment


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- one order, as each platform sends it ---------------------------------------------------------------------------
def generic(adv: Advocate, order_id: str, customer: str, email: str, at: datetime, **data: Any) -> Any:
    data.setdefault("landing_url", None)
    return adv.shop.deliver(
        "order.created",
        order_id,
        customer,
        email=email,
        created_at=stamp(at),
        timestamp=stamp(at),
        total="80.00",
        **data,
    )


def shopify(
    adv: Advocate,
    order_id: str,
    customer: str,
    email: str,
    at: datetime,
    discounts: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
    landing: str | None = None,
    topic: str = "orders/create",
) -> Any:
    body = fixture("shopify_order.json")
    body.update(
        id=int(order_id),
        email=email,
        contact_email=email,
        created_at=stamp(at),
        updated_at=stamp(at),
        landing_site=landing,
        discount_codes=[{"code": c, "amount": "8.00", "type": "percentage"} for c in discounts],
        note_attributes=[{"name": "ref", "value": v} for v in notes],
    )
    body["customer"] = {**body["customer"], "id": int(customer), "email": email}
    raw = json.dumps(body).encode()
    headers = signers.shopify_headers(topic, adv.home, adv.shop.shop["webhook_secret"], raw)
    answer = adv.api.request("POST", "/webhooks/shopify", raw=raw, headers=headers)
    assert answer.status_code == 200, answer.body
    return answer


def woo_body(
    order_id: str,
    customer: str,
    email: str,
    at: datetime,
    coupons: tuple[str, ...] = (),
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = fixture("woocommerce_order.json")
    local = at.strftime("%Y-%m-%dT%H:%M:%S")  # WooCommerce's *_gmt times carry no offset
    body.update(
        id=int(order_id),
        customer_id=int(customer),
        date_created_gmt=local,
        date_modified_gmt=local,
        coupon_lines=[{"id": 900 + n, "code": c, "discount": "5.00"} for n, c in enumerate(coupons)],
        meta_data=[{"id": 800 + n, "key": k, "value": v} for n, (k, v) in enumerate((meta or {}).items())],
    )
    body["billing"] = {**body["billing"], "email": email}
    return body


def woo_send(adv: Advocate, body: dict[str, Any], topic: str = "order.created") -> Any:
    raw = json.dumps(body).encode()
    headers = signers.woocommerce_headers(topic, adv.shop.shop["webhook_secret"], raw)
    return adv.api.request("POST", f"/webhooks/woocommerce/{adv.shop.shop_id}", raw=raw, headers=headers)


def woo(adv: Advocate, order_id: str, customer: str, email: str, at: datetime, **parts: Any) -> Any:
    answer = woo_send(adv, woo_body(order_id, customer, email, at, **parts))
    assert answer.status_code == 200, answer.body
    return answer


def referral(adv: Advocate, table: Any, order_id: str) -> dict[str, Any] | None:
    order = order_item(table, adv.shop.shop_id, order_id)
    assert order is not None and order["known"]
    return order.get("referral")


def credited(adv: Advocate, table: Any, order_id: str, signal: str) -> None:
    """The order is the advocate's referral, named by `signal`, counted once."""
    made = referral(adv, table, order_id)
    assert made is not None, "not credited"
    assert made["signal"] == signal and made["code"] == adv.code and made["advocate_id"] == "c-1"
    counted = totals(table, adv.shop.shop_id)
    assert counted["referred_orders"] == 1 and counted[f"referred_by_{signal}"] == 1
    assert table.get(keys.customer_key(adv.shop.shop_id, "c-1"))["referred_orders"] == 1


def not_credited(adv: Advocate, table: Any, *order_ids: str) -> None:
    assert all(referral(adv, table, order_id) is None for order_id in order_ids)
    counted = totals(table, adv.shop.shop_id)
    assert counted.get("referred_orders", 0) == 0
    assert not any(counted.get(f"referred_by_{s}") for s in SIGNALS)


# --- the friend's mailbox -------------------------------------------------------------------------------------------
def test_a_generic_order_days_later_from_the_claimed_mailbox_is_credited_by_email(adv, table):
    with days_later() as later:
        generic(adv, "f-1", "friend-1", "Friend@Example.com", later)  # the same mailbox, whatever its case
    credited(adv, table, "f-1", "email")


def test_a_shopify_order_days_later_from_the_claimed_mailbox_is_credited_by_email(adv, table):
    with days_later() as later:
        shopify(adv, "7001", "8001", FRIEND, later, discounts=("WELCOME5",))
    credited(adv, table, "7001", "email")


def test_a_woocommerce_order_days_later_from_the_claimed_mailbox_is_credited_by_email(adv, table):
    with days_later() as later:
        woo(adv, "7101", "8101", FRIEND, later)
    credited(adv, table, "7101", "email")


def test_a_claim_older_than_the_window_credits_nothing(adv, table):
    with days_later(31) as later:  # the shop's attribution window is 30 days
        generic(adv, "f-1", "friend-1", FRIEND, later)
    not_credited(adv, table, "f-1")


def test_a_claim_in_a_shorter_window_credits_only_inside_it(adv, table):
    assert adv.shop.owner("PATCH", "", {"settings": {"attribution_window_days": 3}}).status_code == 200
    with days_later(4) as later:
        generic(adv, "f-1", "friend-1", FRIEND, later)
    not_credited(adv, table, "f-1")
    with days_later(2) as earlier:
        generic(adv, "f-2", "friend-2", FRIEND, earlier)
    credited(adv, table, "f-2", "email")


def test_an_order_placed_before_the_claim_is_not_credited_by_it(adv, table):
    generic(adv, "f-1", "friend-1", FRIEND, clock.now() - timedelta(hours=2))
    not_credited(adv, table, "f-1")


# --- the friend's code ----------------------------------------------------------------------------------------------
def test_a_generic_order_with_the_friends_code_is_credited_by_code_from_any_mailbox(adv, table):
    with days_later() as later:
        generic(adv, "f-1", "gift-1", "someone.else@example.org", later, discount_codes=["friend-aaa"])
    credited(adv, table, "f-1", "code")


def test_a_shopify_order_with_the_friends_code_is_credited_by_code(adv, table):
    with days_later() as later:
        shopify(adv, "7002", "8002", "partner@example.org", later, discounts=("WELCOME5", FRIEND_CODE))
    credited(adv, table, "7002", "code")


def test_a_woocommerce_order_with_the_friends_coupon_is_credited_by_code(adv, table):
    with days_later() as later:
        woo(adv, "7102", "8102", "partner@example.org", later, coupons=("friend-aaa",))
    credited(adv, table, "7102", "code")


def test_the_code_is_the_strongest_signal_even_long_after_the_claim(adv, table):
    # The code was handed to this friend only: it needs no window
    with days_later(90) as later:
        generic(adv, "f-1", "friend-1", FRIEND, later, discount_codes=[FRIEND_CODE])
    credited(adv, table, "f-1", "code")


def test_an_advocate_reward_code_or_an_unknown_code_credits_nothing(adv, table):
    fill(adv, "REWARD-1", pool="advocate")
    with days_later() as later:
        generic(adv, "f-1", "gift-1", "a@example.org", later, discount_codes=["REWARD-1", "WELCOME5"])
    not_credited(adv, table, "f-1")


# --- the link itself and what the storefront noted ------------------------------------------------------------------
def test_the_landing_ref_still_credits_with_its_click(adv, table):
    with days_later() as later:
        generic(adv, "f-1", "friend-1", "other@example.org", later, landing_url=f"https://{adv.home}/?ref={adv.code}")
    credited(adv, table, "f-1", "landing")


def test_a_shopify_landing_site_credits_by_landing(adv, table):
    with days_later() as later:
        shopify(adv, "7003", "8003", "other@example.org", later, landing=f"/products/trail-mug?ref={adv.code}")
    credited(adv, table, "7003", "landing")


def test_a_shopify_note_attribute_credits_by_note(adv, table):
    with days_later() as later:
        shopify(adv, "7004", "8004", "other@example.org", later, notes=(adv.code,))
    credited(adv, table, "7004", "note")


def test_a_woocommerce_ref_meta_credits_by_note(adv, table):
    with days_later() as later:
        woo(adv, "7103", "8103", "other@example.org", later, meta={"_proofloop_ref": adv.code})
    credited(adv, table, "7103", "note")


def test_woocommerce_attribution_session_entry_alone_credits(adv, table):
    entry = f"https://{adv.home}/products/trail-mug/?ref={adv.code}&utm_source=whatsapp"
    meta = {"_wc_order_attribution_source_type": "referral", "_wc_order_attribution_session_entry": entry}
    with days_later() as later:
        woo(adv, "7104", "8104", "other@example.org", later, meta=meta)
    credited(adv, table, "7104", "wc_attribution")
    assert order_item(table, adv.shop.shop_id, "7104")["landing_url"] == entry  # where the visit began, as before


def test_woocommerce_attribution_referrer_naming_the_share_link_credits(adv, table):
    from chalicelib.config import get_settings

    referrer = f"{get_settings().base_url}/s/{adv.code}"
    with days_later() as later:
        woo(adv, "7105", "8105", "other@example.org", later, meta={"_wc_order_attribution_referrer": referrer})
    credited(adv, table, "7105", "wc_attribution")


def test_a_share_link_on_another_host_names_nobody(adv, table):
    meta = {"_wc_order_attribution_referrer": f"https://elsewhere.example/s/{adv.code}"}
    with days_later() as later:
        woo(adv, "7106", "8106", "other@example.org", later, meta=meta)
    not_credited(adv, table, "7106")


def test_the_stronger_signal_names_the_referral(adv, table):
    landing = f"https://{adv.home}/?ref={adv.code}"
    with days_later() as later:
        generic(adv, "f-1", "friend-1", FRIEND, later, landing_url=landing)
    credited(adv, table, "f-1", "email")


# --- nobody refers themself -----------------------------------------------------------------------------------------
def test_the_advocate_using_the_friends_code_or_claimed_mailbox_is_not_credited(adv, table):
    with days_later() as later:
        generic(adv, "a-1", "c-1", "c-1@example.com", later, discount_codes=[FRIEND_CODE])  # their own account
        generic(adv, "a-2", "c-1-guest", "c-1@example.com", later, discount_codes=[FRIEND_CODE])  # their mailbox
        generic(adv, "a-3", "c-1", FRIEND, later)  # the claimed mailbox, on their own account
    not_credited(adv, table, "a-1", "a-2", "a-3")


def test_a_claim_whose_friend_is_the_advocate_credits_nothing(adv, table):
    # Given a claim of the advocate's own mailbox through their own link (kept before their mailbox was known)
    from chalicelib.referrals.offers import friend_key
    from chalicelib.store import claims

    own = claims.FriendClaim(
        shop_id=adv.shop.shop_id,
        friend=friend_key("c-1@example.com"),
        share_code=adv.code,
        advocate_id="c-1",
        code=None,
        language="en",
        created_at=clock.iso(),
        email=None,
        mailed_at=clock.iso(),
    )
    table.transact([claims.put_op(table, own, clock.iso())])
    # When the advocate orders as a guest from that mailbox
    with days_later() as later:
        generic(adv, "a-1", "guest-77", "c-1@example.com", later)
    # Then it is not a referral
    not_credited(adv, table, "a-1")


# --- exactly once ---------------------------------------------------------------------------------------------------
def test_a_redelivered_or_reordered_order_counts_once(adv, table):
    with days_later() as later:
        for _ in range(3):
            generic(adv, "f-1", "friend-1", FRIEND, later)
        adv.shop.deliver("order.fulfilled", "f-1", "friend-1", email=FRIEND, created_at=stamp(later), total="80.00")
        for _ in range(2):
            shopify(adv, "7001", "8001", "partner@example.org", later, discounts=(FRIEND_CODE,), topic="orders/updated")
        shopify(adv, "7001", "8001", "partner@example.org", later, discounts=(FRIEND_CODE,))
    counted = totals(table, adv.shop.shop_id)
    assert counted["referred_orders"] == 2
    assert counted["referred_by_email"] == 1 and counted["referred_by_code"] == 1
    assert table.get(keys.customer_key(adv.shop.shop_id, "c-1"))["referred_orders"] == 2


def test_the_report_counts_referred_orders_by_signal_and_takes_back_a_reversal(adv, table):
    landing = f"https://{adv.home}/?ref={adv.code}"
    with days_later() as later:
        generic(adv, "f-1", "friend-1", FRIEND, later)  # email
        generic(adv, "f-2", "friend-2", "two@example.org", later, discount_codes=[FRIEND_CODE])  # code
        generic(adv, "f-3", "friend-3", "three@example.org", later, landing_url=landing)  # landing
        generic(adv, "f-4", "friend-4", "four@example.org", later, landing_url=landing)  # landing, then refunded
        shopify(adv, "7004", "8004", "five@example.org", later, notes=(adv.code,))  # note
        woo(adv, "7104", "8104", "six@example.org", later, meta={"_wc_order_attribution_session_entry": landing})
        generic(adv, "n-1", "buyer-1", "plain@example.org", later)  # nobody's
        adv.shop.deliver(
            "order.refunded",
            "f-4",
            "friend-4",
            amount="80.00",
            total="80.00",
            timestamp=stamp(later),
            created_at=stamp(later),
        )
        report = adv.shop.owner("GET", "/report").json
        rows = adv.shop.owner("GET", "/report.csv").body.decode().splitlines()
    assert report["referrals_by_signal"] == {"code": 1, "email": 1, "landing": 1, "note": 1, "wc_attribution": 1}
    assert report["funnel"]["referred_orders"] == 5
    header, total = rows[0].split(","), rows[-1].split(",")
    assert {s: total[header.index(f"referred_by_{s}")] for s in SIGNALS} == dict.fromkeys(SIGNALS, "1")
    assert total[header.index("referred_orders")] == "5"


# --- the shapes a platform never sends ------------------------------------------------------------------------------
def test_a_shape_the_platform_never_sends_is_a_422(adv, table):
    with days_later() as later:
        bad = woo_body("7107", "8107", FRIEND, later)
        bad["coupon_lines"] = [{"code": {"nested": "x"}}]
        assert woo_send(adv, bad).status_code == 422
        odd = woo_body("7108", "8108", FRIEND, later, meta={"_wc_order_attribution_referrer": ["a", "list"]})
        assert woo_send(adv, odd).status_code == 200  # plugins keep anything in meta: only text is read
    credited(adv, table, "7108", "email")


# --- DynamoDB calls per order webhook -------------------------------------------------------------------------------
def test_dynamodb_calls_per_order_webhook_stay_as_they_were(adv, table):
    program(adv, advocate_reward={"type": "none"})  # the signals alone: a reward's fraud rules read more
    client = get_client()
    landing = f"https://{adv.home}/?ref={adv.code}"
    with days_later() as later:
        # Measured before the signals: a new order read its order, buyer and codes in one BatchGetItem, and a
        # referred one its advocate's record too; a redelivery of a referred order the same, without the write.
        with calls(client) as plain:
            generic(adv, "n-1", "buyer-1", "plain@example.org", later, discount_codes=["WELCOME5"])
        with calls(client) as by_landing:
            generic(adv, "f-1", "friend-1", "one@example.org", later, landing_url=landing)
        with calls(client) as by_email:
            generic(adv, "f-2", "friend-2", FRIEND, later)
        with calls(client) as again:
            generic(adv, "f-2", "friend-2", FRIEND, later)
        with calls(client) as by_code_elsewhere:
            generic(adv, "f-3", "friend-3", "gift@example.org", later, discount_codes=[FRIEND_CODE])
    assert plain == ["GetItem", "BatchGetItem", "TransactWriteItems", "UpdateItem"]
    referred = ["GetItem", "BatchGetItem", "GetItem", "TransactWriteItems", "UpdateItem"]
    assert by_landing == referred and by_email == referred
    assert again == ["GetItem", "BatchGetItem", "GetItem", "UpdateItem"]
    # A friend's code used from another mailbox: one more read, of the claim its holder names
    assert by_code_elsewhere == [
        "GetItem",
        "BatchGetItem",
        "BatchGetItem",
        "GetItem",
        "TransactWriteItems",
        "UpdateItem",
    ]
    assert totals(table, adv.shop.shop_id)["referred_by_code"] == 1


def test_a_friends_code_from_their_own_mailbox_costs_no_extra_read(adv, table):
    program(adv, advocate_reward={"type": "none"})  # the signals alone: a reward's fraud rules read more
    with days_later() as later, calls(get_client()) as sent:
        generic(adv, "f-1", "friend-1", FRIEND, later, discount_codes=[FRIEND_CODE])
    assert sent == ["GetItem", "BatchGetItem", "GetItem", "TransactWriteItems", "UpdateItem"]
    credited(adv, table, "f-1", "code")
    assert Decimal(referral(adv, table, "f-1")["revenue"]) == Decimal("80.00")
