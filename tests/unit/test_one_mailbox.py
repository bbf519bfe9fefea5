"""One mailbox per buyer: an address from outside is one normalized mailbox or nobody to ask, and mail goes to that
mailbox alone, whatever its headers say."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.mail.mailbox import mailbox
from chalicelib.store import keys
from tests import signers
from tests.unit.review_support import ReviewShop
from tests.unit.webhook_support import ShopifyStore, WooStore, order_item

# Each names a second recipient, or a mailbox wrapped in something a header parser would read: none is one mailbox.
NOT_ONE_MAILBOX = [
    "a@x.example,b@y.example",
    "list:a@x.example,b@y.example;",
    '"Ana" <a@x.example>',
    "a@x.example\r\nBcc: b@y.example",
]
TYPED = "Ana.Lima@Example.NET"
NORMALIZED = "Ana.Lima@example.net"  # the domain is case-insensitive, the local part kept as typed
SENDER = "reviews@trail-summit.example"


def ago(days: int) -> str:
    return clock.iso(clock.now() - timedelta(days=days))


def woo_time(days_ago: int) -> str:
    """WooCommerce's *_gmt form: UTC without an offset."""
    return (clock.now() - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S")


def run_due_requests() -> int:
    """Every request due a month from now: well past any shop's delay after these orders."""
    from chalicelib.reviews.requests import send_due
    from chalicelib.store.table import get_table

    return send_due(get_table(), now=clock.now() + timedelta(days=30))


def outbox_messages(outbox) -> list[EmailMessage]:
    if not outbox.exists():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(outbox.glob("*.eml"))]


def reported_orders(api: Any, shop_id: str, api_key: str) -> int:
    """The report's funnel orders over its default period (the last 30 days)."""
    response = api.request("GET", f"/shops/{shop_id}/report", token=api_key)
    assert response.status_code == 200, response.body
    return int(response.json["funnel"]["orders"])


def assert_kept_as_nobody_to_ask(table: Any, shop_id: str, order_id: str) -> None:
    order = order_item(table, shop_id, order_id)
    assert order is not None and order.get("known")
    assert not order.get("email") and order.get("request_status") is None and keys.GSI1PK not in order
    customer = table.get(keys.customer_key(shop_id, order["customer_id"]))
    assert customer is not None and not customer.get("email_hash")


# --- reading an address ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ana.lima@example.net", "ana.lima@example.net"),
        (TYPED, NORMALIZED),
        ("  ana.lima@example.net ", "ana.lima@example.net"),
        ("first.last+tag@mail.trail-shop.co.uk", "first.last+tag@mail.trail-shop.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("jonas@bücher.example", "jonas@xn--bcher-kva.example"),  # an international domain, as SES takes it
        ("jonas@xn--bcher-kva.example", "jonas@xn--bcher-kva.example"),
    ],
)
def test_one_address_is_its_normalized_mailbox(text, expected):
    assert mailbox(text) == expected
    assert mailbox(expected) == expected  # normalized once is normalized for good


@pytest.mark.parametrize(
    "text",
    [
        *NOT_ONE_MAILBOX,
        "a@x.example; b@y.example",
        "a@x.example b@y.example",
        "undisclosed-recipients:;",
        "Ana <a@x.example>",
        "<a@x.example>",
        "a@x.example (Ana)",
        '"a,b"@x.example',
        '"a b"@x.example',
        "a@x.example\n",
        "\ta@x.example",
        "a@x.example\r",
        "a@x.example\x00",
        "a\u200b@x.example",  # a zero-width space
        "ñandú@x.example",  # a local part SES cannot send to (no SMTPUTF8)
        "a@[192.0.2.1]",
        "a@localhost",
        "a@x.test",
        "a@x",
        "a@x.example.",
        "a..b@x.example",
        ".a@x.example",
        "@x.example",
        "a@",
        "a",
        "a@@x.example",
        "x" * 65 + "@x.example",  # longer than SMTP's 64 characters before the @
        "a@" + "x" * 320 + ".example",
        "",
        "   ",
        None,
        42,
        ["a@x.example"],
        {"email": "a@x.example"},
    ],
)
def test_anything_but_one_mailbox_is_nobody(text):
    assert mailbox(text) is None


# --- signed orders --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("address", NOT_ONE_MAILBOX)
def test_a_generic_order_naming_anything_but_one_mailbox_counts_and_nobody_is_asked(api, outbox, table, address):
    # Given a shop
    shop = ReviewShop(api, outbox)
    before = reported_orders(api, shop.shop_id, shop.api_key)
    # When its storefront sends a signed order, then its fulfilment, with that email
    shop.deliver("order.created", "o-1", "c-1", email=address, created_at=ago(3), timestamp=ago(3))
    shop.deliver("order.fulfilled", "o-1", "c-1", email=address, created_at=ago(3), timestamp=ago(2))
    # Then the order counts, nothing of the text is kept, and no email goes out, to anyone
    assert reported_orders(api, shop.shop_id, shop.api_key) == before + 1
    assert_kept_as_nobody_to_ask(table, shop.shop_id, "o-1")
    assert run_due_requests() == 0
    assert outbox_messages(outbox) == []


def test_a_generic_order_from_a_guest_with_a_list_is_kept_under_the_order(api, outbox, table):
    # Given a guest's order (no customer id) whose email names two mailboxes
    shop = ReviewShop(api, outbox)
    shop.deliver("order.created", "o-g", "", email=NOT_ONE_MAILBOX[0], created_at=ago(1), timestamp=ago(1))
    # Then the buyer is the order's own guest, not one derived from a text that names two people
    assert order_item(table, shop.shop_id, "o-g")["customer_id"] == "guest-order-o-g"


def test_one_mailbox_in_any_case_gets_exactly_one_email_addressed_to_it_normalized(api, outbox, table):
    # Given a signed, fulfilled order whose email is typed in mixed case
    shop = ReviewShop(api, outbox)
    shop.deliver("order.created", "o-1", "c-1", email=TYPED, created_at=ago(3), timestamp=ago(3))
    shop.deliver("order.fulfilled", "o-1", "c-1", email=TYPED, created_at=ago(3), timestamp=ago(2))
    assert order_item(table, shop.shop_id, "o-1")["email"] == NORMALIZED
    # When the due requests run
    assert run_due_requests() == 1
    # Then exactly one email went out, to that one mailbox, normalized, and to no one else
    [message] = outbox_messages(outbox)
    assert message.get_all("To") == [NORMALIZED]
    assert [a.addr_spec for a in message["To"].addresses] == [NORMALIZED]
    assert message["Cc"] is None and message["Bcc"] is None


def shopify_order(address: str) -> dict[str, Any]:
    order = signers.fixture("shopify_order.json")
    order.update(email=address, contact_email=address, created_at=ago(3), updated_at=ago(2))
    order["customer"]["email"] = address
    order["fulfillment_status"] = "fulfilled"
    order["fulfillments"] = [{"id": 5100000001, "status": "success", "created_at": ago(2)}]
    return order


@pytest.mark.parametrize("address", NOT_ONE_MAILBOX)
def test_a_shopify_order_naming_anything_but_one_mailbox_counts_and_nobody_is_asked(api, outbox, table, address):
    # Given a Shopify store
    store = ShopifyStore(api)
    before = reported_orders(api, store.shop_id, store.api_key)
    # When Shopify sends a signed, fulfilled order whose every email field holds that text
    response = store.send("orders/fulfilled", shopify_order(address))
    assert response.status_code == 200, response.body
    # Then the order counts, and nobody is asked for a review
    assert reported_orders(api, store.shop_id, store.api_key) == before + 1
    assert_kept_as_nobody_to_ask(table, store.shop_id, "5839274650112")
    assert run_due_requests() == 0
    assert outbox_messages(outbox) == []


def test_a_shopify_order_with_one_mailbox_gets_one_email_to_it(api, outbox, table):
    store = ShopifyStore(api)
    assert store.send("orders/fulfilled", shopify_order(TYPED)).status_code == 200
    assert run_due_requests() == 1
    [message] = outbox_messages(outbox)
    assert message.get_all("To") == [NORMALIZED]


def woo_order(address: str, status: str, modified_days_ago: int) -> dict[str, Any]:
    order = signers.fixture("woocommerce_order.json")
    order["billing"]["email"] = address
    order.update(
        status=status,
        date_created_gmt=woo_time(3),
        date_paid_gmt=woo_time(3),
        date_modified_gmt=woo_time(modified_days_ago),
    )
    if status == "completed":
        order["date_completed_gmt"] = woo_time(modified_days_ago)
    return order


@pytest.mark.parametrize("address", NOT_ONE_MAILBOX)
def test_a_woocommerce_order_naming_anything_but_one_mailbox_counts_and_nobody_is_asked(api, outbox, table, address):
    # Given a WooCommerce shop
    woo = WooStore(api)
    before = reported_orders(api, woo.shop_id, woo.api_key)
    # When it sends a signed order, then its completion, whose billing email holds that text
    assert woo.send("order.created", woo_order(address, "processing", 3)).status_code == 200
    assert woo.send("order.updated", woo_order(address, "completed", 2)).status_code == 200
    # Then the order counts, and nobody is asked for a review
    assert reported_orders(api, woo.shop_id, woo.api_key) == before + 1
    assert_kept_as_nobody_to_ask(table, woo.shop_id, "7321")
    assert run_due_requests() == 0
    assert outbox_messages(outbox) == []


def test_a_woocommerce_order_with_one_mailbox_gets_one_email_to_it(api, outbox, table):
    woo = WooStore(api)
    woo.send("order.created", woo_order(TYPED, "processing", 3))
    assert woo.send("order.updated", woo_order(TYPED, "completed", 2)).status_code == 200
    assert run_due_requests() == 1
    [message] = outbox_messages(outbox)
    assert message.get_all("To") == [NORMALIZED]


def test_an_order_with_an_odd_email_shape_is_still_refused_for_its_shape(api, outbox, table):
    # A signed body is trusted for who sent it, not for its shape: an email that is an object is a 422
    shop = ReviewShop(api, outbox)
    payload = signers.generic_event("order.created", "o-x", "c-x", email={"to": "a@x.example"}, timestamp=ago(1))
    raw = json.dumps(payload).encode()
    response = api.request(
        "POST",
        f"/webhooks/generic/{shop.shop_id}",
        raw=raw,
        headers=signers.standard_headers(shop.shop["webhook_secret"], raw),
    )
    assert response.status_code == 422
    assert order_item(table, shop.shop_id, "o-x") is None


# --- what the mailers send ------------------------------------------------------------------------------------------
def message_to_many() -> EmailMessage:
    """A message whose headers name other recipients than the one it is sent to."""
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = "stranger@y.example, other@z.example"
    message["Cc"] = "cc@y.example"
    message["Bcc"] = "bcc@y.example"
    message["Subject"] = "How is your order?"
    message.set_content("Hello")
    return message


def test_ses_is_called_with_the_one_recipient_as_its_only_destination():
    import boto3
    from botocore.stub import ANY, Stubber

    from chalicelib.mail.ses import SesMailer

    # Given an SES client that answers one send_raw_email with exactly these parameters
    client = boto3.client("ses", region_name="us-east-1")
    mailer = SesMailer("us-east-1")
    mailer._client = client
    message = message_to_many()
    with Stubber(client) as stub:
        stub.add_response(
            "send_raw_email", {"MessageId": "m-1"}, {"Destinations": [NORMALIZED], "RawMessage": {"Data": ANY}}
        )
        # When the mailer sends to one typed address
        assert mailer.send(message, to=TYPED) == "m-1"
        stub.assert_no_pending_responses()
    # Then the message sent names that mailbox alone: the headers that named others are gone
    assert message.get_all("To") == [NORMALIZED]
    assert message["Cc"] is None and message["Bcc"] is None


@pytest.mark.parametrize("address", NOT_ONE_MAILBOX)
def test_a_mailer_refuses_anything_but_one_mailbox_and_calls_no_service(address, tmp_path):
    import boto3
    from botocore.stub import Stubber

    from chalicelib.mail.errors import MailRefused
    from chalicelib.mail.outbox import OutboxMailer
    from chalicelib.mail.ses import SesMailer

    client = boto3.client("ses", region_name="us-east-1")
    ses = SesMailer("us-east-1")
    ses._client = client
    with Stubber(client), pytest.raises(MailRefused):  # no response queued: any call would fail differently
        ses.send(message_to_many(), to=address)
    with pytest.raises(MailRefused):
        OutboxMailer(str(tmp_path / "outbox")).send(message_to_many(), to=address)
    assert not (tmp_path / "outbox").exists()


@pytest.fixture
def ses_backend(table, monkeypatch):
    """SES on moto, with our sender verified (moto, like SES, refuses an unverified sender)."""
    import boto3
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from chalicelib.config import reset_settings
    from chalicelib.mail import reset_mailer

    monkeypatch.setenv("PROOFLOOP_MAIL_BACKEND", "ses")
    monkeypatch.setenv("PROOFLOOP_MAIL_FROM", SENDER)
    reset_settings()
    reset_mailer()
    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress=SENDER)
    yield ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    reset_mailer()
    reset_settings()


def test_a_due_request_through_ses_goes_to_the_buyers_one_mailbox(api, outbox, table, ses_backend):
    # Given two fulfilled orders: one with one mailbox, one whose email names two
    shop = ReviewShop(api, outbox)
    for order_id, address in (("o-1", TYPED), ("o-2", NOT_ONE_MAILBOX[0])):
        shop.deliver("order.created", order_id, f"c-{order_id}", email=address, created_at=ago(3), timestamp=ago(3))
        shop.deliver("order.fulfilled", order_id, f"c-{order_id}", email=address, created_at=ago(3), timestamp=ago(2))
    # When the due requests run through SES
    assert run_due_requests() == 1
    # Then SES sent one message, addressed to that one mailbox, and nothing to anyone the list named
    [sent] = ses_backend.sent_messages
    assert sent.destinations[0] == NORMALIZED
    assert {d for d in sent.destinations if d != NORMALIZED} == set()  # moto adds the To header's: the same one
    assert email.message_from_string(sent.raw_data)["To"] == NORMALIZED


# --- the console's test send ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("address", [*NOT_ONE_MAILBOX, "owner@trail.example, boss@trail.example"])
def test_a_console_test_send_to_anything_but_one_mailbox_is_refused_beside_the_address(api, outbox, address):
    from tests.unit.test_console import body
    from tests.unit.test_console_emails import Shop, field_error

    owner = Shop(api)
    response = owner.post("email-test", {"to": address})
    assert response.status_code == 422
    assert "one email address" in field_error(body(response), "to")
    assert outbox_messages(outbox) == []


def test_a_console_test_send_goes_to_the_typed_mailbox_normalized(api, outbox):
    from tests.unit.test_console_emails import Shop

    owner = Shop(api)
    assert owner.post("email-test", {"to": f"  {TYPED} "}).status_code == 303
    [message] = outbox_messages(outbox)
    assert message.get_all("To") == [NORMALIZED]


def test_the_outbox_names_sort_in_the_order_the_messages_were_written_across_a_seconds_turn(tmp_path, monkeypatch):
    """Tests and `make run` read the outbox in name order. The clock is read once per name: read twice, a message
    written as a second turned got the earlier second with the next one's fraction and sorted before its elders."""
    import time

    from chalicelib.mail.outbox import OutboxMailer

    # Three messages as a second turns: the third is written 200 ns into the next second.
    readings = iter([1_800_000_000_999_999_000, 1_800_000_000_999_999_500, 1_800_000_001_000_000_200])
    monkeypatch.setattr(time, "time_ns", lambda: next(readings))
    mailer = OutboxMailer(str(tmp_path))
    for n in range(3):
        message = EmailMessage()
        message["Subject"] = f"message {n}"
        message.set_content("text")
        mailer.send(message, f"buyer-{n}@example.com")
    assert [m["Subject"] for m in outbox_messages(tmp_path)] == ["message 0", "message 1", "message 2"]
