"""Experiments on the give-get offers through HTTP: the friend's offer and the advocate's reward. The unit is a
friend's visitor (the keyed hash of the browser the friend's page and the claim use); the page shows the visitor's
variant, the claim gives it, units and claims count once per visitor, referred orders through a claim are credited
to the claim's variant once, the rewards' value is kept per variant, and promote sets settings.referral.

Each variant's counts are read twice: as they came (`so_far`), right after the events, and as the statistic reads
them (`units`, `claims`, `referrals`, `conversions`), once the due work has closed the units' outcome windows
(`windows_closed`): a unit counts there once, with what it did by its window's close."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.experiments.assignment import variant_for
from chalicelib.sharing.visitors import visitor_id
from chalicelib.store.table import get_client
from tests.unit.experiment_support import windows_closed
from tests.unit.sharing_support import CHROME, Advocate
from tests.unit.test_friend_claims import claim, fill, run_due
from tests.unit.test_give_get_loop import HOLD_DAYS, GenericOrder, at, start
from tests.unit.webhook_support import calls

TEN = {"type": "percent", "value": "10", "minimum_order": "0"}  # the program's offer as start() sets it
FIVE_OFF = {"type": "amount", "value": "5", "currency": "USD", "minimum_order": "20"}
TEN_REWARD = {"type": "percent", "value": "10"}
THREE_REWARD = {"type": "amount", "value": "3", "currency": "USD"}


def begin(adv: Advocate, lever: str, b: dict[str, Any], a: dict[str, Any] | None = None) -> str:
    body = {
        "name": f"{lever} test",
        "lever": lever,
        "variants": [
            {"key": "a", "value": a or (TEN if lever == "friend_offer" else TEN_REWARD)},
            {"key": "b", "value": b},
        ],
    }
    answer = adv.shop.owner("POST", "/experiments", body)
    assert answer.status_code == 201, answer.body
    adv.shop.owner("GET", "")  # the shop as read lately is the one with its experiment
    return str(answer.json["experiment_id"])


def ip_for(experiment_id: str, wanted: str, skip: tuple[str, ...] = ()) -> str:
    """A friend's address whose visitor (with Chrome) the experiment gives the variant `wanted`."""
    for n in range(1, 255):
        ip = f"198.51.100.{n}"
        if ip not in skip and variant_for(experiment_id, visitor_id(ip, CHROME), ("a", "b")) == wanted:
            return ip
    raise AssertionError("no address found")


def visit(adv: Advocate, ip: str) -> str:
    page = adv.api.request("GET", f"/s/{adv.code}", headers={"User-Agent": CHROME, "X-Forwarded-For": ip})
    assert page.status_code == 200, page.body
    return page.body.decode()


def claimed(adv: Advocate, address: str, ip: str) -> dict[str, Any]:
    answer = claim(adv, address, ip=ip)
    assert answer.status_code == 200, answer.body
    return answer.json


def variants(adv: Advocate, experiment_id: str) -> dict[str, dict[str, Any]]:
    answer = adv.shop.owner("GET", f"/experiments/{experiment_id}")
    assert answer.status_code == 200, answer.body
    assert answer.json["metric"] == "referral_rate"
    return {v["key"]: v for v in answer.json["variants"]}


def figures(found: dict[str, dict[str, Any]]) -> dict[str, tuple[int, int, int, int]]:
    """Per variant, of the units whose window closed: (units, claims, referrals, conversions)."""
    return {k: (v["units"], v["claims"], v["referrals"], v["conversions"]) for k, v in found.items()}


def so_far(found: dict[str, dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Per variant, as counted when they came: (units, conversions)."""
    return {k: (v["so_far"]["units"], v["so_far"]["conversions"]) for k, v in found.items()}


NOTHING_CLOSED = {"a": (0, 0, 0, 0), "b": (0, 0, 0, 0)}


@pytest.fixture
def adv(api, outbox) -> Advocate:
    advocate = start(Advocate(api, outbox))
    fill(advocate, "FRIEND-B1", "FRIEND-B2", "FRIEND-B3")
    return advocate


def test_each_visitor_sees_and_claims_their_own_offer_on_every_visit_and_retry(adv, table):
    experiment = begin(adv, "friend_offer", FIVE_OFF)
    ip_a, ip_b = ip_for(experiment, "a"), ip_for(experiment, "b")
    # The friend's page shows each visitor their variant's offer, the same on every visit
    for _ in range(3):
        page_a, page_b = visit(adv, ip_a), visit(adv, ip_b)
        assert "10% off your first order" in page_a and "$5.00 off your first order" not in page_a
        assert "$5.00 off your first order" in page_b and "$20.00" in page_b and "10% off" not in page_b
    # The claim gives that offer, and a retry (the same mailbox) the same answer
    first_b = claimed(adv, "friend-b@example.com", ip_b)
    assert first_b["offer"] == FIVE_OFF
    assert claimed(adv, "friend-b@example.com", ip_b) == first_b
    assert claimed(adv, "friend-b@example.com", "203.0.113.9") == first_b  # the claim kept the offer it was made with
    assert claimed(adv, "friend-a@example.com", ip_a)["offer"] == TEN
    # The code's email names the claim's offer
    run_due(adv)
    mails = [m for m in adv.shop.emails() if str(m["To"]) == "friend-b@example.com"]
    assert len(mails) == 1 and "$5.00" in mails[0].as_string()
    # Units once per visitor (three visits each), claims once per visitor (a second mailbox is not a second claim)
    claimed(adv, "friend-b2@example.com", ip_b)
    found = variants(adv, experiment)
    assert so_far(found) == {"a": (1, 0), "b": (1, 0)}
    assert figures(found) == NOTHING_CLOSED  # no window has closed yet
    assert windows_closed(table) == 2
    found = variants(adv, experiment)
    assert figures(found) == {"a": (1, 1, 0, 0), "b": (1, 1, 0, 0)}
    assert found["b"]["value"] == FIVE_OFF and found["b"]["claim_rate"] == 1.0 and found["b"]["referral_rate"] == 0.0


def test_a_claim_without_a_page_view_counts_its_visitor_once(adv, table):
    experiment = begin(adv, "friend_offer", FIVE_OFF)
    ip_b = ip_for(experiment, "b")
    claimed(adv, "friend-b@example.com", ip_b)
    visit(adv, ip_b)
    assert so_far(variants(adv, experiment))["b"] == (1, 0)
    assert windows_closed(table) == 1
    assert figures(variants(adv, experiment))["b"] == (1, 1, 0, 0)


def test_referred_orders_are_credited_to_the_claims_variant_once_under_redelivery_and_reordering(adv, table):
    from chalicelib.store import keys

    experiment = begin(adv, "friend_offer", FIVE_OFF)
    ip_a, ip_b = ip_for(experiment, "a"), ip_for(experiment, "b")
    visit(adv, ip_a), visit(adv, ip_b)
    claimed(adv, "friend-b@example.com", ip_b)
    claimed(adv, "friend-a@example.com", ip_a)
    came = clock.now()
    order = GenericOrder(adv, "friend-b@example.com", order_id="f-b")
    with at(came, 2) as moment:
        order.fulfil(moment)  # the fulfilment first (reordered), then the creation, each delivered twice
        order.again("order.fulfilled")
        order.place(moment)
        order.again("order.created")
        order.again("order.fulfilled")
    assert so_far(variants(adv, experiment)) == {"a": (1, 0), "b": (1, 1)}
    # The visitor's unit is marked converted once, when the order came
    unit = table.get(keys.experiment_unit_key(adv.shop.shop_id, experiment, visitor_id(ip_b, CHROME)), consistent=True)
    assert (unit["variant"], int(unit["converted"]), unit["converted_at"]) == ("b", 1, clock.iso(moment))
    # A later order of the other friend is credited to theirs
    other = GenericOrder(adv, "friend-a@example.com", order_id="f-a")
    with at(came, 3) as moment:
        other.place(moment)
        other.again("order.created")
    assert so_far(variants(adv, experiment)) == {"a": (1, 1), "b": (1, 1)}
    assert windows_closed(table) == 2
    found = variants(adv, experiment)
    assert figures(found) == {"a": (1, 1, 1, 1), "b": (1, 1, 1, 1)}
    assert found["b"]["referral_rate"] == 1.0 == found["b"]["rate"]


def test_the_rewards_value_is_kept_per_variant_and_the_reward_has_its_variants_value(adv, table):
    experiment = begin(adv, "advocate_reward", THREE_REWARD)
    ip_a, ip_b = ip_for(experiment, "a"), ip_for(experiment, "b")
    visit(adv, ip_a), visit(adv, ip_b)
    claimed(adv, "friend-b@example.com", ip_b)
    claimed(adv, "friend-a@example.com", ip_a)
    came = clock.now()
    orders = [
        GenericOrder(adv, "friend-b@example.com", order_id="f-b"),
        GenericOrder(adv, "friend-a@example.com", order_id="f-a"),
    ]
    for order in orders:
        with at(came, 2) as moment:
            order.place(moment)
        with at(came, 3) as moment:
            order.fulfil(moment)
    rewards = {r["friend_order"]: r for r in adv.shop.owner("GET", "/rewards").json["rewards"]}
    assert (Decimal(rewards["f-b"]["value"]), rewards["f-b"]["currency"]) == (Decimal("3"), "USD")
    assert (Decimal(rewards["f-a"]["value"]), rewards["f-a"]["currency"]) == (Decimal("8.00"), "USD")
    with at(came, 3 + HOLD_DAYS, hours=1):
        run_due(adv)
        run_due(adv)
    found = variants(adv, experiment)
    assert {k: {c: Decimal(v) for c, v in f["reward_value"].items()} for k, f in found.items()} == {
        "a": {"USD": Decimal("8.00")},
        "b": {"USD": Decimal("3")},
    }
    assert so_far(found) == {"a": (1, 1), "b": (1, 1)}
    assert figures(found) == NOTHING_CLOSED  # the due work ran within the windows: none closed yet
    assert windows_closed(table) == 2
    found = variants(adv, experiment)
    assert figures(found) == {"a": (1, 1, 1, 1), "b": (1, 1, 1, 1)}
    assert {k: {c: Decimal(v) for c, v in f["reward_value"].items()} for k, f in found.items()} == {
        "a": {"USD": Decimal("8.00")},
        "b": {"USD": Decimal("3")},
    }


def test_promote_sets_the_referral_setting_and_frees_the_lever(adv):
    experiment = begin(adv, "friend_offer", FIVE_OFF)
    second = adv.shop.owner(
        "POST",
        "/experiments",
        {
            "name": "again",
            "lever": "friend_offer",
            "variants": [{"key": "a", "value": TEN}, {"key": "c", "value": FIVE_OFF}],
        },
    )
    assert second.status_code == 409 and second.json["error"]["code"] == "lever_busy"
    other_lever = begin(adv, "advocate_reward", THREE_REWARD)  # the other offer lever is free
    promoted = adv.shop.owner("POST", f"/experiments/{experiment}/promote", {"variant": "b"})
    assert promoted.status_code == 200, promoted.body
    assert promoted.json["status"] == "promoted"
    settings = adv.shop.owner("GET", "").json["settings"]["referral"]
    assert {k: v for k, v in settings["friend_offer"].items() if v is not None} == FIVE_OFF
    assert settings["enabled"] is True and settings["advocate_reward"]["type"] == "percent"
    assert adv.shop.owner("POST", f"/experiments/{other_lever}/stop").status_code == 200
    # The friend's page now shows the promoted offer to everyone
    assert "$5.00 off your first order" in visit(adv, "192.0.2.77")


@pytest.mark.parametrize(
    "variant, code",
    [
        ({"type": "percent", "value": "150"}, "invalid_variant"),
        ({"type": "amount", "value": "5"}, "invalid_variant"),  # an amount needs its currency
        ("10%", "invalid_variant"),
        (TEN, "duplicate_variant"),
        ({"type": "percent", "value": "15", "colour": "red"}, "invalid_variant"),
        ({"type": None, "value": "15"}, "invalid_variant"),
    ],
)
def test_a_bad_offer_variant_is_a_422_naming_the_variant(adv, variant, code):
    answer = adv.shop.owner(
        "POST",
        "/experiments",
        {
            "name": "bad",
            "lever": "friend_offer",
            "variants": [{"key": "a", "value": TEN}, {"key": "b", "value": variant}],
        },
    )
    assert answer.status_code == 422, answer.body
    assert answer.json["error"]["code"] == code
    if code == "invalid_variant":
        assert "'b'" in answer.json["error"]["message"]


def test_the_share_links_calls_are_unchanged_without_an_offer_experiment_and_one_more_with_one(adv):
    client = get_client()
    with calls(client) as without:
        visit(adv, "192.0.2.10")
    delay = adv.shop.owner(
        "POST",
        "/experiments",
        {"name": "s", "lever": "request_delay_days", "variants": [{"key": "a", "value": 7}, {"key": "b", "value": 3}]},
    )
    assert delay.status_code == 201, delay.body
    adv.shop.owner("GET", "")
    with calls(client) as request_lever:
        visit(adv, "192.0.2.11")
    assert request_lever == without
    begin(adv, "friend_offer", FIVE_OFF)
    with calls(client) as offer:
        visit(adv, "192.0.2.12")
    assert offer == [*without, "TransactWriteItems"]
    with calls(client) as again:  # the same visitor again: the click is not counted, the unit is not either
        visit(adv, "192.0.2.12")
    assert len(again) <= len(offer)


def test_a_code_made_by_the_store_carries_the_claims_offer(api, outbox, monkeypatch, shopify):
    from tests.stand_ins.fixtures import SHOP_HOST, SHOPIFY_DOMAIN, TOKEN
    from tests.unit.test_store_codes import connect, program, store_advocate

    shop = store_advocate(api, outbox, monkeypatch, "shopify", [SHOP_HOST, SHOPIFY_DOMAIN])
    connect(shop, {"shopify": {"access_token": TOKEN}})
    program(shop, "shopify")
    experiment = begin(shop, "friend_offer", {"type": "percent", "value": "25", "minimum_order": "0"})
    ip_a, ip_b = ip_for(experiment, "a"), ip_for(experiment, "b")
    assert claimed(shop, "friend-b@example.com", ip_b)["offer"]["value"] == "25"
    assert claimed(shop, "friend-a@example.com", ip_a)["offer"]["value"] == "10"
    run_due(shop)
    made = {d["customerGets"]["value"]["percentage"] for d in shopify.tokens[TOKEN].discounts.values()}
    assert made == {0.25, 0.1}  # each code made with its claim's offer, not the shop's setting


def test_a_referred_order_refunded_in_full_is_taken_back_from_its_variant(adv, table):
    experiment = begin(adv, "friend_offer", FIVE_OFF)
    ip_b = ip_for(experiment, "b")
    visit(adv, ip_b)
    claimed(adv, "friend-b@example.com", ip_b)
    order = GenericOrder(adv, "friend-b@example.com", order_id="f-b")
    with at(clock.now(), 2) as moment:
        order.place(moment)
    assert so_far(variants(adv, experiment))["b"] == (1, 1)
    # When the friend's order is refunded in full (delivered twice)
    with at(clock.now(), 3) as moment:
        order.refund(moment)
        order.again("order.refunded")
    # Then the variant no longer counts it, as the funnel's referred orders no longer do: neither so far nor once
    # the visitor's window closed
    assert so_far(variants(adv, experiment))["b"] == (1, 0)
    assert windows_closed(table) == 1
    assert figures(variants(adv, experiment))["b"] == (1, 1, 0, 0)


def test_a_friends_erasure_removes_their_visitors_unit_and_keeps_the_counts(adv, table):
    from chalicelib.store import keys
    from tests.unit.test_erasure import NOW, send_generic

    experiment = begin(adv, "friend_offer", FIVE_OFF)
    ip_b = ip_for(experiment, "b")
    visit(adv, ip_b)
    claimed(adv, "friend-b@example.com", ip_b)
    unit = keys.experiment_unit_key(adv.shop.shop_id, experiment, visitor_id(ip_b, CHROME))
    assert table.get(unit, consistent=True) is not None
    assert windows_closed(table) == 1  # their window closed: the unit counted with its claim
    before = variants(adv, experiment)
    assert so_far(before)["b"] == (1, 0) and figures(before)["b"] == (1, 1, 0, 0)
    # When the friend asks to be erased by their email
    data = {"email": "friend-b@example.com"}
    answer = send_generic(adv.shop, {"type": "customer.redact", "timestamp": NOW, "data": data})
    assert answer.status_code == 200, answer.body
    # Then the item that tied their browser to the experiment is gone, and the variant's counts are as they were
    assert table.get(unit, consistent=True) is None
    after = variants(adv, experiment)
    assert (so_far(after), figures(after)) == (so_far(before), figures(before))


def _colliding(monkeypatch: pytest.MonkeyPatch, times: int) -> dict[str, int]:
    """The next `times` transactions that count on an offer variant collide with another (TransactionConflict),
    as two friends' pages counting on the same counter item at once do."""
    from chalicelib.store import keys
    from chalicelib.store.table import Table, TransactionConflict

    real = Table.transact
    seen = {"injected": 0}

    def transact(self: Table, operations: Any) -> None:
        operations = list(operations)
        touched = str([op[1] if isinstance(op, tuple) else op for op in operations])
        if keys.EXPERIMENT_VARIANT_PREFIX in touched and seen["injected"] < times:
            seen["injected"] += 1
            raise TransactionConflict("the database is busy; try again")
        real(self, operations)

    monkeypatch.setattr(Table, "transact", transact)
    return seen


def test_a_friends_visit_colliding_on_its_counter_is_drawn_again_and_counted(adv, monkeypatch, table):
    experiment = begin(adv, "friend_offer", FIVE_OFF)
    ip_b = ip_for(experiment, "b")
    seen = _colliding(monkeypatch, 2)
    visit(adv, ip_b)
    assert seen["injected"] == 2
    assert so_far(variants(adv, experiment))["b"] == (1, 0)
    assert windows_closed(table) == 1
    assert figures(variants(adv, experiment))["b"] == (1, 0, 0, 0)


def test_a_claim_colliding_on_its_counters_is_kept_and_counted_once(adv, monkeypatch, table):
    experiment = begin(adv, "friend_offer", FIVE_OFF)
    ip_b = ip_for(experiment, "b")
    seen = _colliding(monkeypatch, 3)  # the unit's count, then the claim's own transaction twice
    assert claimed(adv, "friend-b@example.com", ip_b)["offer"] == FIVE_OFF
    assert seen["injected"] == 3
    assert so_far(variants(adv, experiment))["b"] == (1, 0)
    assert windows_closed(table) == 1
    assert figures(variants(adv, experiment))["b"] == (1, 1, 0, 0)


def test_a_variants_counts_are_spread_over_shards_and_added_up_exactly(adv, table):
    from chalicelib.store import keys
    from tests.unit.test_erasure import scan

    experiment = begin(adv, "friend_offer", FIVE_OFF)
    addresses = [f"198.51.100.{n}" for n in range(1, 41)]
    for ip in addresses:
        visit(adv, ip)
        visit(adv, ip)  # a second visit is not a second unit
    expected = {"a": 0, "b": 0}
    for ip in addresses:
        expected[variant_for(experiment, visitor_id(ip, CHROME), ("a", "b"))] += 1
    assert {key: units for key, (units, _) in so_far(variants(adv, experiment)).items()} == expected
    assert windows_closed(table) == len(addresses)
    found = figures(variants(adv, experiment))
    assert {key: units for key, (units, *_rest) in found.items()} == expected
    prefix = f"{keys.EXPERIMENT_VARIANT_PREFIX}{experiment}#"
    shards = [sk for (_pk, sk) in scan(table) if sk.startswith(prefix)]
    assert len(shards) > 2  # more than the one item per variant the start put
    assert all(sk.rsplit("#", 1)[-1] in {"a", "b", *map(str, range(1, keys.EXPERIMENT_SHARDS))} for sk in shards)


def test_a_referred_order_after_the_visitors_window_closed_counts_so_far_but_not_once_closed(adv, table):
    from chalicelib.store import keys

    experiment = begin(adv, "friend_offer", FIVE_OFF)
    ip_a, ip_b = ip_for(experiment, "a"), ip_for(experiment, "b")
    came = clock.now()
    with at(came, 0) as moment:  # both friends' first visit: their windows close 30 days on
        visit(adv, ip_a), visit(adv, ip_b)
        claimed(adv, "friend-a@example.com", ip_a)
    unit_b = keys.experiment_unit_key(adv.shop.shop_id, experiment, visitor_id(ip_b, CHROME))
    assert table.get(unit_b, consistent=True)["closes_at"] == clock.iso(moment + timedelta(days=30))
    with at(came, 2) as moment:
        GenericOrder(adv, "friend-a@example.com", order_id="f-a").place(moment)
    # The other friend comes back to claim four weeks later, and orders two days after their window closed
    with at(came, 29):
        claimed(adv, "friend-b@example.com", ip_b)
    with at(came, 31) as moment:
        GenericOrder(adv, "friend-b@example.com", order_id="f-b").place(moment)
    # Then both orders count as they came...
    assert so_far(variants(adv, experiment)) == {"a": (1, 1), "b": (1, 1)}
    # ...but once the windows closed, only the order within its visitor's window converts them; the late
    # friend's claim (within the window) still counts
    assert windows_closed(table) == 2
    found = variants(adv, experiment)
    assert figures(found) == {"a": (1, 1, 1, 1), "b": (1, 1, 0, 0)}
    assert (found["b"]["rate"], found["b"]["claim_rate"]) == (0.0, 1.0)
    assert so_far(found) == {"a": (1, 1), "b": (1, 1)}


def two_friends_ordered(adv: Advocate, came: Any) -> tuple[str, tuple[GenericOrder, GenericOrder]]:
    """A friend's offer experiment; a friend of each variant claims at `came` and orders two days later."""
    experiment = begin(adv, "friend_offer", FIVE_OFF)
    with at(came, 0):
        claimed(adv, "friend-a@example.com", ip_for(experiment, "a"))
        claimed(adv, "friend-b@example.com", ip_for(experiment, "b"))
    orders = (
        GenericOrder(adv, "friend-a@example.com", order_id="f-a"),
        GenericOrder(adv, "friend-b@example.com", order_id="f-b"),
    )
    with at(came, 2) as moment:
        for order in orders:
            order.place(moment)
    return experiment, orders


def test_a_claims_order_refunded_in_full_before_the_window_closes_converts_nothing_so_far_nor_once_closed(adv, table):
    from chalicelib.store import keys

    came = clock.now()
    experiment, (_, refunded) = two_friends_ordered(adv, came)
    ip_b = ip_for(experiment, "b")
    assert so_far(variants(adv, experiment)) == {"a": (1, 1), "b": (1, 1)}
    # When one friend's order is refunded in full (delivered twice), days before their window closes
    with at(came, 3) as moment:
        refunded.refund(moment)
        refunded.again("order.refunded")
    assert so_far(variants(adv, experiment)) == {"a": (1, 1), "b": (1, 0)}
    unit_b = table.get(keys.experiment_unit_key(adv.shop.shop_id, experiment, visitor_id(ip_b, CHROME)))
    assert int(unit_b["converted"]) == 0  # taken back once, though delivered twice
    # Then their unit closes unconverted, the other's converted
    assert windows_closed(table) == 2
    assert figures(variants(adv, experiment)) == {"a": (1, 1, 1, 1), "b": (1, 1, 0, 0)}


def test_a_friends_erasure_forgets_the_visitor_on_their_order_and_deletes_their_units(adv, table):
    from chalicelib.store import keys
    from tests.unit.test_erasure import NOW, send_generic

    offer = begin(adv, "friend_offer", FIVE_OFF)
    reward = begin(adv, "advocate_reward", THREE_REWARD)  # the friend's visitor is a unit of both
    erased_ip = ip_for(offer, "b")
    other_ip = ip_for(offer, "a", skip=(erased_ip,))
    erased, other = visitor_id(erased_ip, CHROME), visitor_id(other_ip, CHROME)
    visit(adv, erased_ip), visit(adv, other_ip)
    claimed(adv, "friend-b@example.com", erased_ip)
    claimed(adv, "friend-a@example.com", other_ip)
    order = GenericOrder(adv, "friend-b@example.com", order_id="f-b")
    with at(clock.now(), 2) as moment:
        order.place(moment)
    shop_id = adv.shop.shop_id
    placed = table.get(keys.order_key(shop_id, "f-b"), consistent=True)
    assert placed["referral"]["visitor"] == erased
    units = [keys.experiment_unit_key(shop_id, e, erased) for e in (offer, reward)]
    assert all(table.get(unit, consistent=True) is not None for unit in units)
    before = {e: so_far(variants(adv, e)) for e in (offer, reward)}
    assert before[offer]["b"] == (1, 1)
    # When the friend asks to be erased (by their customer id: their order and, through its mailbox, their claim)
    answer = send_generic(adv.shop, {"type": "customer.redact", "timestamp": NOW, "data": {"customer_id": "friend-1"}})
    assert answer.status_code == 200, answer.body
    # Then their order no longer names their browser, their units are gone (off the closing index too), and the
    # counts so far are as they were
    erased_order = table.get(keys.order_key(shop_id, "f-b"), consistent=True)
    assert erased_order["redacted"] is True and "visitor" not in erased_order["referral"]
    assert [table.get(unit, consistent=True) for unit in units] == [None, None]
    assert {e: so_far(variants(adv, e)) for e in (offer, reward)} == before
    # A full refund of their order later takes the conversion back without bringing their unit back
    with at(clock.now(), 3) as moment:
        order.refund(moment)
    assert so_far(variants(adv, offer))["b"] == (1, 0)
    assert [table.get(unit, consistent=True) for unit in units] == [None, None]
    # Only the other friend's units close
    assert windows_closed(table) == 2
    assert table.get(keys.experiment_unit_key(shop_id, offer, other), consistent=True)["outcome"] == {
        "converted": False,
        "claimed": True,
    }
    assert figures(variants(adv, offer)) == {"a": (1, 1, 0, 0), "b": (0, 0, 0, 0)}


def test_each_unit_closes_once_however_often_the_due_work_runs_and_collides(adv, table, monkeypatch):
    from chalicelib.store import experiments as store
    from chalicelib.store import keys

    experiment = begin(adv, "friend_offer", FIVE_OFF)
    ip_a, ip_b = ip_for(experiment, "a"), ip_for(experiment, "b")
    addresses = [ip_a, ip_b, *(f"192.0.2.{n}" for n in range(1, 7))]
    for ip in addresses:
        visit(adv, ip)
    claimed(adv, "friend-b@example.com", ip_b)
    claimed(adv, "friend-a@example.com", ip_a)
    expected = {"a": 0, "b": 0}
    for ip in addresses:
        expected[variant_for(experiment, visitor_id(ip, CHROME), ("a", "b"))] += 1
    assert windows_closed(table, days=29) == 0  # not before their windows close
    # Two runs working from the same listing of the closing index (as two overlapping runs read it), the first
    # colliding twice on a variant's counter
    cutoff = clock.iso(clock.now() + timedelta(days=400))
    listed = {shard: store.closing_due(table, shard, cutoff, None, 100) for shard in range(keys.DUE_SHARDS)}
    assert sum(len(entries) for entries, _ in listed.values()) == len(addresses)
    monkeypatch.setattr(store, "closing_due", lambda _table, shard, _now, _cursor, _limit: listed[shard])
    seen = _colliding(monkeypatch, 2)
    assert windows_closed(table) == len(addresses)
    assert seen["injected"] == 2
    assert windows_closed(table) == 0
    monkeypatch.undo()
    assert windows_closed(table) == 0  # and a later run finds none left due
    found = variants(adv, experiment)
    assert figures(found) == {key: (units, 1, 0, 0) for key, units in expected.items()}
    assert so_far(found) == {key: (units, 0) for key, units in expected.items()}


def test_a_unit_closes_as_it_stood_at_its_close_whenever_the_due_work_reads_it(adv, table):
    """Two friends convert on day 2 and both orders are refunded in full: one on day 10, within the window, one on
    day 35, after it closed. The due work reads both units only after both refunds (a late run): the first
    closes unconverted, the second as it stood on day 30, converted."""
    came = clock.now()
    experiment, (early, late) = two_friends_ordered(adv, came)
    with at(came, 10) as moment:
        early.refund(moment)
    with at(came, 35) as moment:
        late.refund(moment)
    assert so_far(variants(adv, experiment)) == {"a": (1, 0), "b": (1, 0)}  # both taken back as they came
    assert windows_closed(table) == 2
    assert figures(variants(adv, experiment)) == {"a": (1, 1, 0, 0), "b": (1, 1, 1, 1)}


def test_a_referred_order_converts_when_it_was_placed_though_its_webhook_came_after_the_close(adv, table):
    """The store placed the order on day 29, within the friend's window; its webhook reached us on day 31 (a
    sender's retry): the unit still closes converted, by when the order was placed."""
    from tests.unit.test_give_get_loop import stamp

    experiment = begin(adv, "friend_offer", FIVE_OFF)
    ip_b = ip_for(experiment, "b")
    came = clock.now()
    with at(came, 0):
        claimed(adv, "friend-b@example.com", ip_b)
    order = GenericOrder(adv, "friend-b@example.com", order_id="f-b")
    order.created = stamp(came.replace(microsecond=0) + timedelta(days=29))
    with at(came, 31) as moment:
        order.place(moment)
    assert so_far(variants(adv, experiment))["b"] == (1, 1)
    assert windows_closed(table) == 1
    assert figures(variants(adv, experiment))["b"] == (1, 1, 1, 1)


def test_a_friend_who_ordered_with_another_mailbox_has_their_units_erased_through_their_order(adv, table):
    """The friend claimed with one mailbox and ordered with another, using the claim's code: erasing the buyer finds
    no claim by their order's mailbox, but their referred order names their browser, and its units go with it."""
    from chalicelib.store import keys
    from tests.unit.test_erasure import NOW, send_generic

    offer = begin(adv, "friend_offer", FIVE_OFF)
    ip = ip_for(offer, "b")
    code = claimed(adv, "friend-b@example.com", ip)["code"]
    order = GenericOrder(adv, "friend-b.shop@example.com", order_id="f-b", discount_codes=[code])
    with at(clock.now(), 2) as moment:
        order.place(moment)
    shop_id = adv.shop.shop_id
    visitor = visitor_id(ip, CHROME)
    assert table.get(keys.order_key(shop_id, "f-b"), consistent=True)["referral"]["visitor"] == visitor
    unit = keys.experiment_unit_key(shop_id, offer, visitor)
    assert table.get(unit, consistent=True) is not None
    answer = send_generic(adv.shop, {"type": "customer.redact", "timestamp": NOW, "data": {"customer_id": "friend-1"}})
    assert answer.status_code == 200, answer.body
    assert "visitor" not in table.get(keys.order_key(shop_id, "f-b"), consistent=True)["referral"]
    assert table.get(unit, consistent=True) is None
    assert windows_closed(table) == 0


def test_a_refund_made_within_the_window_takes_the_unit_back_though_its_webhook_came_after_the_close(adv, table):
    """The refund happened on day 29, within the friend's window; its webhook reached us on day 31: the unit closes
    as it stood at its close, unconverted."""
    came = clock.now()
    experiment, (_, refunded) = two_friends_ordered(adv, came)
    with at(came, 31):
        refunded.refund(came.replace(microsecond=0) + timedelta(days=29))
    assert windows_closed(table) == 2
    assert figures(variants(adv, experiment)) == {"a": (1, 1, 1, 1), "b": (1, 1, 0, 0)}
