"""The advocate's reward, through the HTTP API: earned once on a referred order, held by the fraud rules, issued
after the hold from the advocate pool and emailed once, voided by a refund within the hold, noted as a clawback
after it, approved or denied by the owner (issue 26, parts 5, 6 and 8). Every time is relative to the clock."""

from __future__ import annotations

import email
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from chalicelib import clock
from tests.unit.review_support import html_part, text_part
from tests.unit.sharing_support import SAFARI, Advocate
from tests.unit.test_friend_claims import claim, fill, program, run_due

HOLD_DAYS = 14


def now_stamp() -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def later(days: float, hours: float = 0) -> Iterator[None]:
    with time_machine.travel(clock.now() + timedelta(days=days, hours=hours), tick=False):
        yield


def start(advocate: Advocate, codes: tuple[str, ...] = ("ADV-ONE", "ADV-TWO"), **changes: Any) -> Advocate:
    settings: dict[str, Any] = {
        "advocate_reward": {"type": "percent", "value": "10"},
        "hold_days": HOLD_DAYS,
        **changes,
    }
    program(advocate, **settings)
    if codes:
        fill(advocate, *codes, pool="advocate")
    assert advocate.click().status_code == 200  # the friend's page: the click the order is credited against
    return advocate


@pytest.fixture
def advocate(api, outbox) -> Advocate:
    return start(Advocate(api, outbox))


def friend_order(advocate: Advocate, order_id: str = "f-1", customer_id: str = "friend-1", **data: Any) -> None:
    data.setdefault("landing_url", f"https://{advocate.home}/products/trail-mug?ref={advocate.code}")
    data.setdefault("created_at", now_stamp())
    data.setdefault("timestamp", now_stamp())
    data.setdefault("total", "80.00")
    advocate.shop.deliver("order.created", order_id, customer_id, **data)


def fulfil(advocate: Advocate, order_id: str = "f-1", customer_id: str = "friend-1", **data: Any) -> None:
    data.setdefault("created_at", now_stamp())
    data.setdefault("timestamp", now_stamp())
    data.setdefault("total", "80.00")
    advocate.shop.deliver("order.fulfilled", order_id, customer_id, **data)


def refund(advocate: Advocate, order_id: str = "f-1", customer_id: str = "friend-1") -> None:
    stamp = now_stamp()
    advocate.shop.deliver(
        "order.refunded", order_id, customer_id, amount="80.00", total="80.00", refund_id="r-1", timestamp=stamp
    )


def rewards(advocate: Advocate, status: str | None = None, **query: str) -> dict[str, Any]:
    params = {**({"status": status} if status else {}), **query}
    path = "/rewards" + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
    answer = advocate.shop.owner("GET", path)
    assert answer.status_code == 200, answer.body
    return answer.json


def only_reward(advocate: Advocate) -> dict[str, Any]:
    [reward] = rewards(advocate)["rewards"]
    return reward


def counts(advocate: Advocate) -> dict[str, int]:
    return advocate.shop.owner("GET", "/referral").json["rewards"]


def reward_mails(advocate: Advocate) -> list[email.message.Message]:
    return [m for m in advocate.shop.emails() if m["X-Proofloop-Reward"]]


def decide(advocate: Advocate, reward_id: str, action: str) -> Any:
    return advocate.shop.owner("POST", f"/rewards/{reward_id}/{action}")


def test_a_referred_order_earns_a_reward_issued_after_the_hold_and_emailed_once(advocate):
    friend_order(advocate)
    reward = only_reward(advocate)
    assert reward["status"] == "pending" and reward["reasons"] == []
    assert reward["advocate"] == "c-1" and reward["friend_order"] == "f-1"
    assert reward["value"] == "8.00" and reward["currency"] == "USD"
    assert "code" not in reward and "issued_at" not in reward
    assert counts(advocate) == {"pending": 1, "held": 0, "issued": 0, "void": 0}
    run_due(advocate)
    assert only_reward(advocate)["status"] == "pending"  # not fulfilled yet: no hold has started
    fulfil(advocate)
    with later(HOLD_DAYS - 1):
        run_due(advocate)
        assert only_reward(advocate)["status"] == "pending"  # still within the hold
    assert reward_mails(advocate) == []
    with later(HOLD_DAYS, hours=1):
        ran = run_due(advocate)
        assert ran["ran"]["rewards"] == 1
        run_due(advocate)
        issued = only_reward(advocate)
        report = advocate.shop.owner("GET", "/report").json
    assert issued["status"] == "issued" and issued["code"] in ("ADV-ONE", "ADV-TWO") and issued["issued_at"]
    assert counts(advocate) == {"pending": 0, "held": 0, "issued": 1, "void": 0}
    assert report["funnel"]["rewards_issued"] == 1 and report["funnel"]["reward_value"] == {"USD": 8}
    [mail] = reward_mails(advocate)
    assert str(mail["To"]) == "c-1@example.com"
    assert issued["code"] in text_part(mail) and issued["code"] in html_part(mail)
    assert "10% off your next order" in text_part(mail)
    assert f"/s/{advocate.code}" in text_part(mail)  # their link, to share again
    assert mail["List-Unsubscribe"].startswith("<") and "/u/" in mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    pools = advocate.shop.owner("GET", "/referral").json["pools"]["advocate"]
    assert pools == {"available": 1, "handed_out": 1}


def test_the_email_is_in_the_advocates_language(api, outbox):
    advocate = start(Advocate(api, outbox))
    advocate.shop.deliver("order.created", "o-2", "c-1", locale="fr")  # their latest order says French
    friend_order(advocate)
    fulfil(advocate)
    with later(HOLD_DAYS, hours=1):
        run_due(advocate)
    [mail] = reward_mails(advocate)
    assert mail["Content-Language"] == "fr"
    assert "de réduction sur votre prochaine commande" in text_part(mail)


def test_an_amount_reward_is_worth_its_face_value(api, outbox):
    advocate = start(Advocate(api, outbox), advocate_reward={"type": "amount", "value": "5", "currency": "EUR"})
    friend_order(advocate)
    reward = only_reward(advocate)
    assert reward["value"] == "5" and reward["currency"] == "EUR"


def test_without_a_reward_or_the_program_there_is_none(api, outbox):
    advocate = start(Advocate(api, outbox), advocate_reward={"type": "none"})
    friend_order(advocate)
    assert rewards(advocate)["rewards"] == []
    assert counts(advocate) == {"pending": 0, "held": 0, "issued": 0, "void": 0}


def test_redelivered_and_reordered_webhooks_change_nothing(advocate):
    for _ in range(3):
        friend_order(advocate)
    fulfil(advocate)
    fulfil(advocate)
    friend_order(advocate)
    assert len(rewards(advocate)["rewards"]) == 1
    assert counts(advocate) == {"pending": 1, "held": 0, "issued": 0, "void": 0}
    with later(HOLD_DAYS, hours=1):
        run_due(advocate)
        fulfil(advocate)
        friend_order(advocate)
        run_due(advocate)
    assert counts(advocate) == {"pending": 0, "held": 0, "issued": 1, "void": 0}
    assert len(reward_mails(advocate)) == 1


def test_a_refund_within_the_hold_voids_the_reward(advocate):
    friend_order(advocate)
    fulfil(advocate)
    with later(3):
        refund(advocate)
        refund(advocate)  # redelivered
    reward = only_reward(advocate)
    assert reward["status"] == "void" and reward["reasons"] == ["refunded"]
    assert counts(advocate) == {"pending": 0, "held": 0, "issued": 0, "void": 1}
    with later(HOLD_DAYS, hours=1):
        run_due(advocate)
    assert only_reward(advocate)["status"] == "void" and reward_mails(advocate) == []


def test_a_cancellation_within_the_hold_voids_it_too(advocate):
    friend_order(advocate)
    advocate.shop.deliver("order.cancelled", "f-1", "friend-1", total="80.00", timestamp=now_stamp())
    reward = only_reward(advocate)
    assert reward["status"] == "void" and reward["reasons"] == ["cancelled"]


def test_a_refund_after_issue_notes_a_clawback(advocate):
    friend_order(advocate)
    fulfil(advocate)
    with later(HOLD_DAYS, hours=1):
        run_due(advocate)
    with later(HOLD_DAYS + 2):
        refund(advocate)
        refund(advocate)
    reward = only_reward(advocate)
    assert reward["status"] == "issued" and reward["clawback"] is True
    assert counts(advocate) == {"pending": 0, "held": 0, "issued": 1, "void": 0}


def test_an_empty_advocate_pool_keeps_it_pending_until_a_refill(api, outbox):
    advocate = start(Advocate(api, outbox), codes=())
    friend_order(advocate)
    fulfil(advocate)
    with later(HOLD_DAYS, hours=1):
        run_due(advocate)
        assert only_reward(advocate)["status"] == "pending"
        fill(advocate, "LATE-ADV", pool="advocate")
    with later(HOLD_DAYS, hours=2):
        run_due(advocate)
    reward = only_reward(advocate)
    assert reward["status"] == "issued" and reward["code"] == "LATE-ADV"
    assert len(reward_mails(advocate)) == 1


def held_with(advocate: Advocate) -> list[str]:
    [reward] = rewards(advocate, "held")["rewards"]
    assert reward["status"] == "held"
    return list(reward["reasons"])


def test_a_disposable_mailbox_holds_the_reward(advocate):
    friend_order(advocate, email="someone@mailinator.com")
    assert held_with(advocate) == ["disposable_email"]
    assert counts(advocate) == {"pending": 0, "held": 1, "issued": 0, "void": 0}
    fulfil(advocate, email="someone@mailinator.com")
    with later(HOLD_DAYS, hours=1):
        run_due(advocate)
    assert only_reward(advocate)["status"] == "held"  # the due work never issues a held reward


def test_the_advocates_own_gmail_under_dots_and_a_tag_holds_it(api, outbox):
    advocate = start(Advocate(api, outbox, email="mia.chen@gmail.com"))
    friend_order(advocate, customer_id="someone-else", email="MiaChen+deals@googlemail.com")
    assert held_with(advocate) == ["self_referral"]


HOME = {"address1": "12 Harbour Road", "address2": "Flat 3", "city": "Leith", "zip": "EH6 6LX", "country": "gb"}


def test_a_friend_shipping_to_the_advocates_address_holds_it(api, outbox):
    advocate = start(Advocate(api, outbox, order={"shipping_address": HOME}))
    typed_otherwise = {"address1": "12, harbour road  flat 3", "city": "LEITH", "zip": "eh6 6lx", "country": "GB"}
    friend_order(advocate, email="someone.new@example.org", name="Sam Other", shipping_address=typed_otherwise)
    assert held_with(advocate) == ["self_referral"]


def test_a_friend_shipping_elsewhere_does_not(api, outbox):
    advocate = start(Advocate(api, outbox, order={"shipping_address": HOME}))
    friend_order(advocate, email="someone.new@example.org", shipping_address={**HOME, "address1": "14 Harbour Road"})
    assert only_reward(advocate)["status"] == "pending"


def test_the_advocates_latest_addresses_are_compared(api, outbox):
    advocate = start(Advocate(api, outbox, order={"shipping_address": HOME}))
    for n in range(2, 5):  # later orders of theirs ship elsewhere: the first address is still among their latest
        advocate.shop.deliver("order.created", f"o-{n}", "c-1", shipping_address={**HOME, "address1": f"{n} Elm St"})
    friend_order(advocate, email="someone.new@example.org", shipping_address=HOME)
    assert held_with(advocate) == ["self_referral"]


def test_a_friend_who_ordered_before_holds_it_when_the_offer_is_for_new_customers(advocate):
    earlier = (clock.now() - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    advocate.shop.deliver("order.created", "f-0", "friend-1", created_at=earlier, timestamp=earlier)
    friend_order(advocate)
    assert held_with(advocate) == ["existing_customer"]


def test_a_claim_from_the_advocates_own_browser_holds_it(advocate):
    assert advocate.share("whatsapp", ua=SAFARI, ip="203.0.113.9").status_code in (200, 302)
    assert claim(advocate, "pal@example.com", ip="203.0.113.9", **{"User-Agent": SAFARI}).status_code == 200
    friend_order(advocate, email="pal@example.com")
    assert held_with(advocate) == ["same_visitor"]


def test_a_claim_from_another_browser_does_not(advocate):
    assert advocate.share("whatsapp", ua=SAFARI, ip="203.0.113.9").status_code in (200, 302)
    assert claim(advocate, "pal@example.com", ip="198.51.100.99").status_code == 200
    friend_order(advocate, email="pal@example.com")
    assert only_reward(advocate)["status"] == "pending"


def test_more_than_five_referred_orders_in_a_day_hold_the_sixth(advocate):
    for n in range(6):
        friend_order(advocate, f"f-{n}", f"friend-{n}")
    assert held_with(advocate) == ["velocity"]
    assert counts(advocate) == {"pending": 5, "held": 1, "issued": 0, "void": 0}


def test_the_monthly_cap_holds_rewards_past_it(api, outbox):
    advocate = start(Advocate(api, outbox), max_rewards_per_month=2)
    for n in range(3):
        friend_order(advocate, f"f-{n}", f"friend-{n}")
    assert held_with(advocate) == ["cap"]
    assert counts(advocate) == {"pending": 2, "held": 1, "issued": 0, "void": 0}


def test_approve_continues_to_issue_and_deny_voids(advocate):
    friend_order(advocate, "f-1", "friend-1", email="one@mailinator.com")
    friend_order(advocate, "f-2", "friend-2", email="two@mailinator.com")
    held = {r["friend_order"]: r["reward_id"] for r in rewards(advocate, "held")["rewards"]}
    fulfil(advocate, "f-1", "friend-1", email="one@mailinator.com")
    approved = decide(advocate, held["f-1"], "approve")
    assert approved.status_code == 200, approved.body
    assert approved.json["status"] == "pending" and approved.json["reasons"] == ["disposable_email"]
    denied = decide(advocate, held["f-2"], "deny")
    assert denied.status_code == 200 and denied.json["status"] == "void"
    assert denied.json["reasons"] == ["disposable_email", "denied"]
    for reward_id in held.values():
        again = decide(advocate, reward_id, "approve")
        assert again.status_code == 409 and again.json["error"]["code"] == "not_held"
    assert counts(advocate) == {"pending": 1, "held": 0, "issued": 0, "void": 1}
    with later(HOLD_DAYS, hours=1):
        run_due(advocate)
    assert [r["friend_order"] for r in rewards(advocate, "issued")["rewards"]] == ["f-1"]
    assert [r["friend_order"] for r in rewards(advocate, "void")["rewards"]] == ["f-2"]
    assert decide(advocate, "rw_" + "0" * 24, "approve").status_code == 404


def test_the_listing_puts_held_first_and_pages_with_a_cursor(advocate):
    friend_order(advocate, "f-1", "friend-1")
    friend_order(advocate, "f-2", "friend-2", email="two@mailinator.com")
    friend_order(advocate, "f-3", "friend-3")
    first = rewards(advocate, limit="2")
    assert [r["status"] for r in first["rewards"]] == ["held", "pending"]
    assert first["cursor"]
    second = rewards(advocate, limit="2", cursor=first["cursor"])
    assert [r["status"] for r in second["rewards"]] == ["pending"] and second["cursor"] is None
    seen = {r["friend_order"] for r in first["rewards"] + second["rewards"]}
    assert seen == {"f-1", "f-2", "f-3"}
    assert advocate.shop.owner("GET", "/rewards?status=lost").status_code in (400, 422)


def test_rewards_are_the_owners_alone(advocate, api):
    friend_order(advocate)
    assert api.request("GET", f"/shops/{advocate.shop.shop_id}/rewards").status_code == 401
