"""Erasure and the give-get program (issue 26, part 9): a customer's erasure removes their claims of a friend offer
(the keyed hash of their mailbox, and the mailbox itself while the code's email was not sent) and whom the pool's
codes were handed to, while each code stays handed out; a shop's erasure removes its claims, codes and counters."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.referrals.offers import friend_key
from chalicelib.store import keys
from tests.unit.sharing_support import Advocate
from tests.unit.test_erasure import NOW, leaks, scan, send_generic
from tests.unit.test_friend_claims import claim, fill, friend_mails, program, run_due

MAILED = "Bruno.Feld@example.net"  # claims, gets a code, is emailed it, then orders and asks to be erased
WAITING = "Greta.Lind@example.org"  # claims from an empty pool, and asks to be erased before the code follows


def redact(advocate: Advocate, **data: Any) -> None:
    answer = send_generic(advocate.shop, {"type": "customer.redact", "timestamp": NOW, "data": data})
    assert answer.status_code == 200, answer.body


def traces(address: str) -> list[str]:
    """What could tie an item to a friend: their mailbox and its keyed hash as a claim's key and a code's holder."""
    return [address, address.lower(), friend_key(address.lower())]


@pytest.fixture
def advocate(api, outbox) -> Advocate:
    return Advocate(api, outbox)


def code_item(table: Any, advocate: Advocate, code: str) -> dict[str, Any]:
    item = table.get(keys.referral_code_key(advocate.shop.shop_id, code))
    assert item is not None
    return item


def test_a_customers_erasure_removes_their_claims_and_keeps_their_code_handed_out(advocate, table):
    program(advocate)
    fill(advocate, "FRIEND-AAA")
    given = claim(advocate, MAILED).json["code"]
    assert given == "FRIEND-AAA"
    run_due(advocate)
    assert len(friend_mails(advocate, MAILED)) == 1
    assert claim(advocate, WAITING, ip="203.0.113.61").json["status"] == "waiting_for_code"
    # The first friend orders (a customer of the shop now), and asks to be erased by their customer id alone
    advocate.shop.deliver("order.created", "f-1", "c-bruno", name="Bruno Feld", email=MAILED, created_at=NOW)
    assert leaks(table, traces(MAILED))  # their claim and their code's holder name them before
    redact(advocate, customer_id="c-bruno")
    assert leaks(table, traces(MAILED)) == []
    handed = code_item(table, advocate, given)
    assert handed["state"] == "handed_out" and "holder" not in handed and "handed_out_at" not in handed
    # The second, who never ordered, asks by their email: their address goes before the code's email is sent
    redact(advocate, email=WAITING)
    assert leaks(table, traces(WAITING)) == []
    fill(advocate, "FRIEND-BBB")
    run_due(advocate)
    assert friend_mails(advocate, WAITING) == []
    # The pools' counts are as they were, and the erased friend's code is never handed to anyone else
    overview = advocate.shop.owner("GET", "/referral").json
    assert overview["pools"]["friend"] == {"available": 1, "handed_out": 1} and overview["claims"] == 2
    assert claim(advocate, "someone.new@example.com", ip="203.0.113.62").json["code"] == "FRIEND-BBB"
    assert claim(advocate, "another.one@example.com", ip="203.0.113.63").json["status"] == "waiting_for_code"


def test_an_erasure_repeated_changes_nothing_more(advocate, table):
    from chalicelib.privacy import redact_customer

    program(advocate)
    fill(advocate, "FRIEND-AAA")
    claim(advocate, MAILED)
    advocate.shop.deliver("order.created", "f-1", "c-bruno", name="Bruno Feld", email=MAILED, created_at=NOW)
    assert redact_customer(table, advocate.shop.shop_id, "c-bruno") > 0
    before = scan(table)
    assert redact_customer(table, advocate.shop.shop_id, "c-bruno") == 0
    assert scan(table) == before


def test_a_shops_erasure_removes_its_claims_codes_and_counters(advocate, table):
    from chalicelib.privacy import request_shop_redaction, run_shop_redactions
    from chalicelib.store.shop_records import get_shop

    program(advocate)
    fill(advocate, "FRIEND-AAA", "FRIEND-BBB", "FRIEND-CCC")
    fill(advocate, "REWARD-1", "REWARD-2", pool="advocate")
    claim(advocate, MAILED)
    claim(advocate, WAITING, ip="203.0.113.61")
    advocate.shop.deliver("order.created", "f-1", "c-bruno", name="Bruno Feld", email=MAILED, created_at=NOW)
    redact(advocate, customer_id="c-bruno")  # one code's holder erased already: the shop's erasure still finds it
    shop_id = advocate.shop.shop_id
    request_shop_redaction(table, get_shop(table, shop_id))
    run_shop_redactions(table)
    left = [
        (pk, sk)
        for pk, sk in scan(table)
        if pk.startswith(f"REFCODE#{shop_id}#")
        or (pk == keys.shop_partition(shop_id) and sk.startswith(("CLAIM#", "REFHOLDER#", "REFCOUNT#", "REFCLAIMS")))
    ]
    assert left == []
    assert leaks(table, traces(MAILED) + traces(WAITING)) == []
    assert table.get(keys.shop_key(shop_id))["redacted_at"]


def test_an_advocates_erasure_forgets_them_in_the_rewards_which_stay_counted(api, outbox, table):
    from chalicelib.signing import keyed_hash
    from tests.unit.test_rewards import (
        HOLD_DAYS,
        HOME,
        counts,
        friend_order,
        fulfil,
        later,
        reward_mails,
        rewards,
        start,
    )

    advocate = start(Advocate(api, outbox, order={"shipping_address": HOME}))
    elsewhere = {**HOME, "address1": "7 Quay Street"}
    friend_order(advocate, shipping_address=elsewhere)
    fulfil(advocate)
    with later(HOLD_DAYS, hours=1):
        run_due(advocate)
    friend_order(advocate, "f-2", "friend-2")
    assert counts(advocate) == {"pending": 1, "held": 0, "issued": 1, "void": 0}
    shop_id = advocate.shop.shop_id
    hashes = [
        keyed_hash("shipping", "12 harbour road flat 3|leith|eh6 6lx|GB"),
        keyed_hash("shipping", "7 quay street flat 3|leith|eh6 6lx|GB"),
    ]
    assert len(leaks(table, hashes)) >= 4  # both orders and both customers' records
    assert table.get(keys.reward_advocate_key(shop_id, "c-1"))

    redact(advocate, customer_id="c-1")
    redact(advocate, customer_id="friend-1")

    assert leaks(table, hashes) == []
    stored = scan(table)
    partition = keys.shop_partition(shop_id)
    reward_items = {k: v for k, v in stored.items() if k[0] == partition and k[1].startswith("REWARD")}
    assert not [k for k in reward_items if k[1].startswith(("REWARDADV#c-1", "REWARDCAP#c-1#"))]
    assert leaks(reward_items, ['"c-1"', '"friend-1"']) == []
    assert not [k for k in stored if k[0] == partition and k[1].startswith("REFHOLDER#advocate#reward:")]
    issued = next(r for r in rewards(advocate)["rewards"] if r["status"] == "issued")
    assert issued["advocate"] == "erased" and issued["code"]
    assert table.get(keys.referral_erased_holder_key(shop_id, "advocate", issued["code"]))["code"] == issued["code"]
    assert counts(advocate) == {"pending": 1, "held": 0, "issued": 1, "void": 0}  # kept and counted

    # The pending one is paid to nobody: once due, it is void, and no code or email goes out
    fulfil(advocate, "f-2", "friend-2")
    with later(HOLD_DAYS, hours=1):
        run_due(advocate)
    assert counts(advocate) == {"pending": 0, "held": 0, "issued": 1, "void": 1}
    void = next(r for r in rewards(advocate)["rewards"] if r["status"] == "void")
    assert "advocate_erased" in void["reasons"] and "code" not in void
    assert len(reward_mails(advocate)) == 1  # the one sent before the erasure


def test_a_shops_erasure_removes_its_rewards_markers_and_counts(api, outbox, table):
    from chalicelib.privacy import request_shop_redaction, run_shop_redactions
    from chalicelib.store.shop_records import get_shop
    from tests.unit.test_rewards import HOLD_DAYS, friend_order, fulfil, later, start

    advocate = start(Advocate(api, outbox))
    friend_order(advocate)
    fulfil(advocate)
    with later(HOLD_DAYS, hours=1):
        run_due(advocate)
    friend_order(advocate, "f-2", "friend-2")
    fulfil(advocate, "f-2", "friend-2")  # its marker waits on the due index
    shop_id = advocate.shop.shop_id
    partition = keys.shop_partition(shop_id)
    assert any(sk.startswith("REWARDDUE#") for pk, sk in scan(table) if pk == partition)
    request_shop_redaction(table, get_shop(table, shop_id))
    run_shop_redactions(table)
    assert [sk for pk, sk in scan(table) if pk == partition and sk.startswith(("REWARD", "REFHOLDER#"))] == []


def test_the_data_export_lists_their_claims_and_their_rewards(api, outbox, table):
    from tests.unit.test_rewards import HOLD_DAYS, fulfil, later, start

    advocate = start(Advocate(api, outbox))
    fill(advocate, "FRIEND-AAA")
    assert claim(advocate, MAILED).json["code"] == "FRIEND-AAA"
    run_due(advocate)
    advocate.shop.deliver("order.created", "f-1", "c-bruno", name="Bruno Feld", email=MAILED, created_at=NOW)
    fulfil(advocate, "f-1", "c-bruno", email=MAILED)
    with later(HOLD_DAYS, hours=1):
        run_due(advocate)

    friend = advocate.shop.owner("GET", "/customers/c-bruno/data")
    assert friend.status_code == 200, friend.body
    [claimed] = friend.json["friend_claims"]
    assert claimed["code"] == "FRIEND-AAA" and claimed["share_code"] == advocate.code and claimed["created_at"]
    assert "visitor" not in claimed and "advocate_id" not in claimed
    assert friend.json["rewards"] == []

    theirs = advocate.shop.owner("GET", "/customers/c-1/data")
    assert theirs.status_code == 200, theirs.body
    [reward] = theirs.json["rewards"]
    assert reward["status"] == "issued" and reward["value"] == "5.90" and reward["currency"] == "USD"
    assert reward["code"] in ("ADV-ONE", "ADV-TWO") and reward["created_at"] and reward["issued_at"]
    assert "friend_customer" not in reward and theirs.json["friend_claims"] == []
