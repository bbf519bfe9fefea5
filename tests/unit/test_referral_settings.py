"""The referral program's settings (`settings.referral`) through PATCH and GET /shops/{shop_id}: off by default,
validated field by field, merged key by key, and read from older items as their defaults."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.store import keys
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body
from tests.unit.test_console import SETTINGS, Owner

DEFAULTS = {
    "enabled": False,
    "friend_offer": {"type": "percent", "value": "10", "currency": None, "minimum_order": "0"},
    "advocate_reward": {"type": "percent", "value": "10", "currency": None},
    "codes": "pool",
    "hold_days": 14,
    "new_customers_only": True,
    "max_rewards_per_month": 10,
    "terms": "",
}
PROGRAM = {
    "enabled": True,
    "friend_offer": {"type": "amount", "value": "15.50", "currency": "EUR", "minimum_order": "50"},
    "advocate_reward": {"type": "percent", "value": "12.5"},
    "codes": "pool",
    "hold_days": 30,
    "new_customers_only": False,
    "max_rewards_per_month": 0,
    "terms": "One reward per friend.\nNot with other offers.",
}


@pytest.fixture
def shop(api):
    body, api_key = api.create_shop()
    return body["shop_id"], api_key


def patch(api, shop, referral):
    shop_id, api_key = shop
    return api.request("PATCH", f"/shops/{shop_id}", {"settings": {"referral": referral}}, token=api_key)


def get(api, shop):
    shop_id, api_key = shop
    response = api.request("GET", f"/shops/{shop_id}", token=api_key)
    assert response.status_code == 200
    return response.json["settings"]["referral"]


def test_the_program_is_off_by_default_and_get_shows_its_settings(api, shop):
    assert get(api, shop) == DEFAULTS


def test_the_settings_round_trip_and_are_stored_as_sent(api, shop, table):
    response = patch(api, shop, PROGRAM)
    assert response.status_code == 200, response.body
    expected = {**PROGRAM, "advocate_reward": {**PROGRAM["advocate_reward"], "currency": None}}
    assert response.json["settings"]["referral"] == expected
    assert get(api, shop) == expected
    assert table.get(keys.shop_key(shop[0]))["settings"]["referral"] == expected


def test_a_shop_created_with_part_of_the_program_has_defaults_for_the_rest(api):
    body, api_key = api.create_shop(settings={"referral": {"enabled": True, "hold_days": 0}})
    shop = api.request("GET", f"/shops/{body['shop_id']}", token=api_key).json
    assert shop["settings"]["referral"] == {**DEFAULTS, "enabled": True, "hold_days": 0}


def test_a_partial_change_merges_key_by_key_and_keeps_the_other_settings(api, shop):
    # Given a program, and a shop setting outside it
    shop_id, api_key = shop
    api.request("PATCH", f"/shops/{shop_id}", {"settings": {"happy_threshold": 5}}, token=api_key)
    assert patch(api, shop, PROGRAM).status_code == 200
    # When the owner sends only one key of the program and one key of its friend offer
    response = patch(api, shop, {"hold_days": 7, "friend_offer": {"value": "20"}})
    # Then those change, and everything else is kept: the program's other keys, the offer's type and currency
    assert response.status_code == 200, response.body
    referral = get(api, shop)
    assert referral["hold_days"] == 7
    assert referral["friend_offer"] == {**PROGRAM["friend_offer"], "value": "20"}
    assert referral["terms"] == PROGRAM["terms"] and referral["enabled"] is True
    assert response.json["settings"]["happy_threshold"] == 5


def test_a_change_outside_the_program_keeps_it(api, shop):
    shop_id, api_key = shop
    assert patch(api, shop, PROGRAM).status_code == 200
    api.request("PATCH", f"/shops/{shop_id}", {"settings": {"review_delay_days": 3}}, token=api_key)
    assert get(api, shop)["enabled"] is True and get(api, shop)["hold_days"] == PROGRAM["hold_days"]


def test_an_offer_turned_to_a_percent_drops_its_currency(api, shop):
    assert patch(api, shop, PROGRAM).status_code == 200
    response = patch(api, shop, {"friend_offer": {"type": "percent", "value": "15"}})
    assert response.status_code == 200, response.body
    assert get(api, shop)["friend_offer"] == {"type": "percent", "value": "15", "currency": None, "minimum_order": "50"}


def test_no_reward_for_the_advocate(api, shop):
    response = patch(api, shop, {"advocate_reward": {"type": "none"}})
    assert response.status_code == 200, response.body
    assert get(api, shop)["advocate_reward"] == {"type": "none", "value": "10", "currency": None}


@pytest.mark.parametrize(
    ("referral", "field"),
    [
        ({"enabled": "yes please"}, "referral.enabled"),
        ({"friend_offer": {"type": "free_shipping"}}, "referral.friend_offer.type"),
        ({"friend_offer": {"value": "0"}}, "referral.friend_offer.value"),
        ({"friend_offer": {"value": "101"}}, "referral.friend_offer.value"),
        ({"friend_offer": {"value": "10.555"}}, "referral.friend_offer.value"),
        ({"friend_offer": {"value": "-5"}}, "referral.friend_offer.value"),
        ({"friend_offer": {"value": 10}}, "referral.friend_offer.value"),
        ({"friend_offer": {"value": "ten"}}, "referral.friend_offer.value"),
        ({"friend_offer": {"type": "amount", "value": "5"}}, "referral.friend_offer.currency"),
        ({"friend_offer": {"type": "amount", "value": "5", "currency": "usd"}}, "referral.friend_offer.currency"),
        ({"friend_offer": {"type": "amount", "value": "5", "currency": "EURO"}}, "referral.friend_offer.currency"),
        ({"friend_offer": {"type": "amount", "value": "0", "currency": "USD"}}, "referral.friend_offer.value"),
        ({"friend_offer": {"minimum_order": "-1"}}, "referral.friend_offer.minimum_order"),
        ({"friend_offer": {"minimum_order": "9.999"}}, "referral.friend_offer.minimum_order"),
        ({"friend_offer": {"colour": "red"}}, "referral.friend_offer.colour"),
        ({"friend_offer": None}, "referral.friend_offer"),
        ({"advocate_reward": {"type": "points"}}, "referral.advocate_reward.type"),
        ({"advocate_reward": {"value": "100.01"}}, "referral.advocate_reward.value"),
        ({"advocate_reward": {"type": "amount", "value": "5"}}, "referral.advocate_reward.currency"),
        ({"codes": "shopify"}, "referral.codes"),
        ({"hold_days": -1}, "referral.hold_days"),
        ({"hold_days": 91}, "referral.hold_days"),
        ({"max_rewards_per_month": -1}, "referral.max_rewards_per_month"),
        ({"max_rewards_per_month": 1001}, "referral.max_rewards_per_month"),
        ({"new_customers_only": "sometimes"}, "referral.new_customers_only"),
        ({"terms": "x" * 1001}, "referral.terms"),
        ({"terms": "tab\there"}, "referral.terms"),
        ({"terms": "bell\x07"}, "referral.terms"),
        ({"launch": "now"}, "referral.launch"),
        ("on", "referral"),
    ],
)
def test_a_bad_value_is_422_naming_its_field_and_changes_nothing(api, shop, referral, field):
    response = patch(api, shop, referral)
    assert response.status_code == 422, response.body
    assert [d["field"] for d in response.json["error"]["details"]] == [field]
    assert get(api, shop) == DEFAULTS


def test_an_amount_needs_its_currency(api, shop):
    response = patch(api, shop, {"friend_offer": {"type": "amount", "value": "5"}})
    assert response.status_code == 422
    (problem,) = response.json["error"]["details"]
    assert problem["field"] == "referral.friend_offer.currency" and "currency" in problem["problem"]


@pytest.mark.parametrize("value", ["0", "0.00", "101", "100.01"])
def test_a_percent_outside_0_to_100_is_422(api, shop, value):
    response = patch(api, shop, {"friend_offer": {"type": "percent", "value": value}})
    assert response.status_code == 422
    assert response.json["error"]["details"][0]["field"] == "referral.friend_offer.value"


@pytest.mark.parametrize("value", ["0.01", "1", "99.99", "100", "100.00"])
def test_a_percent_above_0_up_to_100_is_kept(api, shop, value):
    assert patch(api, shop, {"friend_offer": {"value": value}}).status_code == 200
    assert get(api, shop)["friend_offer"]["value"] == value


def test_terms_keep_their_lines_and_a_crlf_is_a_newline(api, shop):
    assert patch(api, shop, {"terms": "first\r\nsecond\nthird"}).status_code == 200
    assert get(api, shop)["terms"] == "first\nsecond\nthird"


def test_a_bad_program_at_creation_is_422_naming_the_setting(api):
    body = shop_body(settings={"referral": {"friend_offer": {"type": "amount", "value": "5"}}})
    response = api.request("POST", "/shops", body, token=ADMIN_TOKEN)
    assert response.status_code == 422
    assert [d["field"] for d in response.json["error"]["details"]] == ["settings.referral.friend_offer.currency"]


def test_an_older_item_without_the_program_reads_its_defaults(api, shop, table):
    # Given a shop item written before the program existed, and one with only part of it
    shop_id, _ = shop
    stored = table.get(keys.shop_key(shop_id))["settings"]
    del stored["referral"]
    table.update(keys.shop_key(shop_id), "SET settings = :s", values={":s": stored})
    # Then it reads as the defaults, and a change of one key stores the whole program
    assert get(api, shop) == DEFAULTS
    assert patch(api, shop, {"enabled": True}).status_code == 200
    assert table.get(keys.shop_key(shop_id))["settings"]["referral"] == {**DEFAULTS, "enabled": True}


def test_an_older_item_with_part_of_the_program_reads_defaults_for_the_rest(api, shop, table):
    shop_id, _ = shop
    partial = {"enabled": True, "hold_days": Decimal(3), "friend_offer": {"value": "25"}, "retired_key": "x"}
    table.update(keys.shop_key(shop_id), "SET settings.referral = :r", values={":r": partial})
    from chalicelib.store.shop_records import get_shop

    referral = get_shop(table, shop_id).settings.referral
    assert referral.enabled is True and referral.hold_days == 3 and type(referral.hold_days) is int
    assert referral.friend_offer.value == "25" and referral.friend_offer.type == "percent"
    assert get(api, shop) == {
        **DEFAULTS,
        "enabled": True,
        "hold_days": 3,
        "friend_offer": {**DEFAULTS["friend_offer"], "value": "25"},
    }


def test_the_console_settings_form_keeps_the_program(api):
    owner = Owner(api)
    shop = (owner.shop_id, owner.key)
    assert patch(api, shop, PROGRAM).status_code == 200
    assert owner.post("settings", SETTINGS).status_code == 303
    assert get(api, shop)["terms"] == PROGRAM["terms"] and get(api, shop)["enabled"] is True
