"""The email channel: the request as a multipart email with one-click unsubscribe, sent by chalicelib/mail."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from email.message import EmailMessage

    from chalicelib.store.shop_records import Shop


class EmailChannel:
    """Email to the one mailbox the order names: the outbox folder locally, SES on AWS (chalicelib/mail)."""

    name = "email"
    service = "the mail service"

    def address(self, order: dict[str, Any], customer: dict[str, Any]) -> str | None:
        from chalicelib.mail.mailbox import mailbox

        return mailbox(order.get("email"))

    def compose(self, shop: Shop, order: dict[str, Any], reminder: bool, preview: bool = False) -> EmailMessage:
        return compose(shop, order, reminder, preview)

    def send(self, message: EmailMessage, to: str) -> str:
        from chalicelib.mail import get_mailer

        return get_mailer().send(message, to=to)

    def unsubscribe_link(self, message: EmailMessage) -> str | None:
        header = message["List-Unsubscribe"]
        return str(header).strip("<>") if header else None


def compose(shop: Shop, order: dict[str, Any], reminder: bool, preview: bool = False) -> EmailMessage:
    """The request email: the same for every buyer (in their language, else the shop's), with a signed review
    link, one-click unsubscribe and, with the shop's referral program on, the link to the buyer's share page. The
    shop's own subject and intro for that language replace ours.
    A `preview` (the console's) is the same email whose links are signed for previews only: no buyer's page
    takes them."""
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formataddr, make_msgid

    from chalicelib.config import get_settings
    from chalicelib.mail.mailbox import mailbox
    from chalicelib.reviews.channels.base import links
    from chalicelib.web.languages import buyer_language
    from chalicelib.web.render import render

    settings = get_settings()
    language = buyer_language(order.get("language"), shop.settings.language)
    kind = "reminder" if reminder else "request"
    signed = links(shop, order, preview)
    context = {
        "shop_name": shop.name,
        "name": (order.get("name") or "").split(" ")[0],
        "items": order.get("items") or [],
        "review_url": signed.review_url,
        "unsubscribe_url": signed.unsubscribe_url,
        # With the referral program on, every buyer's email, the same whatever they review, offers their share page.
        "refer_url": signed.refer_url if shop.settings.referral.enabled else None,
        "reminder": reminder,
        "intro": shop.settings.email_text(language, f"{kind}_intro"),
    }
    # Long header lines (the unsubscribe URL) must stay plain, not folded into encoded words.
    message = EmailMessage(policy=SMTP.clone(max_line_length=998))
    subject = shop.settings.email_text(language, f"{kind}_subject") or default_subject(language, shop.name, reminder)
    # No header injection through a shop name: every run of white space is one space, but the no-break spaces
    # French puts before "?" and ":".
    message["Subject"] = " ".join(re.split(r"[^\S\u00a0]+", subject.strip()))
    message["From"] = formataddr((" ".join(shop.name.split()), settings.mail_sender))
    # One mailbox, from the validated value alone (never the stored text parsed as a list); none, no To at all.
    if to := mailbox(order.get("email")):
        message["To"] = Address(addr_spec=to)
    message["Message-ID"] = make_msgid(domain=settings.mail_sender.split("@")[-1])
    # The unsubscribe the mail clients honour: their own button, a one-click POST to our link (RFC 8058).
    message["List-Unsubscribe"] = f"<{signed.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-Proofloop-Order"] = f"{shop.shop_id}/{order['order_id']}"
    message.set_content(render("email_request.txt", language=language, **context))
    message.add_alternative(render("email_request.html", language=language, **context), subtype="html")
    message["Content-Language"] = language  # after the content: setting it clears Content-* headers
    return message


def default_subject(language: str, shop_name: str, reminder: bool) -> str:
    """Our subject of the request (or the reminder) in a language, when the shop wrote none of its own."""
    from chalicelib.web.i18n import translate

    if reminder:
        return translate(language, "Reminder: how is your order from %(shop)s?", shop=shop_name)
    return translate(language, "How is your order from %(shop)s?", shop=shop_name)
