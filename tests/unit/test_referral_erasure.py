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
