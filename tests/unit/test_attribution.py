"""Referred orders: credited once to the right advocate inside the window, reversed by refunds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chalicelib.sharing.attribution import choose_referral, named_by_signal
from chalicelib.store import keys
from tests.unit.sharing_support import Advocate
from tests.unit.webhook_support import order_item, totals

TODAY = datetime.now(timezone.utc).strftime("%Y-%m-%d")
NOW = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def adv(api, outbox):
    adv = Advocate(api, outbox)
    assert adv.click(query="?via=whatsapp").status_code == 302
    return adv


def friend_order(adv, order_id="f-1", customer_id="friend-1", **data):
    data.setdefault("landing_url", f"https://{adv.home}/products/trail-mug?ref={adv.code}&utm_medium=social")
    data.setdefault("created_at", NOW)
    data.setdefault("timestamp", NOW)
    data.setdefault("total", "80.00")
    return adv.shop.deliver("order.created", order_id, customer_id, **data)


def test_order_landing_on_a_share_link_is_credited_to_the_advocate(adv, table):
    friend_order(adv)
    counted = totals(table, adv.shop.shop_id)
    assert counted["referred_orders"] == 1 and counted["referred_revenue_USD"] == Decimal("80.00")
    assert counted["referred_customers"] == 1 and counted["advocates"] == 1
    advocate = table.get(keys.customer_key(adv.shop.shop_id, "c-1"))
    assert advocate["referred_orders"] == 1 and advocate["referred_revenue"] == Decimal("80.00")
    assert order_item(table, adv.shop.shop_id, "f-1")["referral"]["code"] == adv.code


def test_discount_code_names_the_advocate_too(adv, table):
    friend_order(adv, landing_url=None, discount_codes=[adv.code])
    assert totals(table, adv.shop.shop_id)["referred_orders"] == 1


def test_repeated_and_reordered_deliveries_credit_once(adv, table):
    for _ in range(3):
        friend_order(adv)
    adv.shop.deliver(
        "order.fulfilled",
        "f-1",
        "friend-1",
        landing_url=f"https://{adv.home}/?ref={adv.code}",
        created_at=NOW,
        timestamp=NOW,
        total="80.00",
    )
    counted = totals(table, adv.shop.shop_id)
    assert counted["referred_orders"] == 1 and counted["advocates"] == 1


def test_a_customer_never_refers_themself(adv, table):
    friend_order(adv, customer_id="c-1")
    friend_order(adv, order_id="f-2", customer_id="c-1-other-account", email="c-1@example.com")
    assert totals(table, adv.shop.shop_id).get("referred_orders", 0) == 0


def test_a_code_never_clicked_credits_nothing(api, outbox, table):
    adv = Advocate(api, outbox)
    friend_order(adv)
    assert totals(table, adv.shop.shop_id).get("referred_orders", 0) == 0


def test_order_after_the_window_is_not_credited(adv, table):
    old = (datetime.now(timezone.utc) - timedelta(days=45)).strftime("%Y-%m-%d")
    table.update(keys.code_key(adv.code), "SET click_days = :d", values={":d": {old}})
    friend_order(adv)
    assert totals(table, adv.shop.shop_id).get("referred_orders", 0) == 0


def test_existing_customer_is_a_referred_order_but_not_a_referred_customer(adv, table):
    adv.shop.deliver("order.created", "f-0", "friend-1", created_at=NOW, timestamp=NOW)
    friend_order(adv)
    counted = totals(table, adv.shop.shop_id)
    assert counted["referred_orders"] == 1 and counted.get("referred_customers", 0) == 0


def test_full_refund_reverses_the_credit(adv, table):
    friend_order(adv)
    adv.shop.deliver("order.refunded", "f-1", "friend-1", amount="80.00", total="80.00", timestamp=NOW, created_at=NOW)
    counted = totals(table, adv.shop.shop_id)
    assert counted["referred_orders"] == 0 and counted["referred_revenue_USD"] == 0
    assert counted["advocates"] == 0 and counted["referred_customers"] == 0 and counted["referral_reversals"] == 1
    advocate = table.get(keys.customer_key(adv.shop.shop_id, "c-1"))
    assert advocate["referred_orders"] == 0 and advocate["active_referrals"] == 0


def test_partial_refund_lowers_the_credited_revenue(adv, table):
    friend_order(adv)
    adv.shop.deliver("order.refunded", "f-1", "friend-1", amount="30.00", total="80.00", timestamp=NOW, created_at=NOW)
    counted = totals(table, adv.shop.shop_id)
    assert counted["referred_orders"] == 1 and counted["referred_revenue_USD"] == Decimal("50.00")
    assert table.get(keys.customer_key(adv.shop.shop_id, "c-1"))["referred_revenue"] == Decimal("50.00")


def test_cancellation_reverses_and_a_later_order_makes_an_advocate_again(adv, table):
    friend_order(adv)
    adv.shop.deliver("order.cancelled", "f-1", "friend-1", total="80.00", timestamp=NOW, created_at=NOW)
    assert totals(table, adv.shop.shop_id)["advocates"] == 0
    friend_order(adv, order_id="f-2", customer_id="friend-2")
    counted = totals(table, adv.shop.shop_id)
    assert counted["advocates"] == 1 and counted["referred_orders"] == 1


def test_named_codes_are_read_by_signal_and_lookalikes_ignored():
    url = "https://shop.example.com/p?utm_source=x&ref=pl-abcdefghj"
    named = named_by_signal(
        landing_url=url,
        discount_codes=["WELCOME5", "pl-ABCDEFGHJ", "welcome5"],
        note_codes=["pl-abcdefghj", "pl-short"],
        attribution_urls=["https://api.example.com/s/pl-bcdefghjk", "https://elsewhere.example/s/pl-cdefghjkm"],
        base_url="https://api.example.com",
        friend="f",
    )
    assert named.shares == {
        "code": ["pl-ABCDEFGHJ"],
        "landing": ["pl-abcdefghj"],
        "note": ["pl-abcdefghj"],
        "wc_attribution": ["pl-bcdefghjk"],
    }
    assert named.share_codes() == ["pl-ABCDEFGHJ", "pl-abcdefghj", "pl-bcdefghjk"]
    assert named.pool_codes == ["WELCOME5"]  # discount codes compared without regard to case, as the pools do
    empty = named_by_signal(
        landing_url="not a url %%%",
        discount_codes=[],
        note_codes=["pl-short"],
        attribution_urls=[],
        base_url="",
        friend=None,
    )
    assert empty.shares == {} and empty.share_codes() == []


def _code(name, shop="s", customer="a", days=(), email_hash=None):
    return {"code": name, "shop_id": shop, "customer_id": customer, "click_days": set(days), "email_hash": email_hash}


@pytest.mark.parametrize(("model", "expected"), [("last_click", "pl-B"), ("first_click", "pl-A")])
def test_attribution_model_picks_among_several_codes(model, expected):
    codes = [
        _code("pl-A", customer="a", days={"2026-11-01", "2026-11-02"}),
        _code("pl-B", customer="b", days={"2026-11-10"}),
    ]
    chosen = choose_referral(
        codes, shop_id="s", order_day="2026-11-12", window_days=30, model=model, buyer_id="buyer", buyer_email_hash=None
    )
    assert chosen["code"] == expected


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (_code("pl-X", shop="other", days={"2026-11-10"}), "another shop's code"),
        (_code("pl-X", customer="buyer", days={"2026-11-10"}), "the buyer's own code"),
        (_code("pl-X", days={"2026-11-10"}, email_hash="h"), "the buyer's own email"),
        (_code("pl-X", days={"2026-10-01"}), "clicked before the window"),
        (_code("pl-X", days={"2026-11-13"}), "clicked only after the order"),
        (_code("pl-X"), "never clicked"),
    ],
)
def test_codes_that_never_credit(code, why):
    chosen = choose_referral(
        [code],
        shop_id="s",
        order_day="2026-11-12",
        window_days=30,
        model="last_click",
        buyer_id="buyer",
        buyer_email_hash="h",
    )
    assert chosen is None, why
