"""The languages buyers are written to in, read from what a storefront or a browser sends (plain code, no Babel).

Webhooks load this module, so it stays light: a tag is reduced to one of LANGUAGES or None, never refused.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "es", "fr", "de", "pt"]
LANGUAGES: tuple[Language, ...] = ("en", "es", "fr", "de", "pt")
DEFAULT_LANGUAGE: Language = "en"

MAX_TAG_LENGTH = 35  # BCP 47 tags in use are far shorter; a longer value is not a tag
# "fr", "fr-CA", "pt_BR", "de-DE-1996", "zh-Hant-TW"; an optional ".UTF-8" as POSIX locales carry it.
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*(?:\.[A-Za-z0-9-]{1,16})?$")

# A billing country whose buyers we write to in one of our languages; any other country tells us nothing.
COUNTRY_LANGUAGES: dict[str, Language] = {
    **dict.fromkeys(("US", "GB", "IE", "AU", "NZ"), "en"),
    **dict.fromkeys(
        ("ES", "MX", "AR", "CO", "CL", "PE", "VE", "EC", "GT", "CU", "BO", "DO", "HN", "PY", "SV", "NI", "CR", "PA"),
        "es",
    ),
    **dict.fromkeys(("UY", "PR"), "es"),
    **dict.fromkeys(("FR", "MC"), "fr"),
    **dict.fromkeys(("DE", "AT", "LI"), "de"),
    **dict.fromkeys(("PT", "BR", "AO", "MZ"), "pt"),
}


def language_of(tag: object) -> Language | None:
    """The language we write in for a locale tag (`fr`, `fr-CA`, `pt_BR`), or None: unknown or garbage."""
    if not isinstance(tag, str):
        return None
    text = tag.strip()
    if len(text) > MAX_TAG_LENGTH:
        return None
    match = _TAG.match(text)
    if match is None:
        return None
    primary = match.group(1).lower()
    return next((language for language in LANGUAGES if language == primary), None)


def country_language(country: object) -> Language | None:
    """The language of a billing country (ISO 3166 alpha-2), when it is one of ours."""
    if not isinstance(country, str):
        return None
    return COUNTRY_LANGUAGES.get(country.strip().upper())


def accepted_language(header: str) -> Language | None:
    """The browser's most preferred language of ours (Accept-Language), or None."""
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        language = language_of(tag)
        if language is not None and weight > 0:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else None


def buyer_language(*choices: str | None) -> Language:
    """The first of `choices` we write in (the order's language, then the shop's), else the default."""
    return next((language for choice in choices for language in LANGUAGES if choice == language), DEFAULT_LANGUAGE)
