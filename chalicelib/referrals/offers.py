"""The friend's offer in words, in the friend's language: "10% off your first order", "€5.00 off your first order"."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def _money(value: str, currency: str | None, language: str) -> str:
    from babel.numbers import format_currency, format_decimal

    from chalicelib.web.i18n import supported

    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if currency:
        return str(format_currency(number, currency, locale=supported(language)))
    return str(format_decimal(number, locale=supported(language)))


def offer_text(offer: dict[str, Any], language: str) -> str:
    """What the friend gets, as one phrase."""
    from chalicelib.web.i18n import translate

    if offer["type"] == "percent":
        return translate(language, "%(value)s%% off your first order", value=_money(offer["value"], None, language))
    amount = _money(offer["value"], offer.get("currency"), language)
    return translate(language, "%(amount)s off your first order", amount=amount)


def minimum_text(offer: dict[str, Any], language: str) -> str:
    """The offer's minimum order as a sentence, or "" when there is none."""
    from chalicelib.web.i18n import translate

    try:
        if Decimal(offer.get("minimum_order") or "0") <= 0:
            return ""
    except InvalidOperation:
        return ""
    minimum = _money(offer["minimum_order"], offer.get("currency"), language)
    return translate(language, "For an order of %(minimum)s or more.", minimum=minimum)
