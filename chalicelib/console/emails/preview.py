"""The review request and reminder as a buyer sees them, composed by the code that sends them, for an order of
the shop or a sample; and the owner's test sends of them, capped per hour."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalicelib import errors
from chalicelib.web.languages import LANGUAGES, buyer_language

if TYPE_CHECKING:
    from email.message import EmailMessage

    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

EMAILS: dict[str, str] = {"request": "Review request", "reminder": "Reminder"}
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese"}
MAX_ORDER_ID = 128
TEST_PREFIX = "[Test] "
# The sample's made-up buyer: example.com is reserved, so nothing is ever delivered to it.
SAMPLE_BUYER = {"order_id": "sample", "customer_id": "sample", "name": "Alex Sample", "email": "alex@example.com"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Choice:
    """Which email to show: of an order ("" for the sample), in a language ("" as it would be sent)."""

    order_id: str = ""
    language: str = ""
    email: str = "request"

    @property
    def reminder(self) -> bool:
        return self.email == "reminder"

    def query(self, **extra: str) -> str:
        """The choice as a query string ("?order=...&lang=..."), for links and the redirect after a form."""
        values = {"order": self.order_id, "lang": self.language, "email": self.email, **extra}
        kept = {k: v for k, v in values.items() if v and not (k == "email" and v == "request")}
        return "?" + urlencode(kept) if kept else ""


def read_choice(order: str, order_id: str, lang: str, email: str) -> tuple[Choice, dict[str, str]]:
    """The choice a query or form names (a typed order id wins over the list), and the errors by field; a
    field in error falls back to its default."""
    problems: dict[str, str] = {}
    chosen = order_id.strip() or order.strip()
    if len(chosen) > MAX_ORDER_ID or _CONTROL.search(chosen):
        problems["order_id"] = f"an order id is at most {MAX_ORDER_ID} characters on one line"
        chosen = ""
    if lang not in ("", *LANGUAGES):
        problems["lang"] = "choose one of " + ", ".join(LANGUAGES)
        lang = ""
    if email not in EMAILS:
        problems["email"] = "choose the request or the reminder"
        email = "request"
    return Choice(chosen, lang, email), problems


def offered_orders(table: Table, shop_id: str) -> list[dict[str, Any]]:
    """Orders to choose from: a page of the shop's orders with buyer details, newest first by their date."""
    from chalicelib.store.console_choices import some_orders

    found = [o for o in some_orders(table, shop_id) if _previewable(o)]
    return sorted(found, key=lambda o: str(o.get("created_at") or ""), reverse=True)


def _previewable(order: dict[str, Any]) -> bool:
    return bool(order.get("known")) and not order.get("redacted") and bool(order.get("email"))


def order_for(table: Table, shop: Shop, order_id: str) -> dict[str, Any]:
    """The order as stored (its buyer, language and items), or 404 when there is none to preview."""
    from chalicelib.store.console_choices import one_order

    order = one_order(table, shop.shop_id, order_id)
    if order is None:
        raise errors.NotFound(f"this shop has no order {order_id!r}", code="order_not_found")
    if order.get("redacted"):
        raise errors.NotFound(f"order {order_id!r} was erased at the buyer's request", code="order_not_found")
    if not _previewable(order):
        raise errors.NotFound(f"order {order_id!r} has no buyer details yet", code="order_not_found")
    return order


def sample_order(table: Table, shop: Shop) -> dict[str, Any]:
    """A made-up buyer's order of a few of the shop's products (one unnamed item when it has none yet)."""
    from chalicelib.store.console_choices import some_products

    items = [
        {"product_id": str(p["product_id"]), "title": str(p.get("title") or ""), "quantity": 1}
        for p in some_products(table, shop.shop_id)
        if p.get("product_id")
    ]
    return {**SAMPLE_BUYER, "items": items or [{"product_id": "sample", "title": "", "quantity": 1}]}


@dataclass(frozen=True)
class Preview:
    choice: Choice
    sample: bool
    language: str  # the language the email is written in
    order_language: str  # the language the buyer would be written to, without the choice's
    subject: str
    sender: str
    to: str
    html: str
    text: str
    items: list[str]  # the order's items' titles ("" for an item without one)


def compose_preview(shop: Shop, order: dict[str, Any], choice: Choice) -> EmailMessage:
    """The email exactly as the email channel composes it, but in the chosen language and with preview links."""
    from chalicelib.reviews.channels.email import compose

    given = {**order, "language": choice.language} if choice.language else order
    return compose(shop, given, choice.reminder, preview=True)


def build_preview(table: Table, shop: Shop, choice: Choice) -> Preview:
    """The chosen email, its parts and headers; 404 for an order there is none of."""
    order = order_for(table, shop, choice.order_id) if choice.order_id else sample_order(table, shop)
    message = compose_preview(shop, order, choice)
    html, text = message_parts(message)
    return Preview(
        choice=choice,
        sample=not choice.order_id,
        language=str(message["Content-Language"]),
        order_language=buyer_language(order.get("language"), shop.settings.language),
        subject=str(message["Subject"]),
        sender=str(message["From"]),
        to=str(message["To"] or ""),
        html=html,
        text=text,
        items=[str(i.get("title") or "") for i in order.get("items") or []],
    )


def message_parts(message: EmailMessage) -> tuple[str, str]:
    """The HTML and the text of a composed email."""
    html, text = message.get_body(("html",)), message.get_body(("plain",))
    assert html is not None and text is not None  # compose writes both
    return str(html.get_content()), str(text.get_content())


def read_address(address: str) -> tuple[str | None, str | None]:
    """The one mailbox `address` names, normalized, or why it is not one we send a test to. As every address from
    outside: no list, no group, no display name, nothing a header could be split on."""
    from chalicelib.mail.mailbox import mailbox

    if not address.strip():
        return None, "enter the address to send the test to"
    recipient = mailbox(address)
    if recipient is None:
        return None, "enter one email address, such as you@example.com"
    return recipient, None


def check_address(address: str) -> str | None:
    """Why `address` is not one email address we send a test to, or None."""
    return read_address(address)[1]


@dataclass(frozen=True)
class TrialOutcome:
    """A test send: sent, or refused with the errors by field and the status of the page that says so."""

    errors: dict[str, str]
    status: int = 200
    retry_after: int = 0


def send_trial(table: Table, shop: Shop, choice: Choice, address: str) -> TrialOutcome:
    """Send the previewed email to `address` as a test: "[Test]" before its subject, preview links, no order
    marked as asked; at most keys.TRIAL_MAILS_PER_HOUR a shop and hour, so the console relays no spam."""
    from chalicelib import clock
    from chalicelib.mail import get_mailer
    from chalicelib.mail.errors import MailRefused
    from chalicelib.store.console_choices import count_trial_mail
    from chalicelib.store.keys import TRIAL_MAIL_TTL_SECONDS, TRIAL_MAILS_PER_HOUR

    recipient, problem = read_address(address)
    if recipient is None:
        return TrialOutcome({"to": problem or ""}, 422)
    try:
        order = order_for(table, shop, choice.order_id) if choice.order_id else sample_order(table, shop)
    except errors.NotFound as exc:
        return TrialOutcome({"order_id": exc.message}, 404)
    now = clock.now()
    if not count_trial_mail(
        table, shop.shop_id, now.strftime("%Y-%m-%dT%H"), TRIAL_MAILS_PER_HOUR, clock.epoch() + TRIAL_MAIL_TTL_SECONDS
    ):
        wait = 3600 - (now.minute * 60 + now.second)
        refusal = (
            f"{TRIAL_MAILS_PER_HOUR} test emails an hour at most: the next can go in {max(wait // 60, 1)} min"
            f" (at {(now.hour + 1) % 24:02d}:00 UTC)"
        )
        return TrialOutcome({"to": refusal}, 429, wait)
    message = compose_preview(shop, {**order, "email": recipient}, choice)
    subject = str(message["Subject"])
    del message["Subject"]
    message["Subject"] = TEST_PREFIX + subject
    del message["X-Proofloop-Order"]  # nothing reads a test as an order's email
    message["X-Proofloop-Test"] = f"{shop.shop_id}/{order['order_id']}"
    try:
        get_mailer().send(message, to=recipient)
    except MailRefused as exc:
        return TrialOutcome({"to": f"the mail service refused it: {exc}"}, 422)
    return TrialOutcome({})
