"""POST /shops and the owner routes: tenancy, keys and validation."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

from chalicelib.auth.owner_keys import hash_api_key
from chalicelib.shops import models
from chalicelib.store import keys
from chalicelib.store.shop_settings import DEFAULTS
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body


def test_admin_creates_a_shop_and_sees_its_key_once(api, table):
    # Given a valid shop
    body = shop_body(settings={"review_delay_days": 3})
    # When the admin creates it
    response = api.request("POST", "/shops", body, token=ADMIN_TOKEN)
    # Then the key is returned once, and only its hash is stored
    assert response.status_code == 201
    assert response.json["shop_id"] == body["shop_id"]
    api_key = response.json["api_key"]
    assert api_key.startswith("plk_") and len(api_key) > 40
    item = table.get(keys.shop_key(body["shop_id"]))
    assert item["api_key_hash"] == hash_api_key(api_key)
    assert api_key not in str(item)
    assert table.get(keys.api_key_key(hash_api_key(api_key)))["shop_id"] == body["shop_id"]


def test_settings_default_when_left_out(api):
    body, api_key = api.create_shop()
    shop = api.request("GET", f"/shops/{body['shop_id']}", token=api_key).json
    assert shop["settings"] == {
        "review_delay_days": 7,
        "reminder_after_days": 7,
        "happy_threshold": 4,
        "auto_publish": True,
        "attribution_window_days": 30,
        "attribution_model": "last_click",
        "timezone": "UTC",
        "review_after": "fulfillment",
        "delivery_fallback_days": 10,
        "delivered_status": "delivered",
        "language": "en",
        "email_texts": {},
        "share_prompt": {"en": "", "es": "", "fr": "", "de": "", "pt": ""},
        "owner_email": "",
        "show_answer_rate": False,
        "referral": {
            "enabled": False,
            "friend_offer": {"type": "percent", "value": "10", "currency": None, "minimum_order": "0"},
            "advocate_reward": {"type": "percent", "value": "10", "currency": None},
            "codes": "pool",
            "hold_days": 14,
            "new_customers_only": True,
            "max_rewards_per_month": 10,
            "terms": "",
        },
    }
    assert "webhook_secret" not in shop


def test_create_shop_without_admin_token_is_401_and_stores_nothing(api, table):
    body = shop_body()
    response = api.request("POST", "/shops", body)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert table.get(keys.shop_key(body["shop_id"])) is None


def test_create_shop_with_wrong_admin_token_is_401(api):
    response = api.request("POST", "/shops", shop_body(), token="not-the-admin-token")
    assert response.status_code == 401


def test_second_shop_with_same_id_is_409_and_first_is_kept(api, table):
    body, first_key = api.create_shop()
    again = api.request("POST", "/shops", {**body, "name": "Impostor"}, token=ADMIN_TOKEN)
    assert again.status_code == 409
    assert again.json["error"]["code"] == "shop_exists"
    assert table.get(keys.shop_key(body["shop_id"]))["name"] == body["name"]
    assert api.request("GET", f"/shops/{body['shop_id']}", token=first_key).status_code == 200


def test_domain_of_another_shop_is_409_and_nothing_of_the_new_shop_is_stored(api, table):
    first, _ = api.create_shop()
    clash = shop_body(domains=["fresh.example.org", first["domains"][0]])
    response = api.request("POST", "/shops", clash, token=ADMIN_TOKEN)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "domain_taken"
    assert first["domains"][0] in response.json["error"]["message"]
    assert table.get(keys.shop_key(clash["shop_id"])) is None
    assert table.get(keys.domain_key("fresh.example.org")) is None


def test_malformed_json_is_400(api):
    response = api.request(
        "POST", "/shops", token=ADMIN_TOKEN, raw=b'{"shop_id": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_wrong_content_type_is_415(api):
    response = api.request(
        "POST",
        "/shops",
        token=ADMIN_TOKEN,
        raw=b"shop_id=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_invalid_fields_are_422_naming_each_field(api, table):
    body = shop_body(shop_id="Bad Id!", platform="magento", domains=["https://x.com/path"])
    response = api.request("POST", "/shops", body, token=ADMIN_TOKEN)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json["error"]["details"]}
    assert {"shop_id", "platform", "domains"} <= fields


def test_unknown_setting_and_bad_timezone_are_422(api):
    response = api.request(
        "POST", "/shops", shop_body(settings={"timezone": "Mars/Olympus", "colour": "red"}), token=ADMIN_TOKEN
    )
    assert response.status_code == 422
    fields = {d["field"] for d in response.json["error"]["details"]}
    assert fields == {"settings.timezone", "settings.colour"}


def test_json_array_instead_of_object_is_422(api):
    response = api.request("POST", "/shops", [1, 2], token=ADMIN_TOKEN)
    assert response.status_code == 422


def test_domains_are_normalised_and_deduplicated(api):
    body, api_key = api.create_shop(domains=["Shop.Example.COM", "shop.example.com.", "localhost:8001"])
    shop = api.request("GET", f"/shops/{body['shop_id']}", token=api_key).json
    assert shop["domains"] == ["shop.example.com", "localhost:8001"]


def test_owner_route_without_key_is_401(api):
    body, _ = api.create_shop()
    response = api.request("GET", f"/shops/{body['shop_id']}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_owner_route_with_unknown_key_is_401(api):
    body, _ = api.create_shop()
    assert api.request("GET", f"/shops/{body['shop_id']}", token="plk_made-up").status_code == 401


def test_key_of_one_shop_is_403_on_another(api):
    first, _ = api.create_shop()
    _, second_key = api.create_shop()
    response = api.request("GET", f"/shops/{first['shop_id']}", token=second_key)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_admin_token_is_not_an_owner_key(api):
    body, _ = api.create_shop()
    assert api.request("GET", f"/shops/{body['shop_id']}", token=ADMIN_TOKEN).status_code == 401


def test_owner_changes_settings_and_others_keep_their_values(api):
    body, api_key = api.create_shop(settings={"happy_threshold": 5})
    response = api.request("PATCH", f"/shops/{body['shop_id']}", {"settings": {"review_delay_days": 2}}, token=api_key)
    assert response.status_code == 200, response.body
    assert response.json["settings"]["review_delay_days"] == 2
    assert response.json["settings"]["happy_threshold"] == 5


def test_invalid_settings_change_is_422_and_changes_nothing(api):
    body, api_key = api.create_shop()
    response = api.request("PATCH", f"/shops/{body['shop_id']}", {"settings": {"happy_threshold": 9}}, token=api_key)
    assert response.status_code == 422
    assert response.json["error"]["details"][0]["field"] == "happy_threshold"
    shop = api.request("GET", f"/shops/{body['shop_id']}", token=api_key).json
    assert shop["settings"]["happy_threshold"] == 4


def test_an_older_shop_item_reads_with_defaults_for_missing_settings_and_numbers_as_stored(api, table):
    # Given a shop item written before some settings existed, its numbers as DynamoDB gives them back
    body, api_key = api.create_shop()
    table.update(
        keys.shop_key(body["shop_id"]),
        "SET settings = :s",
        values={":s": {"happy_threshold": Decimal(5), "timezone": ""}},
    )
    # When the shop is read, and one setting is changed
    from chalicelib.store.shop_records import get_shop

    shop = get_shop(table, body["shop_id"])
    changed = api.request("PATCH", f"/shops/{body['shop_id']}", {"settings": {"review_delay_days": 2}}, token=api_key)
    # Then what was stored is kept, typed, every other setting is its default, and the whole map is written back
    assert shop.settings.happy_threshold == 5 and type(shop.settings.happy_threshold) is int
    assert shop.settings.review_delay_days == 7 and shop.timezone == "UTC"
    assert changed.json["settings"] == {
        **models.ShopSettings().model_dump(),
        "happy_threshold": 5,
        "review_delay_days": 2,
    }
    assert table.get(keys.shop_key(body["shop_id"]))["settings"] == changed.json["settings"]


def test_the_api_settings_model_and_the_stored_record_name_the_same_settings_and_defaults():
    assert models.ShopSettings().stored() == DEFAULTS
    assert list(models.ShopSettings.model_fields) == [f.name for f in fields(DEFAULTS)]


def test_changing_domains_moves_the_domain_claims(api, table):
    body, api_key = api.create_shop()
    old_home = body["domains"][0]
    response = api.request("PATCH", f"/shops/{body['shop_id']}", {"domains": ["new-home.example.net"]}, token=api_key)
    assert response.status_code == 200
    assert table.get(keys.domain_key("new-home.example.net"))["shop_id"] == body["shop_id"]
    assert table.get(keys.domain_key(old_home)) is None
    # The freed domain can now be claimed by another shop.
    api.create_shop(domains=[old_home])


def test_rotated_key_replaces_the_old_one(api):
    body, old_key = api.create_shop()
    response = api.request("POST", f"/shops/{body['shop_id']}/api-key", token=old_key)
    assert response.status_code == 200
    new_key = response.json["api_key"]
    assert new_key != old_key
    assert api.request("GET", f"/shops/{body['shop_id']}", token=old_key).status_code == 401
    assert api.request("GET", f"/shops/{body['shop_id']}", token=new_key).status_code == 200
