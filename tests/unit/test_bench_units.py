"""The benchmark's request-unit rules, on DynamoDB's documented sizing examples."""

from __future__ import annotations

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
