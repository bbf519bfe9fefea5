"""The review widget's words in one language, sent with the public listing (`texts`): the widget says them as
they are, so a French storefront shows French to its buyers.

The numbers the server knows are already in the words, formatted for the language and in its plural form (the
count, the average, the shop's answers line). Words that need a review's own values are templates with named
placeholders (`{author}`, `{index}`, `{count}`, `{rating}`) that the widget fills, as text only.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.web.i18n import format_number, format_percent, translate, translate_plural
from chalicelib.web.languages import Language, buyer_language, language_of


def listing_language(tag: object, shop_language: str | None) -> Language:
    """The language of the listing's words: the page's (`lang`, `fr-CA` -> fr) when it is one of ours, else the
    shop's. A tag that is unknown, garbage or too long is no error: it falls back."""
    return buyer_language(language_of(tag), shop_language)


def widget_texts(language: str, aggregate: dict[str, Any], answers: dict[str, Any] | None) -> dict[str, str]:
    """The widget's words in `language`; the count and average only with a review, the answers line only with
    the shop's answers."""
    texts = {
        "language": language,
        "region": translate(language, "Customer reviews"),
        "stars": translate(language, "%(rating)s out of 5 stars", rating="{rating}"),
        "verified": translate(language, "Verified buyer"),
        "reply": translate(language, "Reply from the shop"),
        "photos": translate(language, "Photos from %(author)s", author="{author}"),
        "view_photo": translate(
            language,
            "View photo %(index)s of %(count)s from %(author)s",
            index="{index}",
            count="{count}",
            author="{author}",
        ),
        "photo": translate(
            language,
            "Photo %(index)s of %(count)s from %(author)s",
            index="{index}",
            count="{count}",
            author="{author}",
        ),
        # Translators: the photo viewer's button to the previous photo
        "previous": translate(language, "Previous"),
        # Translators: the photo viewer's button to the next photo
        "next": translate(language, "Next"),
        # Translators: the photo viewer's button that closes it
        "close": translate(language, "Close"),
        "more": translate(language, "More reviews"),
    }
    count = int(aggregate.get("count") or 0)
    if count and aggregate.get("average") is not None:
        # One decimal rounded half up, as the widget has always shown it (4.25: "4.3")
        tenths = Decimal(str(aggregate["average"])).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        average = format_number(float(tenths), language, places=1)
        texts["average"] = translate(language, "%(average)s out of 5", average=average)
        texts["count"] = translate_plural(
            language, "%(num)s review", "%(num)s reviews", count, num=format_number(count, language)
        )
    else:
        texts["none"] = translate(language, "No reviews yet.")
    if answers is not None:
        texts["answers"] = answers_line(language, answers)
    return texts


def answers_line(language: str, answers: dict[str, Any]) -> str:
    """ "Answers 96% of reviews, usually within a day": the shop's share of reviews answered in public and its
    median time to the first reply (hours, the upper edge of a bucket), as the widget has always worded it."""
    whole = Decimal(str(answers["rate"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    rate = format_percent(float(whole), language)
    hours = answers.get("median_hours")
    if hours is None:
        return translate(language, "Answers %(rate)s of reviews", rate=rate)
    if hours <= 1:
        return translate(language, "Answers %(rate)s of reviews, usually within an hour", rate=rate)
    if hours <= 24:
        return translate(language, "Answers %(rate)s of reviews, usually within a day", rate=rate)
    days = math.ceil(hours / 24)
    return translate_plural(
        language,
        "Answers %(rate)s of reviews, usually within %(num)s day",
        "Answers %(rate)s of reviews, usually within %(num)s days",
        days,
        rate=rate,
        num=format_number(days, language),
    )
