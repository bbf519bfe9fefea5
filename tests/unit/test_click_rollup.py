"""The click roll-up makes progress: a budgeted run goes on where the last one stopped, and stays exact."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.budget import Budget
from chalicelib.reviews.tokens import review_token
from chalicelib.rollup import roll_up_clicks
from chalicelib.store import keys
from tests.unit.review_support import ReviewShop
from tests.unit.sharing_support import CHROME

TODAY_NOON = datetime(2026, 11, 24, 12, tzinfo=UTC)
MUG = [{"product_id": "p-mug", "title": "Trail Mug", "quantity": 1, "price": "29.50"}]


class EntryBudget(Budget):
    """A run's budget that lets it take `entries` items, then answers spent (as a run out of time would)."""

    def __init__(self, entries: int) -> None:
        super().__init__(math.inf)
        self.left = entries

    def spent(self) -> bool:
        if self.left == 0:
            self.cut_short = True
            return True
        self.left -= 1
        return False


class Advocates:
    """One shop whose buyers each left a happy review of the mug and so have a share code."""

    def __init__(self, api: Any, outbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.shop = ReviewShop(api, outbox)
        self.api = api
        self.codes: dict[str, str] = {}
        self.clicks: dict[str, int] = {}
        self.visitors = 0
        self._clicked_at = TODAY_NOON
        monkeypatch.setattr("chalicelib.sharing.counting._now", lambda: self._clicked_at)

    def add(self, customer_id: str) -> str:
        self.shop.fulfilled_order(f"o-{customer_id}", customer_id, items=MUG)
        response = self.api.request(
            "POST",
            "/reviews",
            {
                "token": review_token(self.shop.shop_id, f"o-{customer_id}", ["p-mug"]),
                "product_id": "p-mug",
                "rating": 5,
                "title": "Best mug",
                "body": "Keeps coffee hot for hours on the trail.",
            },
        )
        assert response.status_code == 201, response.body
        self.codes[customer_id] = response.json["share"]["code"]
        self.clicks[customer_id] = 0
        return self.codes[customer_id]

    def click(self, customer_id: str, at: datetime = TODAY_NOON) -> None:
        """A new visitor follows the customer's link at `at` (the shop's day is UTC's)."""
        self._clicked_at = at
        self.visitors += 1
        ip = f"198.51.100.{self.visitors}"
        response = self.api.request(
            "GET", f"/s/{self.codes[customer_id]}", headers={"User-Agent": CHROME, "X-Forwarded-For": ip}
        )
        assert response.status_code == 302, response.body
        self.clicks[customer_id] += 1

    def rolled_clicks(self, table: Any) -> dict[str, int]:
        """Each advocate's click total as the roll-up set it on their record."""
        return {
            customer_id: int(table.get(keys.customer_key(self.shop.shop_id, customer_id)).get("clicks", 0))
            for customer_id in self.codes
        }

    def by_code(self) -> list[str]:
        """The advocates in the order a pass walks their codes."""
        return sorted(self.codes, key=self.codes.__getitem__)


@pytest.fixture
def advocates(api, outbox, monkeypatch):
    return Advocates(api, outbox, monkeypatch)


def test_a_budgeted_roll_up_goes_on_where_the_last_run_stopped_until_every_total_is_exact(advocates, table):
    # Given 7 codes clicked over two days (some more than once), and runs that can each roll 3 codes
    yesterday = TODAY_NOON - timedelta(days=1)
    for n in range(7):
        advocates.add(f"c-{n}")
        for _ in range(n % 3 + 1):
            advocates.click(f"c-{n}", at=yesterday if n < 4 else TODAY_NOON)
    per_run = 3
    # When ceil(7 / 3) = 3 runs go by, ten minutes apart
    ran = []
    for run in range(math.ceil(7 / per_run)):
        budget = EntryBudget(per_run)
        ran.append(roll_up_clicks(table, now=TODAY_NOON + timedelta(minutes=10 * run), budget=budget))
        assert budget.cut_short
    # Then each run rolled as many codes as it could, and every advocate's click total is exact
    assert ran == [per_run] * 3
    assert advocates.rolled_clicks(table) == advocates.clicks


def test_a_click_counted_after_its_code_was_rolled_is_picked_up_by_the_next_pass(advocates, table):
    # Given three clicked codes and a run that rolled the first two in key order
    for n in range(3):
        advocates.add(f"c-{n}")
        advocates.click(f"c-{n}")
    first, _, last = advocates.by_code()
    assert roll_up_clicks(table, now=TODAY_NOON, budget=EntryBudget(2)) == 2
    # When the first code is clicked again, and the runs go on
    advocates.click(first, at=TODAY_NOON + timedelta(minutes=5))
    finishing = EntryBudget(2)
    assert roll_up_clicks(table, now=TODAY_NOON + timedelta(minutes=10), budget=finishing) == 1
    assert not finishing.cut_short  # the pass ended: nothing left to do in this run
    assert advocates.rolled_clicks(table)[last] == 1
    roll_up_clicks(table, now=TODAY_NOON + timedelta(minutes=20), budget=EntryBudget(2))
    # Then the new pass set the first advocate's total with the later click
    assert advocates.rolled_clicks(table) == {**advocates.clicks, first: 2}


def test_a_day_over_everywhere_gets_one_more_full_pass_and_is_then_left_alone(advocates, table):
    # Given two codes clicked on one day, rolled by a pass the next day (the day still runs west of UTC)
    day = TODAY_NOON
    for customer_id in ("c-1", "c-2"):
        advocates.add(customer_id)
        advocates.click(customer_id, at=day)
    next_day = day + timedelta(days=1)
    assert roll_up_clicks(table, now=next_day) == 2
    # When the day is older than yesterday everywhere
    over = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=2, minutes=10)
    # Then one more full pass walks it, and the runs after that do not walk it at all
    assert roll_up_clicks(table, now=over) == 2
    assert roll_up_clicks(table, now=over + timedelta(minutes=10)) == 0
    assert roll_up_clicks(table, now=over + timedelta(days=1)) == 0
    assert advocates.rolled_clicks(table) == advocates.clicks


def test_a_budget_cut_on_an_old_day_is_resumed_before_the_day_is_left_alone(advocates, table):
    # Given three codes clicked on a day that is over everywhere, and a run that rolled one of them
    for n in range(3):
        advocates.add(f"c-{n}")
        advocates.click(f"c-{n}")
    over = datetime(2026, 11, 26, 0, 10, tzinfo=UTC)
    assert roll_up_clicks(table, now=over, budget=EntryBudget(1)) == 1
    # When the next run has room for more
    # Then it rolls the two codes left, which completes the pass, and the day is not walked again
    assert roll_up_clicks(table, now=over + timedelta(minutes=10)) == 2
    assert roll_up_clicks(table, now=over + timedelta(minutes=20)) == 0
    assert advocates.rolled_clicks(table) == advocates.clicks


def test_a_repeated_roll_up_changes_no_advocate(advocates, table):
    # Given two clicked codes, rolled up
    for customer_id in ("c-1", "c-2"):
        advocates.add(customer_id)
        advocates.click(customer_id)
    roll_up_clicks(table, now=TODAY_NOON)
    before = [table.get(keys.customer_key(advocates.shop.shop_id, c)) for c in advocates.codes]
    # When the roll-up runs again with nothing new
    assert roll_up_clicks(table, now=TODAY_NOON + timedelta(minutes=10)) == 2
    # Then every advocate's record is as it was
    assert [table.get(keys.customer_key(advocates.shop.shop_id, c)) for c in advocates.codes] == before
