"""Due work stops taking new items when its time budget is spent, and the next run goes on from there."""

from __future__ import annotations

import json

import pytest

from chalicelib.budget import Budget
from tests.conftest import ADMIN_TOKEN
from tests.receiver import Receiver
from tests.unit.review_support import LATER, ReviewShop
from tests.unit.test_outbound_events import ALL, happy_review


class Clock:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_a_budget_is_spent_when_its_time_is_up_and_remembers_it():
    budget = Budget(2.5, clock=Clock())  # starts at 1
    assert not budget.spent() and not budget.spent()  # at 2 and 3
    assert not budget.cut_short
    assert budget.spent()  # at 4
    assert budget.cut_short
    assert not Budget.unlimited().spent()


@pytest.fixture
def shop(api, outbox):
    return ReviewShop(api, outbox)


def test_review_emails_stop_when_the_budget_is_spent_and_the_next_run_sends_the_rest(shop, table):
    from chalicelib.reviews.requests import send_due

    for n in range(5):
        shop.fulfilled_order(f"o-{n}", f"c-{n}")
    budget = Budget(2.5, clock=Clock())
    assert send_due(table, now=LATER, budget=budget) == 2
    assert budget.cut_short
    assert len(shop.emails()) == 2
    assert send_due(table, now=LATER) == 3
    assert sorted(m["To"] for m in shop.emails()) == [f"c-{n}@example.com" for n in range(5)]  # each once
    assert send_due(table, now=LATER) == 0


def test_a_budget_with_nothing_due_is_not_reported_as_work_left(shop, table):
    from chalicelib.jobs import run_due_work

    run = run_due_work(Budget(0))
    assert run.more is False and set(run.ran.values()) == {0}


def test_every_due_job_takes_no_item_once_the_budget_is_spent(shop, table, monkeypatch):
    """A spent budget leaves the item in place: review emails, outbound events and click roll-ups alike."""
    from chalicelib.jobs import run_due_work

    receiver = Receiver()
    try:
        assert shop.owner("PUT", "/webhook-endpoint", {"url": receiver.url, "events": ALL}).status_code == 200
        happy_review(shop)  # an outbound event is due
        shop.fulfilled_order("o-2", "c-2")  # a review request will be due
        monkeypatch.setattr("chalicelib.clock.now", lambda: LATER)  # when the requests are due
        spent = run_due_work(Budget(0))
        assert spent.more is True and set(spent.ran.values()) == {0}
        assert receiver.received == [] and shop.emails() == []
        done = run_due_work()
        assert done.more is False
        assert done.ran["outbound_events"] == 1 and done.ran["review_emails"] >= 1
        assert len(receiver.received) == 1
    finally:
        receiver.close()


def test_the_admin_route_reports_work_left_when_its_budget_runs_out(shop, monkeypatch):
    shop.fulfilled_order()
    monkeypatch.setattr("chalicelib.jobs.ROUTE_SECONDS", 0.0)
    monkeypatch.setattr("chalicelib.clock.now", lambda: LATER)  # when the requests are due
    cut = shop.api.request("POST", "/admin/run-due", token=ADMIN_TOKEN)
    assert cut.status_code == 200 and cut.json["more"] is True and cut.json["ran"]["review_emails"] == 0
    monkeypatch.setattr("chalicelib.jobs.ROUTE_SECONDS", 14.0)
    done = shop.api.request("POST", "/admin/run-due", token=ADMIN_TOKEN)
    assert done.json["more"] is False and done.json["ran"]["review_emails"] == 1
    assert len(shop.emails()) == 1


def test_the_schedule_budgets_by_the_invocations_remaining_time(shop, api, monkeypatch):
    import app
    from chalicelib.jobs import DueRun

    seen = []
    monkeypatch.setattr("chalicelib.jobs.run_due_work", lambda budget: seen.append(budget) or DueRun())

    class Context:
        def get_remaining_time_in_millis(self):
            return 5_000  # less than the safety margin: the budget is spent before the first item

    class Event:
        context = Context()

    assert app.run_due_work.func(Event()) == {"ran": {}, "more": False}
    [budget] = seen
    assert budget.spent()


def test_the_openapi_answer_of_run_due_names_more(api):
    spec = api.request("GET", "/openapi.json").json
    assert "more" in spec["components"]["schemas"]["RunDueResult"]["required"]
    assert json.dumps(spec).count("RunDueResult") >= 2


def test_a_failing_job_does_not_keep_the_others_from_running_and_the_run_says_so(api, monkeypatch):
    from chalicelib import errors, jobs

    ran: list[str] = []

    def job(name: str, fails: bool = False):
        def run(budget: Budget) -> int:
            ran.append(name)
            if fails:
                raise RuntimeError(f"{name} broke")
            return 1

        return run

    monkeypatch.setattr(
        jobs, "_due_jobs", lambda: {"first": job("first"), "broken": job("broken", True), "last": job("last")}
    )
    # The jobs after the failing one still run, and the run fails once they have
    with pytest.raises(errors.RetryLater, match="due work failed in broken; the other jobs ran"):
        jobs.run_due_work(Budget.unlimited())
    assert ran == ["first", "broken", "last"]
    # Through the route: a 503 in our error shape, never a stack trace
    answer = api.request("POST", "/admin/run-due", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert answer.status_code == 503 and answer.json["error"]["code"] == "retry_later"
    assert ran == ["first", "broken", "last"] * 2
