"""The console's emails section: the review request and reminder as buyers see them (for an order or a sample,
in any of our languages), the HTML alone in a sandboxed frame, test sends, and the shop's own texts."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.endpoints.console import back, console_page
from chalicelib.http import HttpRequest, HttpResponse, parse_model, read_form
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.auth.sessions import Session
    from chalicelib.console.emails.preview import Choice

# The email's own page, framed by the section: no script at all (and a sandbox even when opened alone), only
# the inline style attributes an email is written with, images as mail clients load them, framed by us alone.
EMAIL_CSP = (
    "default-src 'none'; style-src 'none'; style-src-attr 'unsafe-inline'; img-src 'self' https: data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)
ITEMS = {f"{email}.{kind}": (email, kind) for email in ("request", "reminder") for kind in ("html", "txt")}
NOTICES = {
    "sent": "The test email is on its way: its subject starts with [Test], and its links are preview links.",
    "saved": "Your texts are saved: the preview below uses them.",
}


def _choice(values: dict[str, str]) -> tuple[Choice, dict[str, str]]:
    from chalicelib.console.emails.preview import read_choice

    return read_choice(
        values.get("order", ""), values.get("order_id", ""), values.get("lang", ""), values.get("email", "request")
    )


def _section(
    session: Session,
    choice: Choice,
    problems: dict[str, str] | None = None,
    status: int = 200,
    notice: str | None = None,
    sent_to: str = "",
    texts: dict[str, str] | None = None,
    retry_after: int = 0,
) -> HttpResponse:
    from chalicelib.config import get_settings
    from chalicelib.console.emails.preview import EMAILS, LANGUAGE_NAMES, build_preview, offered_orders
    from chalicelib.console.emails.texts import default_subjects, texts_values
    from chalicelib.store.keys import TRIAL_MAILS_PER_HOUR
    from chalicelib.store.shop_settings import EMAIL_TEXTS
    from chalicelib.web.i18n import translate

    table, shop = get_table(), session.shop
    problems = dict(problems or {})
    preview = None
    try:
        preview = build_preview(table, shop, choice)
    except errors.NotFound as exc:
        problems.setdefault("order_id", exc.message)
        status = 404 if status < 400 else status
    language = preview.language if preview else (choice.language or shop.settings.language)
    base = f"{get_settings().base_url}/shops/{shop.shop_id}/dashboard/emails"
    frame_query = replace(choice, email="request").query()  # the email is the page's own name
    response = console_page(
        "console_emails.html",
        session,
        "emails",
        status=status,
        policy={"frames": True},
        choice=choice,
        preview=preview,
        orders=offered_orders(table, shop.shop_id),
        emails=EMAILS,
        languages=LANGUAGE_NAMES,
        shop_language=shop.settings.language,
        html_url=f"{base}/{choice.email}.html{frame_query}",
        text_url=f"{base}/{choice.email}.txt{frame_query}",
        errors=problems,
        notice=notice,
        sent_to=sent_to,
        per_hour=TRIAL_MAILS_PER_HOUR,
        texts_language=language,
        text_fields=EMAIL_TEXTS,
        texts=texts if texts is not None else texts_values(shop, language),
        default_subjects=default_subjects(shop, language),
        default_share_prompt=translate(language, "Share your review with friends"),
    )
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def section_page(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.emails.models import PreviewChoice

    query = parse_model(PreviewChoice, request.query)
    choice, problems = _choice(query.model_dump())
    notice = next((text for flag, text in NOTICES.items() if request.query.get(flag) == "1"), None)
    return _section(session, choice, problems, status=400 if problems else 200, notice=notice)


def item_page(request: HttpRequest, session: Session) -> HttpResponse:
    """One email alone (request.html, reminder.txt...), as the section frames it or the owner opens it."""
    from chalicelib.console.emails.models import PreviewChoice
    from chalicelib.console.emails.preview import Choice, build_preview

    item = request.path_params["item"]
    if item not in ITEMS:
        raise errors.NotFound(f"no email {item!r}; one of {', '.join(ITEMS)}", code="no_email")
    email, kind = ITEMS[item]
    query = parse_model(PreviewChoice, request.query)
    choice, problems = _choice({**query.model_dump(), "email": email})
    if problems:
        field, problem = next(iter(problems.items()))
        raise errors.BadRequest(f"{field}: {problem}")
    preview = build_preview(get_table(), session.shop, Choice(choice.order_id, choice.language, email))
    return HttpResponse(
        status=200,
        body=preview.html if kind == "html" else preview.text,
        headers={
            "Content-Type": "text/html; charset=utf-8" if kind == "html" else "text/plain; charset=utf-8",
            "Content-Language": preview.language,
            "Content-Security-Policy": EMAIL_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


def dashboard_send_test_email(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.emails.models import SendTestForm
    from chalicelib.console.emails.preview import send_trial

    form = parse_model(SendTestForm, read_form(request))
    choice, problems = _choice(form.model_dump())
    if problems:
        return _section(session, choice, problems, status=422, sent_to=form.to)
    outcome = send_trial(get_table(), session.shop, choice, form.to)
    if outcome.errors:
        return _section(
            session, choice, outcome.errors, status=outcome.status, sent_to=form.to, retry_after=outcome.retry_after
        )
    return back(session.shop.shop_id, section="emails", query=choice.query(sent="1"))


def dashboard_save_email_texts(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.emails.models import EmailTextsForm
    from chalicelib.console.emails.preview import Choice
    from chalicelib.console.emails.texts import save_email_texts
    from chalicelib.store.shop_settings import EMAIL_TEXTS

    form = parse_model(EmailTextsForm, read_form(request))
    choice, _ = _choice(form.model_dump())
    texts: dict[str, Any] = form.model_dump(include={*EMAIL_TEXTS, "share_prompt"})
    updated, problems = save_email_texts(get_table(), session.shop, form.language, texts)
    # The preview goes on in the language just written, whatever the order's own.
    shown = Choice(choice.order_id, form.language if not problems or "language" not in problems else "", choice.email)
    if updated is None:
        return _section(session, shown, problems, status=422, texts=texts)
    return back(session.shop.shop_id, section="emails", query=shown.query(saved="1"))
