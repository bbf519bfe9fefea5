"""The buyer's language: compiled gettext catalogs (chalicelib/locales) and dates and numbers formatted by Babel.

Messages are read with the standard library's gettext from the .mo files `make` compiles from the committed .po
catalogs; Babel (large) is imported only where a date or a number is formatted.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from chalicelib.web.languages import DEFAULT_LANGUAGE, LANGUAGES

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"  # the language the messages are written in, in the templates and the code


def supported(language: str | None) -> str:
    """`language` when we write in it, else the default."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of one of our languages."""
    language = supported(language)
    # No fallback: a package without its compiled catalogs must fail loudly, not speak English to everyone.
    return gettext.translation(DOMAIN, localedir=str(LOCALES), languages=[language])


def translate(language: str, message: str, **values: object) -> str:
    """One message in the language, its %(name)s placeholders filled."""
    text = translations(language).gettext(message)
    return text % values if values else text


def translate_plural(language: str, singular: str, plural: str, count: int, **values: object) -> str:
    """One message in the language's plural form for `count` (its catalog's Plural-Forms), its %(name)s
    placeholders filled; %(num)s is the count unless `values` give it (the count formatted, say)."""
    text = translations(language).ngettext(singular, plural, count)
    return text % {"num": count, **values}


def _as_date(value: str | date | datetime) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def format_day(value: str | date | datetime, language: str) -> str:
    """A day as people of that language write it in a sentence ("14 novembre 2026", "November 14, 2026")."""
    from babel.dates import format_date

    return format_date(_as_date(value), format="long", locale=supported(language))


def format_number(value: int | float, language: str, places: int | None = None) -> str:
    """A number with the language's separators (1,234.5 / 1 234,5 / 1.234,5); `places`: exactly that many
    decimals (4.5 with 1: "4.5" / "4,5")."""
    from babel.numbers import format_decimal

    pattern = None if places is None else "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=supported(language))


def format_percent(value: float, language: str) -> str:
    """A share as a whole percentage the language's way (0.96: "96%" / "96 %" / "96 %")."""
    from babel.numbers import format_percent as babel_percent

    return babel_percent(value, locale=supported(language))
