"""The shop's own subject and intro of its emails, per language, saved through the code and checks of PATCH
/shops/{id} (settings.email_texts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.store.shop_settings import EMAIL_TEXTS
from chalicelib.web.languages import LANGUAGES

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table


SHARE_PROMPT = "share_prompt"  # the form's field for settings.share_prompt.<language>, beside the emails' texts


def texts_values(shop: Shop, language: str) -> dict[str, str]:
    """What the form shows for one language: the shop's texts, empty where ours are used."""
    values = {name: shop.settings.email_text(language, name) for name in EMAIL_TEXTS}
    values[SHARE_PROMPT] = str(getattr(shop.settings.share_prompt, language, "") or "")
    return values


def default_subjects(shop: Shop, language: str) -> dict[str, str]:
    """Our subjects in the language, shown where the shop's own are empty."""
    from chalicelib.reviews.channels.email import default_subject

    return {
        "request_subject": default_subject(language, shop.name, reminder=False),
        "reminder_subject": default_subject(language, shop.name, reminder=True),
    }


def _one_paragraph(text: str) -> str:
    """An intro typed in a text box, its line breaks as spaces: the email has one paragraph for it."""
    return " ".join(part.strip() for part in text.replace("\r\n", "\n").split("\n") if part.strip())


def save_email_texts(
    table: Table, shop: Shop, language: str, texts: dict[str, str]
) -> tuple[Shop | None, dict[str, str]]:
    """One language's texts replace what the shop had for it (all empty: ours again), and its share prompt's words,
    by the change PATCH makes and its checks; the updated shop, or the errors by field."""
    from pydantic import ValidationError

    from chalicelib.http import validation_failed
    from chalicelib.shops.models import ShopUpdate
    from chalicelib.shops.service import update_shop

    if language not in LANGUAGES:
        return None, {"language": "choose one of " + ", ".join(LANGUAGES)}
    mine = {name: texts.get(name, "").strip() for name in EMAIL_TEXTS}
    for name in ("request_intro", "reminder_intro"):
        mine[name] = _one_paragraph(mine[name])
    every = {lang: dict(values) for lang, values in shop.settings.email_texts.items() if lang != language}
    if any(mine.values()):
        every[language] = mine
    prompt = " ".join(texts.get(SHARE_PROMPT, "").split())  # one line, as the page shows it
    try:
        change = ShopUpdate(settings={"email_texts": every, "share_prompt": {language: prompt}})
        return update_shop(table, shop, change), {}
    except ValidationError as exc:
        return None, _by_field(validation_failed(exc))
    except errors.ValidationFailed as exc:
        return None, _by_field(exc)
    except errors.Conflict as exc:
        return None, {"request_subject": f"{exc.message}: try again"}


def _by_field(exc: errors.ValidationFailed) -> dict[str, str]:
    """A refusal's problems by the form's field: `email_texts.fr.request_subject` is `request_subject`."""
    found: dict[str, str] = {}
    for problem in exc.details or []:
        field = str(problem.get("field", ""))
        name = SHARE_PROMPT if SHARE_PROMPT in field.split(".") else field.split(".")[-1]
        known = name in EMAIL_TEXTS or name == SHARE_PROMPT
        found.setdefault(name if known else "request_subject", str(problem.get("problem", "")))
    return found or {"request_subject": exc.message}
