"""The console's rewards ledger, in the referral section, through HTTP: held rewards first with their reasons in
words, the filter by state, and the bulk approve and deny (CSRF-checked) that go through the API's own decision."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from chalicelib.auth.csrf import csrf_token
from chalicelib.auth.sessions import COOKIE
from tests.unit.sharing_support import Advocate
from tests.unit.test_console import FORM, HTML
from tests.unit.test_rewards import friend_order, rewards, start


class Ledger:
    """A shop with a happy reviewer whose friends ordered, and its owner signed in to the console."""

    def __init__(self, api, outbox) -> None:
        self.advocate = start(Advocate(api, outbox))
        self.api = api
        shop = self.advocate.shop
        self.shop_id = shop.shop_id
        signed_in = api.request(
            "POST",
            f"/shops/{self.shop_id}/dashboard/session",
            raw=urlencode({"api_key": shop.api_key}).encode(),
            headers=FORM,
        )
        assert signed_in.status_code == 303
        cookie = signed_in.headers["Set-Cookie"]
        self.session = (cookie[0] if isinstance(cookie, list) else cookie).split(";")[0].split("=", 1)[1]
        self.cookie = {"Cookie": f"{COOKIE}={self.session}"}

    def page(self, query: str = "") -> str:
        answer = self.api.request(
            "GET", f"/shops/{self.shop_id}/dashboard/referral{query}", headers={**HTML, **self.cookie}
        )
        assert answer.status_code == 200, answer.body
        return answer.body.decode()

    def decide(self, action: str, *ids: str, csrf: str | None = None):
        fields = [("csrf", csrf if csrf is not None else csrf_token(self.session)), ("action", action)]
        fields += [("ids", rid) for rid in ids]
        return self.api.request(
            "POST",
            f"/shops/{self.shop_id}/dashboard/forms/rewards",
            raw=urlencode(fields).encode(),
            headers={**FORM, **self.cookie},
        )


@pytest.fixture
def ledger(api, outbox) -> Ledger:
    ledger = Ledger(api, outbox)
    friend_order(ledger.advocate, "f-1", "friend-1", email="one@mailinator.com")  # held: disposable
    friend_order(ledger.advocate, "f-2", "friend-2", email="two@mailinator.com")  # held: disposable
    friend_order(ledger.advocate, "f-3", "friend-3", email="three@example.org")  # pending
    return ledger


def ids_of(ledger: Ledger, status: str) -> list[str]:
    return [r["reward_id"] for r in rewards(ledger.advocate, status)["rewards"]]


def test_the_ledger_lists_held_rewards_first_with_their_reasons_in_words(ledger):
    page = ledger.page()
    held = ids_of(ledger, "held")
    [pending] = ids_of(ledger, "pending")
    assert len(held) == 2
    rows = re.findall(r"<code>(rw_[^<]+)</code>", page)
    assert rows[:2] == held and rows[2] == pending  # held first
    assert page.count("the friend&#39;s email is from a disposable domain") == 2
    # only a held reward can be ticked
    assert all(f'id="pick-{rid}"' in page for rid in held) and f'id="pick-{pending}"' not in page
    assert "Approve the ticked" in page and "Deny the ticked" in page


def test_the_filter_shows_one_state(ledger):
    page = ledger.page("?status=pending")
    [pending] = ids_of(ledger, "pending")
    assert re.findall(r"<code>(rw_[^<]+)</code>", page) == [pending]
    assert 'aria-current="page">Pending' in page
    assert "No void rewards yet." in ledger.page("?status=void")


def test_bulk_approve_and_deny_go_through_the_apis_decision(ledger):
    first, second = ids_of(ledger, "held")
    [pending] = ids_of(ledger, "pending")
    approved = ledger.decide("approve", first, pending)  # the pending one is not held: left as it is
    assert approved.status_code == 303
    assert "decided=approve.1.1" in approved.headers["Location"]
    assert "Approved 1 reward. 1 was no longer held and stayed as they were." in ledger.page(
        "?status=held&decided=approve.1.1"
    )
    denied = ledger.decide("deny", second)
    assert denied.status_code == 303
    statuses = {r["reward_id"]: (r["status"], r["reasons"]) for r in rewards(ledger.advocate)["rewards"]}
    assert statuses[first] == ("pending", ["disposable_email"])
    assert statuses[second] == ("void", ["disposable_email", "denied"])
    assert statuses[pending][0] == "pending"
    counts = ledger.advocate.shop.owner("GET", "/referral").json["rewards"]
    assert counts == {"pending": 2, "held": 0, "issued": 0, "void": 1}


def test_a_stale_form_or_nothing_ticked_changes_nothing(ledger):
    first, _ = ids_of(ledger, "held")
    assert ledger.decide("approve", first, csrf="0" * 64).status_code == 403
    empty = ledger.decide("deny")
    assert empty.status_code == 422 and "tick at least one held reward first" in empty.body.decode()
    unknown = ledger.decide("burn", first)
    assert unknown.status_code == 422
    assert sorted(ids_of(ledger, "held")) == sorted([first, *ids_of(ledger, "held")[1:]])
    assert len(ids_of(ledger, "held")) == 2


def test_a_summary_in_the_address_says_only_our_words(ledger):
    page = ledger.page("?decided=approve.1.0<script>")
    assert "<script>" not in page and "Approved" not in page
