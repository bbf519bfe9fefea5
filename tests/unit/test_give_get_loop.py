"""The give-get loop end to end through the HTTP API (issue 26, "Tests that must exist"): a happy review, the
friend's page, the claim, a purchase days later that one signal alone names, its fulfilment, the hold passing in
the due work, and the advocate's reward issued and emailed once. A refund within the hold voids the reward (and the
owner hears `reward.void`), one after it notes a clawback, and redelivered or reordered webhooks change nothing.
Then the two emails and the page in each of the five languages, and the page escaping the advocate's words. Every
moment is relative to the clock."""

from __future__ import annotations

import email
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine

from chalicelib import clock
from tests import signers
from tests.receiver import Receiver
from tests.unit.review_support import ITEMS, html_part, text_part
from tests.unit.sharing_support import CHROME, Advocate
from tests.unit.test_friend_claims import claim, fill, program, run_due
from tests.unit.test_referral_signals import woo_body
from tests.unit.webhook_support import order_item

FRIEND = "friend@example.com"  # the mailbox the friend claims the offer with
OTHER = "partner@example.org"  # a mailbox nobody claimed with: the order must be named by something else
FRIEND_CODE = "FRIEND-AAA"
ADVOCATE_CODES = ("ADV-ONE", "ADV-TWO")
HOLD_DAYS = 14
FRIEND_IP = "198.51.100.7"
SIGNALS = ("code", "email", "landing", "note", "wc_attribution")
EVENTS = ["friend.claimed", "reward.issued", "reward.void"]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def at(start: datetime, days: float, hours: float = 0) -> Iterator[datetime]:
    """The clock `days` (and `hours`) after `start`, standing still."""
    moment = (start + timedelta(days=days, hours=hours)).replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        yield moment


def start(adv: Advocate, **changes: Any) -> Advocate:
    """The program on: 10% for the friend, 10% of the friend's order for the advocate after a 14-day hold, and a
    code in each pool (two for advocates)."""
    program(adv, advocate_reward={"type": "percent", "value": "10"}, hold_days=HOLD_DAYS, **changes)
    fill(adv, FRIEND_CODE)
    fill(adv, *ADVOCATE_CODES, pool="advocate")
    return adv


def visit(adv: Advocate, language: str | None = None) -> Any:
    """The friend follows the advocate's link in a browser: the friend's page."""
    headers = {"User-Agent": CHROME, "X-Forwarded-For": FRIEND_IP}
    if language:
        headers["Accept-Language"] = f"{language};q=1.0, en;q=0.5"
    page = adv.api.request("GET", f"/s/{adv.code}", headers=headers)
    assert page.status_code == 200, page.body
    assert page.headers["Content-Type"].startswith("text/html")
    assert f"/s/{adv.code}/claim" in page.body.decode()  # the form that claims the offer
    return page


def claimed(adv: Advocate, address: str = FRIEND, language: str | None = None) -> dict[str, Any]:
    headers = {"Accept-Language": f"{language};q=1.0, en;q=0.5"} if language else {}
    answer = claim(adv, address, ip=FRIEND_IP, **headers)
    assert answer.status_code == 200, answer.body
    assert answer.json["status"] == "ready" and answer.json["code"] == FRIEND_CODE
    return answer.json


def code_mails(adv: Advocate) -> list[email.message.Message]:
    """The friend's code emails (not the review request their own order brings)."""
    return [m for m in adv.shop.emails() if m["X-Proofloop-Claim"]]


def reward_mails(adv: Advocate) -> list[email.message.Message]:
    return [m for m in adv.shop.emails() if m["X-Proofloop-Reward"]]


def rewards(adv: Advocate) -> list[dict[str, Any]]:
    answer = adv.shop.owner("GET", "/rewards")
    assert answer.status_code == 200, answer.body
    return answer.json["rewards"]


def only_reward(adv: Advocate) -> dict[str, Any]:
    [reward] = rewards(adv)
    return reward


def program_state(adv: Advocate) -> dict[str, Any]:
    """What the owner sees of the program: pools, rewards by state, claims, the ledger and the report's figures."""
    overview = adv.shop.owner("GET", "/referral").json
    report = adv.shop.owner("GET", "/report").json
    return {
        "pools": overview["pools"],
        "rewards": overview["rewards"],
        "claims": overview["claims"],
        "ledger": rewards(adv),
        "funnel": report["funnel"],
        "referrals_by_signal": report["referrals_by_signal"],
    }


def subscribe(adv: Advocate, receiver: Receiver) -> None:
    answer = adv.shop.owner("PUT", "/webhook-endpoint", {"url": receiver.url, "events": EVENTS})
    assert answer.status_code == 200, answer.body


def received(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(delivery["body"]) for delivery in receiver.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


# --- the friend's order, as each platform sends it -----------------------------------------------------------------
class GenericOrder:
    """A friend's order through the generic (Standard Webhooks) webhook; each delivery may be sent again as is."""

    currency, total, value = "USD", "80.00", Decimal("8.00")

    def __init__(self, adv: Advocate, mailbox: str = FRIEND, order_id: str = "f-1", **data: Any) -> None:
        self.adv, self.order_id, self.customer = adv, order_id, "friend-1"
        self.data = {"email": mailbox, "total": self.total, "landing_url": None, **data}
        self.created: str | None = None
        self.sent: dict[str, tuple[bytes, str]] = {}

    def _deliver(self, kind: str, moment: datetime, **more: Any) -> Any:
        self.created = self.created or stamp(moment)
        payload = signers.generic_event(
            kind,
            self.order_id,
            self.customer,
            items=ITEMS,
            created_at=self.created,
            timestamp=stamp(moment),
            **self.data,
            **more,
        )
        self.sent[kind] = (json.dumps(payload).encode(), f"msg_{uuid.uuid4().hex}")
        return self.again(kind)

    def again(self, kind: str) -> Any:
        """The same delivery once more: the same body and the same webhook-id, as a sender retries it."""
        raw, msg_id = self.sent[kind]
        headers = signers.standard_headers(self.adv.shop.shop["webhook_secret"], raw, msg_id=msg_id)
        answer = self.adv.api.request("POST", f"/webhooks/generic/{self.adv.shop.shop_id}", raw=raw, headers=headers)
        assert answer.status_code == 200, answer.body
        return answer

    def place(self, moment: datetime) -> Any:
        return self._deliver("order.created", moment)

    def fulfil(self, moment: datetime) -> Any:
        return self._deliver("order.fulfilled", moment)

    def refund(self, moment: datetime) -> Any:
        return self._deliver("order.refunded", moment, amount=self.total, refund_id="r-1")


class WooOrder:
    """A friend's order through the WooCommerce webhook, named only by WooCommerce's own order attribution."""

    currency, total, value = "EUR", "69.90", Decimal("6.99")

    def __init__(self, adv: Advocate, mailbox: str = OTHER) -> None:
        self.adv, self.order_id, self.mailbox = adv, "7104", mailbox
        entry = f"https://{adv.home}/products/trail-mug/?ref={adv.code}&utm_source=whatsapp"
        self.meta = {"_wc_order_attribution_source_type": "referral", "_wc_order_attribution_session_entry": entry}
        self.created: datetime | None = None
        self.sent: dict[str, bytes] = {}

    def _deliver(self, kind: str, topic: str, status: str, moment: datetime, **more: Any) -> Any:
        self.created = self.created or moment
        body = woo_body(self.order_id, "8104", self.mailbox, self.created, meta=self.meta)
        body.update(status=status, date_modified_gmt=moment.strftime("%Y-%m-%dT%H:%M:%S"), **more)
        self.sent[kind] = json.dumps(body).encode()
        return self.again(kind, topic)

    def again(self, kind: str, topic: str = "order.updated") -> Any:
        raw = self.sent[kind]
        headers = signers.woocommerce_headers(topic, self.adv.shop.shop["webhook_secret"], raw)
        answer = self.adv.api.request(
            "POST", f"/webhooks/woocommerce/{self.adv.shop.shop_id}", raw=raw, headers=headers
        )
        assert answer.status_code == 200, answer.body
        return answer

    def place(self, moment: datetime) -> Any:
        return self._deliver("order.created", "order.created", "processing", moment)

    def fulfil(self, moment: datetime) -> Any:
        done = moment.strftime("%Y-%m-%dT%H:%M:%S")
        return self._deliver("order.fulfilled", "order.updated", "completed", moment, date_completed_gmt=done)

    def refund(self, moment: datetime) -> Any:
        return self._deliver("order.refunded", "order.updated", "refunded", moment)


def friend_order(adv: Advocate, signal: str) -> GenericOrder | WooOrder:
    """The friend's order two days later, carrying the one signal that names the advocate and nothing else."""
    if signal == "email":  # the claimed mailbox, no ref anywhere
        return GenericOrder(adv, FRIEND)
    if signal == "code":  # the friend's code, from a mailbox nobody claimed with
        return GenericOrder(adv, OTHER, discount_codes=[FRIEND_CODE])
    if signal == "landing":  # the link's ref on the landing page, from a mailbox nobody claimed with
        return GenericOrder(adv, OTHER, landing_url=f"https://{adv.home}/products/trail-mug?ref={adv.code}")
    assert signal == "wc_attribution"
    return WooOrder(adv, OTHER)


# --- the whole loop -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("signal", ["email", "code", "landing", "wc_attribution"])
def test_the_whole_loop_credits_a_later_purchase_and_pays_the_advocate_once(api, outbox, table, signal):
    # Given a happy review, which offers its buyer a share link, and the shop's program
    adv = start(Advocate(api, outbox))
    assert adv.offer["code"] == adv.code
    # When a friend follows the link, sees the offer and claims it
    page = visit(adv).body.decode()
    assert "Keeps coffee hot for hours on the trail." in page and "10% off your first order" in page
    claimed(adv)
    run_due(adv)
    [code_mail] = code_mails(adv)
    assert str(code_mail["To"]) == FRIEND and FRIEND_CODE in text_part(code_mail)
    came = clock.now()
    # And buys two days later, from another visit
    order = friend_order(adv, signal)
    with at(came, 2) as moment:
        order.place(moment)
    referral = order_item(table, adv.shop.shop_id, order.order_id)["referral"]
    assert referral["signal"] == signal and referral["code"] == adv.code and referral["advocate_id"] == "c-1"
    reward = only_reward(adv)
    assert reward["status"] == "pending" and reward["reasons"] == []
    assert Decimal(reward["value"]) == order.value and reward["currency"] == order.currency
    # And the order is fulfilled the day after
    with at(came, 3) as moment:
        order.fulfil(moment)
    with at(came, 3 + HOLD_DAYS - 1):
        run_due(adv)
        assert only_reward(adv)["status"] == "pending"  # still within the hold
    assert reward_mails(adv) == []
    # Then once the hold has passed, the due work issues the reward and emails it
    with at(came, 3 + HOLD_DAYS, hours=1):
        assert run_due(adv)["ran"]["rewards"] == 1
        after = program_state(adv)
        # And running the due work twice more sends nothing and moves no count
        for _ in range(2):
            ran = run_due(adv)["ran"]
            assert ran["rewards"] == 0 and ran["friend_codes"] == 0
        assert program_state(adv) == after
    issued = only_reward(adv)
    assert issued["status"] == "issued" and issued["code"] in ADVOCATE_CODES and issued["issued_at"]
    [reward_mail] = reward_mails(adv)
    assert str(reward_mail["To"]) == "c-1@example.com"
    assert issued["code"] in text_part(reward_mail) and issued["code"] in html_part(reward_mail)
    assert f"/s/{adv.code}" in text_part(reward_mail)  # their link, to share again
    assert len(code_mails(adv)) == 1  # the friend's code went out once
    assert after["pools"] == {
        "friend": {"available": 0, "handed_out": 1},
        "advocate": {"available": 1, "handed_out": 1},
    }
    assert after["rewards"] == {"pending": 0, "held": 0, "issued": 1, "void": 0}
    assert after["claims"] == 1
    funnel = after["funnel"]
    assert funnel["friend_claims"] == 1 and funnel["rewards_issued"] == 1
    assert {c: Decimal(str(v)) for c, v in funnel["reward_value"].items()} == {order.currency: order.value}
    assert after["referrals_by_signal"] == {s: int(s == signal) for s in SIGNALS}
    assert funnel["referred_orders"] == 1 and funnel["clicks"]["total"] == 1 and funnel["advocates"] == 1
    assert funnel["referred_revenue"] == {order.currency: float(order.total)}


# --- reversals --------------------------------------------------------------------------------------------------------
def _to_fulfilment(adv: Advocate, order: GenericOrder) -> datetime:
    """The friend's page, the claim, the order two days later and its fulfilment the day after; the claim's time."""
    visit(adv)
    claimed(adv)
    came = clock.now()
    with at(came, 2) as moment:
        order.place(moment)
    with at(came, 3) as moment:
        order.fulfil(moment)
    return came


def test_a_refund_within_the_hold_voids_the_reward_and_tells_the_owner(api, outbox, receiver):
    adv = start(Advocate(api, outbox))
    subscribe(adv, receiver)
    order = GenericOrder(adv)
    came = _to_fulfilment(adv, order)
    with at(came, 5) as moment:
        order.refund(moment)
        order.again("order.refunded")  # redelivered
        run_due(adv)
    reward = only_reward(adv)
    assert reward["status"] == "void" and reward["reasons"] == ["refunded"]
    with at(came, 3 + HOLD_DAYS, hours=1):
        for _ in range(2):
            assert run_due(adv)["ran"]["rewards"] == 0
        state = program_state(adv)
    assert only_reward(adv)["status"] == "void" and reward_mails(adv) == []
    assert state["rewards"] == {"pending": 0, "held": 0, "issued": 0, "void": 1}
    assert state["pools"]["advocate"] == {"available": 2, "handed_out": 0}
    assert state["funnel"]["rewards_issued"] == 0 and state["funnel"]["reward_value"] == {}
    assert state["funnel"]["friend_claims"] == 1 and state["funnel"]["referral_reversals"] == 1
    events = {e["type"]: e for e in received(receiver)}  # the outbox is sharded: no order among events
    assert sorted(e["type"] for e in received(receiver)) == ["friend.claimed", "reward.void"]
    void = events["reward.void"]["data"]
    assert void["reward_id"] == reward["reward_id"] and void["friend_order"] == "f-1"
    assert void["advocate_id"] == "c-1" and void["status"] == "void" and void["reasons"] == ["refunded"]
    assert void["value"] == "8.00" and void["currency"] == "USD" and "code" not in void


def test_a_refund_after_issue_notes_a_clawback_and_voids_nothing(api, outbox, receiver):
    adv = start(Advocate(api, outbox))
    subscribe(adv, receiver)
    order = GenericOrder(adv)
    came = _to_fulfilment(adv, order)
    with at(came, 3 + HOLD_DAYS, hours=1):
        run_due(adv)
        issued = program_state(adv)
    with at(came, 3 + HOLD_DAYS + 5) as moment:
        order.refund(moment)
        order.again("order.refunded")
        run_due(adv)
        run_due(adv)
        after = program_state(adv)
    reward = only_reward(adv)
    assert reward["status"] == "issued" and reward["clawback"] is True
    assert after["rewards"] == issued["rewards"] == {"pending": 0, "held": 0, "issued": 1, "void": 0}
    assert after["pools"] == issued["pools"]
    assert after["funnel"]["rewards_issued"] == 1 and after["funnel"]["reward_value"] == {"USD": 8}
    assert len(reward_mails(adv)) == 1
    events = {e["type"]: e for e in received(receiver)}  # the outbox is sharded: no order among events
    assert sorted(e["type"] for e in received(receiver)) == ["friend.claimed", "reward.issued"]  # no reward.void
    assert events["reward.issued"]["data"]["code"] == reward["code"]
    assert events["reward.issued"]["data"]["status"] == "issued"


def test_redelivered_and_reordered_webhooks_change_nothing(api, outbox, table):
    adv = start(Advocate(api, outbox))
    visit(adv)
    claimed(adv)
    came = clock.now()
    order = GenericOrder(adv)
    # The fulfilment arrives first, then the order; each is delivered again, as is and under a new id
    with at(came, 3) as moment:
        order.created = stamp(moment - timedelta(days=1))
        order.fulfil(moment)
    with at(came, 3, hours=1):
        first = program_state(adv)
        order.again("order.fulfilled")
        raw, _ = order.sent["order.fulfilled"]
        order.sent["order.fulfilled"] = (raw, f"msg_{uuid.uuid4().hex}")
        order.again("order.fulfilled")
    with at(came, 2) as moment:
        order.place(moment)  # the order's creation, late
    with at(came, 3, hours=2):
        order.again("order.created")
        assert program_state(adv) == first
    reward = only_reward(adv)
    assert reward["status"] == "pending" and reward["friend_order"] == "f-1"
    assert order_item(table, adv.shop.shop_id, "f-1")["referral"]["signal"] == "email"
    assert first["funnel"]["referred_orders"] == 1 and first["referrals_by_signal"]["email"] == 1
    # The hold runs from the fulfilment, whichever came first
    with at(came, 3 + HOLD_DAYS - 1):
        run_due(adv)
        assert only_reward(adv)["status"] == "pending"
    with at(came, 3 + HOLD_DAYS, hours=1):
        run_due(adv)
        issued = program_state(adv)
        for kind in ("order.created", "order.fulfilled"):
            order.again(kind)
        run_due(adv)
        assert program_state(adv) == issued
    assert issued["rewards"] == {"pending": 0, "held": 0, "issued": 1, "void": 0}
    assert issued["funnel"]["rewards_issued"] == 1 and issued["funnel"]["referred_orders"] == 1
    assert len(reward_mails(adv)) == 1 and len(code_mails(adv)) == 1


def test_a_woocommerce_order_redelivered_and_completed_before_its_creation_counts_once(api, outbox, table):
    adv = start(Advocate(api, outbox))
    visit(adv)
    claimed(adv)
    came = clock.now()
    order = WooOrder(adv)
    with at(came, 2) as moment:
        order.created = moment
    with at(came, 3) as moment:
        order.fulfil(moment)  # "completed" arrives first
        first = program_state(adv)
    with at(came, 3, hours=1):
        order.again("order.fulfilled")  # WooCommerce redelivers under a new delivery id
        order.place(came + timedelta(days=2))  # the older "processing" version, late
        order.again("order.created", "order.created")
        assert program_state(adv) == first
    assert only_reward(adv)["status"] == "pending"
    assert first["referrals_by_signal"]["wc_attribution"] == 1 and first["funnel"]["referred_orders"] == 1
    with at(came, 3 + HOLD_DAYS, hours=1):
        run_due(adv)
        run_due(adv)
    assert only_reward(adv)["status"] == "issued" and len(reward_mails(adv)) == 1


# --- languages ------------------------------------------------------------------------------------------------------
PAGE = {"en": "Get my code", "es": "mi código", "fr": "Recevoir mon code", "de": "Meinen Code", "pt": "meu código"}
CODE_MAIL = {
    "en": ("Here is your code for", "off your first order"),
    "es": ("Aquí tienes tu código para", "de descuento en tu primer pedido"),
    "fr": ("Voici votre code pour", "de réduction sur votre première commande"),
    "de": ("Hier ist Ihr Code für", "Rabatt auf Ihre erste Bestellung"),
    "pt": ("Aqui está o seu código para", "de desconto na sua primeira encomenda"),
}
REWARD_MAIL = {
    "en": ("Here is your reward", "off your next order"),
    "es": ("Aquí tienes tu recompensa", "de descuento en tu próximo pedido"),
    "fr": ("Voici votre récompense", "de réduction sur votre prochaine commande"),
    "de": ("Hier ist Ihre Belohnung", "Rabatt auf Ihre nächste Bestellung"),
    "pt": ("Aqui está a sua recompensa", "de desconto na sua próxima compra"),
}
# The friend in each language, their advocate in another: neither email borrows the other's language.
PAIRS = [("en", "es"), ("es", "fr"), ("fr", "de"), ("de", "pt"), ("pt", "en")]


@pytest.mark.parametrize(("friend_language", "advocate_language"), PAIRS)
def test_each_email_speaks_its_readers_language(api, outbox, friend_language, advocate_language):
    # Given an advocate whose order named their language, and a friend whose browser names theirs
    adv = start(Advocate(api, outbox, order={"locale": advocate_language}))
    page = visit(adv, friend_language)
    assert page.headers["Content-Language"] == friend_language
    assert PAGE[friend_language].lower() in page.body.decode().lower()
    claimed(adv, language=friend_language)
    run_due(adv)
    # Then the friend's code email is in the language of the claim
    [code_mail] = code_mails(adv)
    assert code_mail["Content-Language"] == friend_language
    for words in CODE_MAIL[friend_language]:
        assert words in text_part(code_mail), words
        assert words in html_part(code_mail), words
    # And the advocate's reward email in the language of their order
    came = clock.now()
    order = GenericOrder(adv)
    with at(came, 2) as moment:
        order.place(moment)
        order.fulfil(moment)
    with at(came, 2 + HOLD_DAYS, hours=1):
        run_due(adv)
    [reward_mail] = reward_mails(adv)
    assert reward_mail["Content-Language"] == advocate_language
    for words in REWARD_MAIL[advocate_language]:
        assert words in text_part(reward_mail), words
        assert words in html_part(reward_mail), words


def test_the_friends_page_escapes_the_advocates_words(api, outbox):
    # Given an advocate whose name and happy review carry markup, through the webhook and the review form
    adv = start(
        Advocate(
            api,
            outbox,
            order={"name": '<img src=x onerror="alert(2)">Mia Chen'},
            review={"title": "</h2><script>alert(3)</script>", "body": 'Best "mug" <script>alert(1)</script> & more'},
        )
    )
    # Then the friend's page shows them as text, before and after the claim
    page = visit(adv).body.decode()
    form = {"User-Agent": CHROME, "X-Forwarded-For": FRIEND_IP, "Content-Type": "application/x-www-form-urlencoded"}
    after = adv.api.request("POST", f"/s/{adv.code}/claim", headers=form, raw=urlencode({"email": FRIEND}).encode())
    assert after.status_code == 200 and FRIEND_CODE in after.body.decode()
    for shown in (page, after.body.decode()):
        assert "<script" not in shown.lower() and "<img" not in shown.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in shown
        assert "&lt;/h2&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in shown
        assert "&lt;img invites you to" in shown  # the first word of the name they gave, as text
