"""The advocate's credit is built in one place: each event's counters and weight, its score part and the
leaderboard's sort key in one UpdateItem, and the stored score read back by the same module."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from chalicelib.store import keys
from chalicelib.store.advocates import ClickScore, Credit, StoredScore, credit_op, stored_score
from chalicelib.store.table import ConditionFailed, Table

W = Decimal("1.5")


def _spelled(op: dict[str, Any]) -> tuple[str, str]:
    """The update's expression and condition with each value written in place of its placeholder."""
    update = op["Update"]
    values = {k: TypeDeserializer().deserialize(v) for k, v in update.get("ExpressionAttributeValues", {}).items()}

    def spell(text: str) -> str:
        return re.sub(r":\w+", lambda m: repr(values[m.group(0)]), text)

    return spell(update["UpdateExpression"]), spell(update["ConditionExpression"])


CASES = [
    pytest.param(
        Credit(weight=W, counters={"shares": 1}, firsts={"first_share_day": "2024-05-01"}, new=("first_share_day",)),
        "SET first_share_day = if_not_exists(first_share_day, '2024-05-01'), "
        "score_sum = if_not_exists(score_sum, Decimal('0')) + Decimal('1.5') "
        "ADD shares Decimal('1'), GSI2SK Decimal('1.5')",
        "attribute_exists(PK) AND attribute_not_exists(first_share_day)",
        id="a first share",
    ),
    pytest.param(
        Credit(weight=W, counters={"reviews": 1, "review_ids": {"r1"}}, joins_leaderboard=True),
        "SET score_sum = if_not_exists(score_sum, Decimal('0')) + Decimal('1.5'), GSI2PK = 'LEADER#s' "
        "ADD reviews Decimal('1'), review_ids {'r1'}, GSI2SK Decimal('1.5')",
        "attribute_exists(PK)",
        id="a review joins the leaderboard",
    ),
    pytest.param(
        Credit(
            weight=-W,
            counters={"referred_orders": -1, "active_referrals": -1},
            standing={"active_referrals": 2},
        ),
        "SET score_sum = if_not_exists(score_sum, Decimal('0')) + Decimal('-1.5') "
        "ADD referred_orders Decimal('-1'), active_referrals Decimal('-1'), GSI2SK Decimal('-1.5')",
        "attribute_exists(PK) AND active_referrals = Decimal('2')",
        id="a reversed referral takes its weight back",
    ),
    pytest.param(
        Credit(
            weight=W, counters={"active_referrals": 1}, sets={"advocate_day": "d"}, standing={"active_referrals": 0}
        ),
        "SET score_sum = if_not_exists(score_sum, Decimal('0')) + Decimal('1.5'), advocate_day = 'd' "
        "ADD active_referrals Decimal('1'), GSI2SK Decimal('1.5')",
        "attribute_exists(PK) AND (attribute_not_exists(active_referrals) OR active_referrals = Decimal('0'))",
        id="a first referral: no standing referral yet",
    ),
    pytest.param(
        ClickScore(clicks=3, score=Decimal("2.5"), read=None),
        "SET clicks = Decimal('3'), click_score = Decimal('2.5') ADD GSI2SK Decimal('2.5')",
        "attribute_not_exists(click_score)",
        id="the first click roll-up",
    ),
    pytest.param(
        ClickScore(clicks=5, score=Decimal("2.5"), read=Decimal("1")),
        "SET clicks = Decimal('5'), click_score = Decimal('2.5') ADD GSI2SK Decimal('1.5')",
        "click_score = Decimal('1')",
        id="a later roll-up moves the total by the difference",
    ),
]


@pytest.mark.parametrize(("credit", "expression", "condition"), CASES)
def test_the_credit_is_one_update_of_its_counters_score_part_and_index_key(credit, expression, condition):
    op = credit_op(Table(client=None, name="t"), "s", "c", credit)
    assert op["Update"]["Key"] == {"PK": {"S": "SHOP#s"}, "SK": {"S": "CUST#c"}}
    assert _spelled(op) == (expression, condition)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({}, StoredScore(Decimal(0), Decimal(0), Decimal(0), clicks_rolled_up=False)),
        (
            {keys.GSI2SK: Decimal("4"), "score_sum": Decimal("3"), "click_score": Decimal("1")},
            StoredScore(Decimal(4), Decimal(3), Decimal(1), clicks_rolled_up=True),
        ),
        ({"click_score": Decimal(0)}, StoredScore(Decimal(0), Decimal(0), Decimal(0), clicks_rolled_up=True)),
    ],
)
def test_the_stored_score_reads_each_part(item, expected):
    assert stored_score(item) == expected


def test_credits_and_click_roll_ups_keep_the_index_key_the_sum_of_both_parts(table):
    # Given an advocate's record
    key = keys.customer_key("s", "c")
    table.put({**key, "customer_id": "c"})
    # When a review, a share and two click roll-ups credit it
    table.apply(credit_op(table, "s", "c", Credit(weight=Decimal(3), counters={"reviews": 1}, joins_leaderboard=True)))
    table.apply(credit_op(table, "s", "c", Credit(weight=Decimal("0.5"), counters={"shares": 1})))
    table.apply(credit_op(table, "s", "c", ClickScore(clicks=2, score=Decimal("0.2"), read=None)))
    table.apply(credit_op(table, "s", "c", ClickScore(clicks=4, score=Decimal("0.4"), read=Decimal("0.2"))))
    # Then the leaderboard's key is the events' part plus the clicks' part
    item = table.get(key, consistent=True)
    assert stored_score(item) == StoredScore(Decimal("3.9"), Decimal("3.5"), Decimal("0.4"), clicks_rolled_up=True)
    assert item[keys.GSI2PK] == keys.leader_partition("s") and item["reviews"] == 1 and item["clicks"] == 4
    # And a roll-up read before another one is refused, leaving the score as it was
    with pytest.raises(ConditionFailed):
        table.apply(credit_op(table, "s", "c", ClickScore(clicks=9, score=Decimal(9), read=Decimal("0.2"))))
    assert stored_score(table.get(key, consistent=True)).total == Decimal("3.9")


def test_a_credit_never_creates_a_record_erased_meanwhile(table):
    with pytest.raises(ConditionFailed):
        table.apply(credit_op(table, "s", "gone", Credit(weight=W, counters={"shares": 1})))
    assert table.get(keys.customer_key("s", "gone"), consistent=True) is None
