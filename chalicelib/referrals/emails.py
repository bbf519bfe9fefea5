"""The program's emails: the one a friend gets with the code they claimed, and the advocate's reward with theirs;
each in its reader's language, from the shop."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

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


def compose_advocate_reward(shop: Shop, reward: dict[str, Any], customer: dict[str, Any], to: str) -> EmailMessage:
    """The advocate's reward: their code, what it is worth, their link to share again, in their language (the
    customer record's), with the one-click unsubscribe the review request carries."""
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formataddr, make_msgid

    from chalicelib.config import get_settings
    from chalicelib.referrals.offers import money
    from chalicelib.reviews.tokens import unsubscribe_token
    from chalicelib.web.i18n import translate
    from chalicelib.web.languages import buyer_language
    from chalicelib.web.render import render

    settings = get_settings()
    language = buyer_language(customer.get("language"), shop.settings.language)
    if reward.get("reward_type") == "percent":
        percent = money(str(reward["reward_setting"]), None, language)
        worth = translate(language, "%(value)s%% off your next order", value=percent)
    else:
        amount = money(str(reward["value"]), str(reward["currency"]), language)
        worth = translate(language, "%(amount)s off your next order", amount=amount)
    share = customer.get("share_code")
    unsubscribe_url = f"{settings.base_url}/u/{unsubscribe_token(shop.shop_id, str(customer['customer_id']))}"
    context = {
        "shop_name": shop.name,
        "code": reward["code"],
        "worth": worth,
        "share_url": f"{settings.base_url}/s/{share}" if share else None,
        "terms": shop.settings.referral.terms,
        "unsubscribe_url": unsubscribe_url,
    }
    message = EmailMessage(policy=SMTP.clone(max_line_length=998))
    subject = translate(language, "Your reward from %(shop)s: %(worth)s", shop=shop.name, worth=worth)
    message["Subject"] = " ".join(re.split(r"[^\S\u00a0]+", subject.strip()))
    message["From"] = formataddr((" ".join(shop.name.split()), settings.mail_sender))
    message["To"] = Address(addr_spec=to)
    message["Message-ID"] = make_msgid(domain=settings.mail_sender.split("@")[-1])
    message["X-Proofloop-Reward"] = f"{shop.shop_id}/{reward['reward_id']}"
    # The unsubscribe the mail clients honour, as the review request's: a one-click POST to our link (RFC 8058).
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(render("email_advocate_reward.txt", language=language, **context))
    message.add_alternative(render("email_advocate_reward.html", language=language, **context), subtype="html")
    message["Content-Language"] = language
    return message
