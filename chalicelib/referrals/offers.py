"""The friend's offer: as the API answers it, in words in the friend's language ("10% off your first order"), and
the link that applies its code at the shop."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop


def money(value: str, currency: str | None, language: str) -> str:
    """The number in the language's way (with its currency when given). A whole number from 1 to 999 without a
    currency (a percent such as 10 or 15) is its digits in every language of ours, as Babel writes it: the friend's
    page of a percent offer then loads no Babel, whose import and locale data cost its cold start about 4 MiB and
    a tenth of the floor's time (bench/cold_start.py)."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if not currency and number.is_finite() and number == number.to_integral_value() and 0 < number < 1000:
        return str(int(number))
    from babel.numbers import format_currency, format_decimal

    from chalicelib.web.i18n import supported

    if currency:
        return str(format_currency(number, currency, locale=supported(language)))
    return str(format_decimal(number, locale=supported(language)))


def offer_text(offer: dict[str, Any], language: str) -> str:
    """What the friend gets, as one phrase."""
    from chalicelib.web.i18n import translate

    if offer["type"] == "percent":
        return translate(language, "%(value)s%% off your first order", value=money(offer["value"], None, language))
    amount = money(offer["value"], offer.get("currency"), language)
    return translate(language, "%(amount)s off your first order", amount=amount)


def minimum_text(offer: dict[str, Any], language: str) -> str:
    """The offer's minimum order as a sentence, or "" when there is none."""
    from chalicelib.web.i18n import translate

    try:
        if Decimal(offer.get("minimum_order") or "0") <= 0:
            return ""
    except InvalidOperation:
        return ""
    minimum = money(offer["minimum_order"], offer.get("currency"), language)
    return translate(language, "For an order of %(minimum)s or more.", minimum=minimum)


def offer_of(shop: Shop) -> dict[str, Any]:
    """The friend's offer as the API and the page show it."""
    offer = shop.settings.referral.friend_offer
    shown: dict[str, Any] = {"type": offer.type, "value": str(offer.value), "minimum_order": str(offer.minimum_order)}
    if offer.type == "amount":
        shown["currency"] = offer.currency
    return shown


def friend_key(address: str) -> str:
    """The keyed hash a claim is kept under: never the address itself."""
    from chalicelib.signing import keyed_hash

    return keyed_hash("friend-claim", address.lower())


def friend_holder(friend: str) -> str:
    """Who a friend's code is handed to in the pool (store/referral_codes.py): the friend's keyed hash, marked."""
    return f"friend:{friend}"


def shop_with_code(shop: Shop, code: str | None, destination: str) -> str:
    """Where the friend goes on to shop: on Shopify, the store's own /discount/<code> link, which applies the
    code at checkout and then shows the page the link pointed at; elsewhere the page itself."""
    if not code or shop.platform != "shopify":
        return destination
    parts = urlsplit(destination)
    onward = parts.path or "/"
    if parts.query:
        onward += "?" + parts.query
    return f"{parts.scheme}://{parts.netloc}/discount/{quote(code, safe='')}?redirect={quote(onward, safe='')}"
