"""A counted click waits on two database round trips: its code, then one transaction; with the give-get program
on, the friend's page it answers costs no more.

The shop and the product page rarely change, so a warm container keeps what it read of them for a
bounded time (store/recent.py); a write through the container forgets its item at once.
"""

from __future__ import annotations

import pytest

from chalicelib.store import keys
from chalicelib.store.recent import RecentItems
from chalicelib.store.table import get_client
from tests.unit.sharing_support import Advocate
from tests.unit.webhook_support import calls, totals


@pytest.fixture
def adv(api, outbox):
    return Advocate(api, outbox)


def test_a_days_first_click_and_the_next_each_wait_on_two_round_trips(adv, table):
    table.recent.clear()
    adv.click(ip="198.51.100.1")  # a container that read the shop and product once
    with calls(get_client()) as first:
        assert adv.click(ip="198.51.100.2").status_code == 302
    assert first == ["GetItem", "TransactWriteItems"]

    # On a code's first click of a day, the day rides in the click's one transaction
    item = table.get(keys.code_key(adv.code))
    table.update(keys.code_key(adv.code), "REMOVE click_days")
    with calls(get_client()) as day_first:
        assert adv.click(ip="198.51.100.3").status_code == 302
    assert day_first == ["GetItem", "TransactWriteItems"]
    assert table.get(keys.code_key(adv.code))["click_days"] == item["click_days"]
    assert totals(table, adv.shop.shop_id)["clicks"] == 3


def test_a_cold_container_reads_the_shop_and_product_once(adv, table):
    table.recent.clear()
    with calls(get_client()) as cold:
        adv.click(ip="198.51.100.4")
    assert cold == ["GetItem", "BatchGetItem", "TransactWriteItems"]


def test_a_shop_change_through_this_container_is_seen_by_the_next_click(adv, table, api):
    adv.click(ip="198.51.100.5")
    # The owner moves the shop to a new home domain: the next click goes there, not to the kept one
    shop = adv.shop
    response = api.request(
        "PATCH",
        f"/shops/{shop.shop_id}",
        {"domains": ["new-home.example.com"]},
        headers={"Authorization": f"Bearer {shop.api_key}"},
    )
    assert response.status_code == 200, response.body
    assert adv.click(ip="198.51.100.6").headers["Location"].startswith("https://new-home.example.com/")


def test_recent_items_are_kept_for_their_time_then_read_again():
    now = [100.0]
    recent = RecentItems(ttl=60, clock=lambda: now[0])
    recent.keep(("SHOP#s", "SHOP"), {"name": "A"})
    recent.keep(("SHOP#s", "PRODUCT#p"), None)  # absent: kept as absent
    assert recent.fresh(("SHOP#s", "SHOP")) == (True, {"name": "A"})
    assert recent.fresh(("SHOP#s", "PRODUCT#p")) == (True, None)
    now[0] += 61
    assert recent.fresh(("SHOP#s", "SHOP")) == (False, None)
    recent.keep(("SHOP#s", "SHOP"), {"name": "B"})
    recent.forget(("SHOP#s", "SHOP"))
    assert recent.fresh(("SHOP#s", "SHOP")) == (False, None)


def _program_with_pools(adv, enabled: bool) -> None:
    """The give-get program set up with codes in both pools, then left on or turned off."""
    from tests.unit.test_friend_claims import fill, program

    program(adv, advocate_reward={"type": "percent", "value": "10"})
    fill(adv, "FRIEND-AAA", "FRIEND-BBB")
    fill(adv, "ADV-ONE", pool="advocate")
    if not enabled:
        program(adv, enabled=False)


def test_without_the_program_a_shop_with_pools_keeps_its_two_round_trips(adv, table):
    _program_with_pools(adv, enabled=False)
    table.recent.clear()
    with calls(get_client()) as cold:
        assert adv.click(ip="198.51.100.11").status_code == 302
    with calls(get_client()) as warm:
        assert adv.click(ip="198.51.100.12").status_code == 302
    assert cold == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    assert warm == ["GetItem", "TransactWriteItems"]
    assert totals(table, adv.shop.shop_id)["clicks"] == 2


def test_with_the_program_the_friends_page_costs_the_same_round_trips(adv, table):
    _program_with_pools(adv, enabled=True)
    table.recent.clear()
    with calls(get_client()) as cold:
        assert adv.click(ip="198.51.100.13").status_code == 200
    with calls(get_client()) as warm:
        page = adv.click(ip="198.51.100.14")
    assert page.status_code == 200 and "10% off your first order" in page.body.decode()
    # The page is drawn from what the click reads already (the code, the shop and its settings): nothing more
    assert cold == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    assert warm == ["GetItem", "TransactWriteItems"]
    assert totals(table, adv.shop.shop_id)["clicks"] == 2
