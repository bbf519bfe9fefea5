"""The benchmark's request-unit rules, on DynamoDB's documented sizing examples."""

from __future__ import annotations

import pytest

from bench.units import item_size, read_units, write_units


def test_item_size_counts_names_and_values():
    assert item_size({"PK": {"S": "abc"}}) == 2 + 3
    assert item_size({"n": {"N": "123"}}) == 1 + 3  # two digits a byte, plus one
    assert item_size({"n": {"N": "-0.00500"}}) == 1 + 2
    assert item_size({"ok": {"BOOL": True}, "s": {"SS": ["ab", "c"]}}) == 2 + 1 + 1 + 3
    assert item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + 1 + 1 + 1


def test_reads_round_to_4kb_and_halve_when_eventually_consistent():
    assert read_units(0, consistent=True) == 1.0  # a miss still costs a unit
    assert read_units(4096, consistent=True) == 1.0
    assert read_units(4097, consistent=True) == 2.0
    assert read_units(4097, consistent=False) == 1.0


def test_writes_round_to_1kb_of_the_larger_image_double_in_transactions_and_pay_per_index():
    small = {"PK": {"S": "a"}, "SK": {"S": "b"}}
    large = {**small, "blob": {"S": "x" * 1500}}
    assert write_units(None, small, transactional=False) == 1.0
    assert write_units(large, small, transactional=False) == 2.0  # the item before was 2 KB
    assert write_units(None, small, transactional=True) == 2.0
    indexed = {**small, "GSI1PK": {"S": "p"}}
    assert write_units(None, indexed, transactional=False) == 2.0
    moved = {**small, "GSI1PK": {"S": "q"}}
    assert write_units(indexed, moved, transactional=False) == 3.0  # index entry deleted and put


def test_the_cold_start_benchs_canned_dynamodb_answers_a_clicks_three_calls():
    import boto3
    from botocore.config import Config

    from bench.cold_start import CODE_ON, PRODUCT, SHOP_OFF, SHOP_ON, TABLE, CannedDynamoDB, served_items
    from chalicelib.store import keys
    from chalicelib.store.table import deserialize, serialize

    with CannedDynamoDB(served_items()) as canned:
        client = boto3.client(
            "dynamodb",
            region_name="us-east-1",
            endpoint_url=canned.endpoint,
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(retries={"mode": "standard", "max_attempts": 0}),
        )
        # GetItem: the code, pointing at its shop and product; a key it does not hold answers no item
        code = deserialize(client.get_item(TableName=TABLE, Key=serialize(keys.code_key(CODE_ON)))["Item"])
        assert (code["code"], code["shop_id"], code["product_id"]) == (CODE_ON, SHOP_ON, PRODUCT)
        assert "Item" not in client.get_item(TableName=TABLE, Key=serialize(keys.code_key("pl-nothere22")))
        # BatchGetItem: the shop (its program on, a friend's offer) and its product; the other shop's program is off
        wanted = [keys.shop_key(SHOP_ON), keys.product_key(SHOP_ON, PRODUCT), keys.shop_key(SHOP_OFF)]
        answer = client.batch_get_item(RequestItems={TABLE: {"Keys": [serialize(k) for k in wanted]}})
        found = {
            i["SK"] if i["type"] == "product" else i["shop_id"]: i for i in map(deserialize, answer["Responses"][TABLE])
        }
        assert found[SHOP_ON]["settings"]["referral"]["enabled"] is True
        assert found[SHOP_ON]["settings"]["referral"]["friend_offer"]["type"] == "percent"
        assert found[SHOP_OFF]["settings"]["referral"]["enabled"] is False
        assert found[keys.product_key(SHOP_ON, PRODUCT)["SK"]]["product_id"] == PRODUCT
        assert answer["UnprocessedKeys"] == {}
        # TransactWriteItems: accepted, written nowhere
        put = {"Put": {"TableName": TABLE, "Item": serialize({**keys.code_key(CODE_ON), "seen": 1})}}
        assert client.transact_write_items(TransactItems=[put])["ResponseMetadata"]["HTTPStatusCode"] == 200
        # Anything else is refused
        with pytest.raises(client.exceptions.ClientError):
            client.put_item(TableName=TABLE, Item=put["Put"]["Item"])
    assert canned.calls == {"GetItem": 2, "BatchGetItem": 1, "TransactWriteItems": 1, "PutItem": 1}
