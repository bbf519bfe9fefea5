"""Units counted when their outcome window closes (pattern 75): the statistic reads each unit once, with what it did
within the same window in every variant; the due work closes each once, and one bad unit never stops the others."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from chalicelib import clock
from chalicelib.experiments.assignment import variant_for
from chalicelib.experiments.closing import close_due_units
from chalicelib.store import keys
from tests.unit.experiment_support import in_both_arms, windows_closed
from tests.unit.review_support import LATER, ReviewShop
from tests.unit.test_experiments import DELAYS, closed, delay_started, review, started, units
from tests.unit.webhook_support import order_item


@pytest.fixture
def shop(api, outbox):
    return ReviewShop(api, outbox)


def unit_item(table: Any, shop: ReviewShop, experiment_id: str, unit: str) -> dict[str, Any] | None:
    return table.get(keys.experiment_unit_key(shop.shop_id, experiment_id, unit), consistent=True)


def test_a_review_after_the_requests_window_closed_counts_so_far_but_not_in_the_result(shop, table):
    experiment_id = started(shop)
    orders = [f"o-{n}" for n in range(6)]
    for order_id in orders:
        shop.fulfilled_order(order_id, f"c-{order_id}")
    sent = LATER.replace(microsecond=0)
    assert shop.run_due(sent) == len(orders)
    window = 7 + 14  # the reminder's week and two weeks for the reviews
    for order_id in orders:
        unit = unit_item(table, shop, experiment_id, order_id)
        assert unit is not None and unit["closes_at"] == clock.iso(sent + timedelta(days=window))
    on_time, too_late = orders[0], orders[1]
    with time_machine.travel(sent + timedelta(days=window - 1), tick=False):
        assert review(shop, on_time).status_code == 201
    with time_machine.travel(sent + timedelta(days=window + 1), tick=False):
        assert review(shop, too_late).status_code == 201
    assert sum(units(shop, experiment_id).values()) == len(orders)
    variant = {o: variant_for(experiment_id, o, ("a", "b")) for o in orders}
    result = closed(shop, experiment_id)
    truth = Counter(variant.values())
    assert result == {key: (truth[key], int(variant[on_time] == key)) for key in ("a", "b")}
    assert unit_item(table, shop, experiment_id, too_late)["outcome"] == {"converted": False, "claimed": False}


def test_both_delay_arms_are_read_over_the_same_window_from_their_assignment(shop, table):
    """The longer delay asks later: counted as they came, its reviews always lag the shorter arm's. Each unit is
    read over the same window from its assignment, the longest arm's wait included."""
    experiment_id = delay_started(shop)
    assigned_at = clock.now().replace(microsecond=0)
    with time_machine.travel(assigned_at, tick=False):
        orders = in_both_arms(experiment_id, 4)
        for order_id in orders:
            shop.fulfilled_order(order_id, f"c-{order_id}")
    window = max(v["value"] for v in DELAYS) + 7 + 14
    assert int(table.get(keys.experiment_key(shop.shop_id, experiment_id))["outcome_days"]) == window
    for order_id in orders:
        assert unit_item(table, shop, experiment_id, order_id)["closes_at"] == clock.iso(
            assigned_at + timedelta(days=window)
        )
    variant = {o: variant_for(experiment_id, o, ("a", "b")) for o in orders}
    long_arm = [o for o in orders if variant[o] == "a"]  # 7 days
    short_arm = [o for o in orders if variant[o] == "b"]  # 2 days
    assert long_arm and short_arm
    # One of each arm reviews a day before the window closes, one of each a day after.
    with time_machine.travel(assigned_at + timedelta(days=window - 1), tick=False):
        assert review(shop, long_arm[0]).status_code == 201
        assert review(shop, short_arm[0]).status_code == 201
    late = [arm[1] for arm in (long_arm, short_arm) if len(arm) > 1]
    with time_machine.travel(assigned_at + timedelta(days=window + 1), tick=False):
        for order_id in late:
            assert review(shop, order_id).status_code == 201
    assert closed(shop, experiment_id) == {"a": (len(long_arm), 1), "b": (len(short_arm), 1)}


def test_the_due_work_closes_each_unit_once_when_its_window_has_closed_and_not_before(shop, table):
    experiment_id = delay_started(shop)
    for n in range(5):
        shop.fulfilled_order(f"o-{n}", f"c-o-{n}")
    window = int(table.get(keys.experiment_key(shop.shop_id, experiment_id))["outcome_days"])
    assert close_due_units(table, now=clock.now() + timedelta(days=window - 1)) == 0  # still open
    # Closed, but a late webhook of a conversion within the window may still come: read two days on.
    assert close_due_units(table, now=clock.now() + timedelta(days=window + 1)) == 0
    assert closed(shop, experiment_id, days=0) == {"a": (0, 0), "b": (0, 0)}
    assert close_due_units(table, now=clock.now() + timedelta(days=window + 3)) == 5
    assert close_due_units(table, now=clock.now() + timedelta(days=window + 4)) == 0  # each once
    assert sum(u for u, _ in closed(shop, experiment_id).values()) == 5
    # Off the closing index, kept with its outcome.
    unit = unit_item(table, shop, experiment_id, "o-0")
    assert keys.GSI1PK not in unit and unit["outcome"] == {"converted": False, "claimed": False}
    # The run-due route runs it with the other due jobs.
    from tests.conftest import ADMIN_TOKEN

    shop.fulfilled_order("o-late", "c-o-late")
    with time_machine.travel(clock.now() + timedelta(days=window + 3)):
        ran = shop.api.request("POST", "/admin/run-due", token=ADMIN_TOKEN)
    assert ran.status_code == 200 and ran.json["ran"]["experiment_units"] == 1


def test_one_unit_that_fails_to_close_stays_due_and_never_stops_the_others(shop, table, monkeypatch):
    from chalicelib.store import experiments as store

    experiment_id = delay_started(shop)
    for n in range(4):
        shop.fulfilled_order(f"o-{n}", f"c-o-{n}")
    real = store.close_unit
    bad = keys.experiment_unit_key(shop.shop_id, experiment_id, "o-2")[keys.SK]

    def close_unit(table: Any, entry: Any) -> bool:
        if entry[keys.SK] == bad:
            raise RuntimeError("a unit that cannot be closed")
        return real(table, entry)

    monkeypatch.setattr(store, "close_unit", close_unit)
    assert windows_closed(table) == 3
    failing = unit_item(table, shop, experiment_id, "o-2")
    assert keys.GSI1PK in failing and failing["due_attempts"] == 1  # put off, still due
    assert "RuntimeError" in failing["due_reason"] and "a unit that cannot" not in failing["due_reason"]
    monkeypatch.undo()
    assert windows_closed(table) == 0  # not before its backoff
    assert windows_closed(table, days=2001) == 1  # the next run after it closes it
    assert sum(u for u, _ in closed(shop, experiment_id).values()) == 4


def test_a_unit_that_keeps_failing_is_parked_with_its_reason_and_closes_once_put_back(shop, table, monkeypatch):
    from chalicelib.backoff import EXPERIMENT_UNITS
    from chalicelib.store import experiments as store

    experiment_id = delay_started(shop)
    shop.fulfilled_order("o-1", "c-o-1")
    real = store.close_unit

    def failing(table: Any, entry: Any) -> bool:
        raise RuntimeError("busy")

    monkeypatch.setattr(store, "close_unit", failing)
    moment = clock.now() + timedelta(days=400)
    for attempt in range(1, EXPERIMENT_UNITS.attempts + 1):
        assert close_due_units(table, now=moment) == 0
        wait = EXPERIMENT_UNITS.wait_after(attempt)
        if wait is not None:
            assert shop.owner("GET", "/parked").json["parked"] == []
            moment += wait + timedelta(seconds=1)
    (parked,) = shop.owner("GET", "/parked").json["parked"]
    assert parked["job"] == "experiment_units" and parked["which"] == f"unit o-1 of experiment {experiment_id}"
    assert parked["attempts"] == EXPERIMENT_UNITS.attempts
    monkeypatch.setattr(store, "close_unit", real)
    assert close_due_units(table, now=moment + timedelta(days=1)) == 0  # parked: not read
    assert shop.owner("POST", "/parked/retry", {"entry": parked["entry"]}).status_code in (200, 204)
    # Put back, it is read again by the next run (not before its window closed), with its window's outcome.
    assert close_due_units(table, now=clock.now()) == 0
    assert close_due_units(table, now=moment + timedelta(days=1)) == 1
    assert sum(u for u, _ in closed(shop, experiment_id, days=0).values()) == 1


def test_a_conversion_landing_between_the_read_and_the_close_is_read_again(shop, table, monkeypatch):
    from chalicelib.store import experiments as store

    experiment_id = started(shop)
    shop.fulfilled_order("o-1", "c-o-1")
    shop.run_due()
    variant = variant_for(experiment_id, "o-1", ("a", "b"))
    real = store._close_ops
    raced: list[bool] = []

    def close_ops(table: Any, item: Any) -> Any:
        if not raced:  # the review lands after the unit was read unconverted, before its close is written
            raced.append(True)
            assert review(shop, "o-1").status_code == 201
        return real(table, item)

    monkeypatch.setattr(store, "_close_ops", close_ops)
    assert windows_closed(table) == 1
    assert closed(shop, experiment_id)[variant] == (1, 1)


def test_a_request_that_did_not_go_leaves_no_unit_and_its_retry_counts_one(shop, table, monkeypatch):
    from tests.unit.test_due_failures import mailer_failing

    experiment_id = started(shop)
    shop.fulfilled_order("o-1", "c-o-1")
    mailer_failing(monkeypatch, {"c-o-1@example.com": RuntimeError("mail service down")})
    assert shop.run_due() == 0
    monkeypatch.undo()
    assert unit_item(table, shop, experiment_id, "o-1") is None
    assert sum(units(shop, experiment_id).values()) == 0
    assert shop.run_due(LATER + timedelta(hours=1)) == 1  # the retry, after its backoff
    assert unit_item(table, shop, experiment_id, "o-1") is not None
    assert sum(u for u, _ in closed(shop, experiment_id).values()) == 1
    assert order_item(table, shop.shop_id, "o-1")["exposed"] == {
        experiment_id: variant_for(experiment_id, "o-1", ("a", "b"))
    }


def test_an_experiment_started_before_units_were_counted_at_close_reads_its_counts_as_they_came(shop, table):
    """Its units have no items to close: its result reads the counts as they came, as it always did."""
    experiment_id = started(shop)
    key = keys.experiment_key(shop.shop_id, experiment_id)
    table.update(key, "REMOVE #c", names={"#c": "counting"})
    shop_key = keys.shop_key(shop.shop_id)
    summary = table.get(shop_key, consistent=True)["experiments"]
    for kept in summary.values():
        kept.pop("outcome_days", None)
    table.update(shop_key, "SET experiments = :e", values={":e": summary})
    shop.owner("GET", "")  # the shop as read lately
    for n in range(4):
        shop.fulfilled_order(f"o-{n}", f"c-o-{n}")
    shop.run_due()
    assert review(shop, "o-0").status_code == 201
    assert unit_item(table, shop, experiment_id, "o-1") is None
    answer = shop.owner("GET", f"/experiments/{experiment_id}").json
    as_counted = {v["key"]: (v["units"], v["conversions"]) for v in answer["variants"]}
    assert as_counted == {v["key"]: (v["so_far"]["units"], v["so_far"]["conversions"]) for v in answer["variants"]}
    assert sum(u for u, _ in as_counted.values()) == 4 and sum(c for _, c in as_counted.values()) == 1
    assert windows_closed(table) == 0
    assert answer["counting"] == "as_counted"


def test_an_experiment_stopped_before_its_first_window_closed_becomes_readable_as_its_units_close(shop, table):
    experiment_id = started(shop)
    for n in range(4):
        shop.fulfilled_order(f"o-{n}", f"c-o-{n}")
    assert shop.run_due() == 4  # sent at review_support.LATER
    stopped = shop.owner("POST", f"/experiments/{experiment_id}/stop").json
    assert stopped["counting"] == "at_close" and stopped["sentence"].startswith("Too early to read: each unit is")
    assert review(shop, "o-0").status_code == 201  # after the stop, within its window
    outcome_days = int(table.get(keys.experiment_key(shop.shop_id, experiment_id))["outcome_days"])
    later = LATER + timedelta(days=outcome_days + 3)
    assert close_due_units(table, now=later) == 4
    with time_machine.travel(later):
        answer = shop.owner("GET", f"/experiments/{experiment_id}").json
    assert answer["status"] == "stopped" and not answer["sentence"].startswith("Too early")
    assert sum(v["units"] for v in answer["variants"]) == 4
    assert sum(v["conversions"] for v in answer["variants"]) == 1


def test_a_delivery_reported_later_than_assumed_moves_every_arms_window_alike(api, outbox, table):
    """Requests wait for the delivery, assumed 5 days after the fulfilment until one is reported. Reported on day 12,
    it moves the longer arm's waiting request to day 19; each unit's window then runs from the real delivery, in both
    arms, so the longer arm keeps its reminder and its two weeks."""
    from datetime import datetime

    from tests.unit.review_support import FULFILLED, after_fulfilment

    shop = ReviewShop(api, outbox, review_after="delivery", delivery_fallback_days=5)
    experiment_id = delay_started(shop)  # 7 days against 2
    orders = in_both_arms(experiment_id, 3)
    for order_id in orders:
        shop.fulfilled_order(order_id, f"c-{order_id}")
    delivered = after_fulfilment(12)
    for order_id in orders:
        shop.deliver("order.delivered", order_id, f"c-{order_id}", timestamp=clock.iso(delivered))
    variant = {o: variant_for(experiment_id, o, ("a", "b")) for o in orders}
    long_arm = next(o for o in orders if variant[o] == "a")
    assert order_item(table, shop.shop_id, long_arm)["request_due_at"] == clock.iso(delivered + timedelta(days=7))
    fulfilled = datetime.fromisoformat(FULFILLED.replace("Z", "+00:00"))
    assumed_close = unit_item(table, shop, experiment_id, long_arm)["closes_at"]  # from the assumed delivery
    real_close = delivered + timedelta(days=7 + 7 + 14)
    assert clock.parse(assumed_close) < real_close
    # Read after the assumed window, the units move to the real one instead of closing.
    assert close_due_units(table, now=clock.parse(assumed_close) + timedelta(days=3)) == 0
    for order_id in orders:
        assert unit_item(table, shop, experiment_id, order_id)["closes_at"] == clock.iso(real_close)
    # The longer arm's buyer, asked on day 19 and reminded on day 26, reviews on day 39: within the window.
    with time_machine.travel(fulfilled + timedelta(days=39), tick=False):
        assert review(shop, long_arm).status_code == 201
    assert close_due_units(table, now=real_close + timedelta(days=3)) == len(orders)
    truth = Counter(variant.values())
    assert closed(shop, experiment_id, days=0) == {"a": (truth["a"], 1), "b": (truth["b"], 0)}


def test_a_decision_reached_after_a_stop_stays_as_its_last_units_close(shop, table):
    """Stopped before it could be read, its units go on closing; the first look that decides keeps the decision,
    as while it ran."""
    from tests.unit.experiment_support import closed_counts, outcomes_arrived

    experiment_id = started(shop)
    assert shop.owner("POST", f"/experiments/{experiment_id}/stop").status_code == 200
    closed_counts(table, shop.shop_id, experiment_id, "a", 2000, 400)
    closed_counts(table, shop.shop_id, experiment_id, "b", 2000, 600)
    outcomes_arrived(table, shop.shop_id, experiment_id)
    assert shop.owner("GET", f"/experiments/{experiment_id}").json["decision"] == "better:b"
    assert table.get(keys.experiment_key(shop.shop_id, experiment_id))["decided"] == "better:b"
    closed_counts(table, shop.shop_id, experiment_id, "a", 1000, 600)  # the last units close the other way
    answer = shop.owner("GET", f"/experiments/{experiment_id}").json
    assert answer["status"] == "stopped" and answer["decision"] == "better:b"
