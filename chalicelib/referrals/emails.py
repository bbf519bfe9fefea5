"""The one email a friend gets: the code they claimed, in their language, from the shop."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from email.message import EmailMessage

    from chalicelib.store.claims import FriendClaim
    from chalicelib.store.shop_records import Shop


def compose_friend_code(shop: Shop, claim: FriendClaim) -> EmailMessage:
    """The friend's code, the offer, and the link that applies it; addressed to the one mailbox they gave."""
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formataddr, make_msgid

    from chalicelib.config import get_settings
    from chalicelib.mail.mailbox import mailbox
    from chalicelib.referrals.offers import minimum_text, offer_of, offer_text, shop_with_code
    from chalicelib.sharing.links import home_url
    from chalicelib.web.i18n import translate
    from chalicelib.web.languages import buyer_language
    from chalicelib.web.render import render

    settings = get_settings()
    language = buyer_language(claim.language, shop.settings.language)
    offer = offer_of(shop)
    context = {
        "shop_name": shop.name,
        "code": claim.code,
        "offer": offer_text(offer, language),
        "minimum": minimum_text(offer, language),
        "shop_url": shop_with_code(shop, claim.code, claim.destination or home_url(shop)),
        "terms": shop.settings.referral.terms,
    }
    message = EmailMessage(policy=SMTP.clone(max_line_length=998))
    subject = translate(language, "Your code for %(shop)s: %(offer)s", shop=shop.name, offer=context["offer"])
    message["Subject"] = " ".join(re.split(r"[^\S\u00a0]+", subject.strip()))
    message["From"] = formataddr((" ".join(shop.name.split()), settings.mail_sender))
    if to := mailbox(claim.email):
        message["To"] = Address(addr_spec=to)
    message["Message-ID"] = make_msgid(domain=settings.mail_sender.split("@")[-1])
    message["X-Proofloop-Claim"] = f"{shop.shop_id}/{claim.share_code}"
    message.set_content(render("email_friend_code.txt", language=language, **context))
    message.add_alternative(render("email_friend_code.html", language=language, **context), subtype="html")
    message["Content-Language"] = language
    return message
