"""A review request goes by its shop's channel: scheduling says when and whom, the channel how.

A second channel is one new module and its settings: here a test-only SMS channel, registered as every shop's,
goes through the same due work as email (sent once, reminded once, a refused buyer parked at once, a refused
set-up stopping the run) without a line of the due work knowing it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chalicelib.errors import ChannelSetupRefused, RecipientRefused
from chalicelib.parked import MAIL_SETUP_METRIC, PARKED_METRIC, parked_items
from chalicelib.reviews.channels.base import links
from chalicelib.store import keys
from tests.unit.review_support import LATER, ReviewShop, after_fulfilment
from tests.unit.webhook_support import order_item, totals

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class Text:
    body: str
    unsubscribe_url: str


@dataclass
class SmsChannel:
    """A text message to the buyer's number, written to a list instead of an SMS provider."""

    numbers: dict[str, str] = field(default_factory=dict)  # customer id -> number: the facts this channel reads
    failures: dict[str, Exception] = field(default_factory=dict)  # number -> what its provider answers
    sent: list[tuple[str, Text]] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)
    name: str = "SMS"
    service: str = "the SMS service"

    def address(self, order: dict[str, Any], customer: dict[str, Any]) -> str | None:
        return self.numbers.get(str(order.get("customer_id")))

    def compose(self, shop: Any, order: dict[str, Any], reminder: bool, preview: bool = False) -> Text:
        signed = links(shop, order, preview)
        opening = "Reminder: how" if reminder else "How"
        body = f"{opening} is your order from {shop.name}? {signed.review_url} Stop texts: {signed.unsubscribe_url}"
        return Text(body, signed.unsubscribe_url)

    def send(self, message: Text, to: str) -> str:
        self.tried.append(to)
        if to in self.failures:
            raise self.failures[to]
        self.sent.append((to, message))
        return f"sms-{len(self.sent)}"

    def unsubscribe_link(self, message: Text) -> str | None:
        return message.unsubscribe_url


@pytest.fixture
def sms(monkeypatch: pytest.MonkeyPatch) -> SmsChannel:
    """The SMS channel registered, and named as every shop's channel."""
    from chalicelib.reviews import channels

    fake = SmsChannel(numbers={f"c-{n}": f"+44 7700 9000{n:02d}" for n in range(10)})
    monkeypatch.setitem(channels.CHANNELS, "sms", lambda: fake)
    monkeypatch.setattr(channels, "DEFAULT", "sms")
    return fake


@pytest.fixture
def metrics():
    from chalicelib.observability import metrics

    metrics.clear_metrics()
    yield metrics
    metrics.clear_metrics()


def on_due_index(item: dict[str, Any]) -> bool:
    return str(item.get(keys.GSI1PK, "")).startswith(keys.due_partition(0)[:-1])


def three_buyers(api: Any, outbox: Path) -> ReviewShop:
    shop = ReviewShop(api, outbox, reminder_after_days=0)
    for n in range(3):
        shop.fulfilled_order(f"o-{n}", customer_id=f"c-{n}")
    return shop


# --- the seam -------------------------------------------------------------------------------------------------------
def test_every_shop_is_asked_by_email_until_a_setting_names_another(api, outbox, table):
    from chalicelib.reviews.channels import channel_for
    from chalicelib.reviews.channels.email import EmailChannel
    from chalicelib.store.shop_records import Shop

    shop = ReviewShop(api, outbox)
    item = table.get(keys.shop_key(shop.shop_id))
    assert isinstance(channel_for(Shop.from_item(item)), EmailChannel)


def test_the_due_work_names_no_channel():
    # The scheduling module imports neither an email class nor the mailer: what it sends is the channel's
    tree = ast.parse((ROOT / "chalicelib" / "reviews" / "requests.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m.startswith(("email", "chalicelib.mail", "chalicelib.reviews.channels.email"))}
    assert "chalicelib.reviews.channels" in imported


@pytest.mark.parametrize("name", ["email", "sms"])
@pytest.mark.parametrize("preview", [False, True])
def test_every_channels_message_carries_the_buyers_unsubscribe_link(
    api, outbox, table, sms, name, preview, monkeypatch
):
    from chalicelib import clock
    from chalicelib.reviews.channels import CHANNELS
    from chalicelib.store.shop_records import Shop

    # Links are signed with an expiry in whole seconds: one moment for both signings, or a second's turn between them
    # would make two different (equally valid) links
    moment = clock.now()
    monkeypatch.setattr(clock, "now", lambda: moment)

    # Given a shop and one of its orders
    shop = Shop.from_item(table.get(keys.shop_key(ReviewShop(api, outbox).shop_id)))
    items = [{"product_id": "p-1", "title": "Trail Mug"}]
    order = {"order_id": "o-1", "customer_id": "c-1", "email": "c-1@example.com", "items": items}
    channel = CHANNELS[name]()
    # When the channel composes its request
    message = channel.compose(shop, order, reminder=False, preview=preview)
    # Then it carries the one unsubscribe link every channel shares (the buyer's, or a preview's)
    assert channel.unsubscribe_link(message) == links(shop, order, preview).unsubscribe_url


# --- a second channel through the due work ----------------------------------------------------------------------------
def test_a_due_request_goes_once_by_the_shops_channel_and_no_email_goes(api, outbox, table, sms):
    from chalicelib.reviews.tokens import read_review_token

    # Given a fulfilled order of a shop whose channel is SMS
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order(customer_id="c-1")
    # When the due work runs twice
    assert shop.run_due(now=after_fulfilment(7)) == 1
    assert shop.run_due(now=after_fulfilment(7, minutes=5)) == 0
    # Then one text went to the buyer's number, with a review link that is theirs, and no email at all
    [(to, text)] = sms.sent
    assert to == "+44 7700 900001" and text.body.startswith("How is your order from Trail & Summit")
    token = text.body.split("/r/", 1)[1].split(" ", 1)[0]
    assert read_review_token(token).order_id == "o-1"
    assert shop.emails() == []
    # And it counts as the request it is
    assert totals(table, shop.shop_id)["review_requests"] == 1
    assert order_item(table, shop.shop_id, "o-1")["request_status"] == "sent"


def test_the_reminder_goes_by_the_channel_and_its_unsubscribe_stops_what_follows(api, outbox, sms):
    # Given a request sent by SMS
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order(customer_id="c-1")
    assert shop.run_due(now=after_fulfilment(8)) == 1
    # When the reminder falls due
    assert shop.run_due(now=after_fulfilment(15, hours=1)) == 1
    # Then it went by SMS too, once
    assert [text.body.startswith("Reminder:") for _, text in sms.sent] == [False, True]
    # And when the buyer follows the link the text carries (one click), nothing more goes to them
    path = sms.sent[0][1].unsubscribe_url.split("8000", 1)[1]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert shop.api.request("POST", path, raw=b"List-Unsubscribe=One-Click", headers=form).status_code == 200
    shop.fulfilled_order(order_id="o-2", customer_id="c-1")
    assert shop.run_due(now=LATER) == 0
    assert len(sms.sent) == 2


def test_a_number_the_service_refuses_is_parked_at_once_and_the_others_go(api, outbox, table, sms, metrics):
    # Given three buyers due, the SMS service refusing one of their numbers
    shop = three_buyers(api, outbox)
    sms.failures["+44 7700 900001"] = RecipientRefused("not a mobile number")
    # When the due work runs
    assert shop.run_due() == 2
    # Then the two others went, and the refused one is parked with its reason in the owner's words, counted once
    assert sorted(to for to, _ in sms.sent) == ["+44 7700 900000", "+44 7700 900002"]
    [parked] = parked_items(table, shop.shop_id)
    assert parked["which"] == "Review request for order o-1"
    assert parked["reason"] == "the SMS service refused the buyer's address (request)"
    assert metrics.metric_set[PARKED_METRIC]["Value"] == [1.0]
    order = order_item(table, shop.shop_id, "o-1")
    assert order["request_status"] == "scheduled" and "sent_at" not in order and not on_due_index(order)
    assert totals(table, shop.shop_id)["review_requests"] == 2
    # And a later run tries it no more
    assert shop.run_due() == 0
    assert sms.tried.count("+44 7700 900001") == 1


def test_a_buyer_the_channel_cannot_reach_is_parked_as_refused(api, outbox, table, sms):
    # Given two buyers due, one without a number this channel knows
    shop = ReviewShop(api, outbox, reminder_after_days=0)
    shop.fulfilled_order("o-1", customer_id="c-1")
    shop.fulfilled_order("o-2", customer_id="c-unknown")
    # When the due work runs
    assert shop.run_due() == 1
    # Then nothing was sent to anyone for them, and their request is parked at once
    assert [to for to, _ in sms.sent] == ["+44 7700 900001"]
    [parked] = parked_items(table, shop.shop_id)
    assert parked["which"] == "Review request for order o-2" and "refused the buyer's address" in parked["reason"]


def test_a_refused_set_up_stops_the_run_parks_nothing_and_keeps_every_request_due(api, outbox, table, sms, metrics):
    # Given three buyers due, and an SMS service that refuses our account whoever the text is to
    shop = three_buyers(api, outbox)
    before = {n: order_item(table, shop.shop_id, f"o-{n}") for n in range(3)}
    refusal = ChannelSetupRefused("sender id not registered")
    sms.failures.update(dict.fromkeys(sms.numbers.values(), refusal))
    # When the due work runs
    assert shop.run_due() == 0
    # Then it stopped at the first refusal, parked nothing, said so once, and every request is due as it was
    assert len(sms.tried) == 1
    assert parked_items(table, shop.shop_id) == []
    assert metrics.metric_set[MAIL_SETUP_METRIC]["Value"] == [1.0] and PARKED_METRIC not in metrics.metric_set
    for n in range(3):
        order = order_item(table, shop.shop_id, f"o-{n}")
        assert order["request_status"] == "scheduled" and "sent_at" not in order and "due_attempts" not in order
        assert order[keys.GSI1SK] == before[n][keys.GSI1SK]
    assert totals(table, shop.shop_id).get("review_requests", 0) == 0
    # And once the account is put right, the next run sends them all
    sms.failures.clear()
    assert shop.run_due() == 3
    assert totals(table, shop.shop_id)["review_requests"] == 3


def test_another_failure_of_the_channel_puts_the_request_off(api, outbox, table, sms):
    # Given three buyers due, the SMS service not answering for one of them
    shop = three_buyers(api, outbox)
    sms.failures["+44 7700 900002"] = TimeoutError("the SMS service did not answer")
    # When the due work runs
    assert shop.run_due() == 2
    # Then that one is put off, due again later with its failure in the owner's words, not parked
    order = order_item(table, shop.shop_id, "o-2")
    assert on_due_index(order) and order["request_status"] == "scheduled"
    assert int(order["due_attempts"]) == 1
    assert order["due_reason"] == "the request SMS failed once, the last time with TimeoutError"
    assert order["request_due_at"] > order_item(table, shop.shop_id, "o-0")["sent_at"]
    assert parked_items(table, shop.shop_id) == []
