"""The owner's console: sign in with the API key into a session cookie; the overview, connect, settings and
feed sections and their forms (each CSRF-checked); moderation; sign out."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.console.console import SECTIONS
from chalicelib.endpoints.console import back, console_page
from chalicelib.http import HttpRequest, HttpResponse, parse_model, read_form
from chalicelib.routes import MODERATION_ACTIONS, SECTION_MODULES
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.auth.sessions import Session
    from chalicelib.store.shop_records import Shop


def _overview(
    request: HttpRequest, session: Session, status: int = 200, reply_error: dict[str, str] | None = None
) -> HttpResponse:
    from urllib.parse import urlencode

    from chalicelib.console import charts
    from chalicelib.console import service as dash
    from chalicelib.endpoints.console_customers import linked
    from chalicelib.parked import parked_items
    from chalicelib.reports.service import advocates_page, build_report, period, program_figures
    from chalicelib.reviews.owner import list_reviews

    table, shop = get_table(), session.shop
    first, last = period(shop, request.query.get("from") or None, request.query.get("to") or None)
    report = build_report(table, shop, first, last)
    chosen = request.query.get("from") or request.query.get("to")
    period_query = urlencode({"from": first.isoformat(), "to": last.isoformat()}) if chosen else ""
    program = program_figures(report)  # the report's own numbers: no further read
    return console_page(
        "console_overview.html",
        session,
        "overview",
        status=status,
        back="overview" + (f"?{period_query}" if period_query else ""),
        reply_error=reply_error,
        report=report,
        timezone=shop.settings.timezone,
        bars=dash.funnel_bars(report["funnel"]),
        chart=charts.series_chart(report["series"]),
        channels=charts.channel_chart(report["funnel"]),
        promoters=dash.promoter_figures(report["funnel"]),
        program=program,
        program_card=dash.shows_program(shop.settings.referral.enabled, program),
        advocates=linked(session, advocates_page(table, shop, 20, None)["advocates"]),  # each to their page
        pending=list_reviews(table, shop.shop_id, "pending", 50, None)["reviews"],
        parked=parked_items(table, shop.shop_id),
        retried=request.query.get("retried", ""),
    )


def _connect(
    session: Session,
    notice: str | None = None,
    secret_error: str | None = None,
    status: int = 200,
    connect_errors: dict[str, str] | None = None,
    registered: list[dict[str, Any]] | None = None,
    register_error: str | None = None,
) -> HttpResponse:
    from chalicelib.config import get_settings
    from chalicelib.console.connection import connection_card, registration_of, registration_texts
    from chalicelib.webhook_health import TOPICS, health, webhook_address

    table, shop = get_table(), session.shop
    names = {"shopify": "Shopify", "woocommerce": "WooCommerce", "generic": "your sender"}
    card = connection_card(table, shop) if shop.platform in ("shopify", "woocommerce") else None
    # What this request registered is newer than what the connection last kept.
    hooks = [*(card or {}).get("webhooks", []), *(registered or [])]
    texts = registration_texts(hooks, (card or {}).get("manual_topics", []))
    delivered = health(table, shop.platform, shop.shop_id)
    return console_page(
        "connect.html",
        session,
        "connect",
        status=status,
        platform=shop.platform,
        platform_name=names.get(shop.platform, shop.platform),
        webhook_url=webhook_address(get_settings().base_url, shop),
        topics=[t for t in TOPICS[shop.platform] if t != "webhook.test"],
        # Shopify chooses its secret and shows it in its admin; WooCommerce and generic senders take ours.
        show_secret=shop.platform != "shopify",
        current_secret=shop.webhook_secret if shop.platform != "shopify" else "",
        health=delivered,
        notice=notice,
        secret_error=secret_error,
        one_key=shop.platform in ("shopify", "woocommerce"),
        connection=card,
        connect_errors=connect_errors or {},
        registrations={row["topic"]: registration_of(texts, row["topic"]) for row in delivered["topics"]},
        registered=registered,
        register_error=register_error,
    )


def _settings(
    session: Session,
    values: dict[str, Any] | None = None,
    errors_by_field: dict[str, str] | None = None,
    saved: bool = False,
) -> HttpResponse:
    from chalicelib.console.console import SETTING_FIELDS, settings_values

    return console_page(
        "settings.html",
        session,
        "settings",
        status=422 if errors_by_field else 200,
        fields=SETTING_FIELDS,
        values=values or settings_values(session.shop),
        errors=errors_by_field or {},
        saved=saved,
    )


def _feed(session: Session, notice: str | None = None) -> HttpResponse:
    from chalicelib.feeds.access import feed_url
    from chalicelib.feeds.google import REASONS, report

    shop = session.shop
    answer = {**report(get_table(), shop), "feed_url": feed_url(shop)}
    return console_page("feed.html", session, "feed", report=answer, reasons=REASONS, notice=notice)


def dashboard(request: HttpRequest, session: Session) -> HttpResponse:
    return _overview(request, session)


def dashboard_section(request: HttpRequest, session: Session) -> HttpResponse:
    section = request.path_params["section"]
    if section == "overview":
        return _overview(request, session)
    if section == "connect":
        notices = {
            "accepted": "The test event was signed, received and accepted.",
            "saved": "Secret saved.",
            "connected": "The store accepted the key. It is kept sealed and never shown again.",
            "disconnected": "The store is disconnected: proofloop has forgotten its key.",
        }
        return _connect(session, notice=notices.get(request.query.get("done", "")))
    if section == "settings":
        return _settings(session, saved=request.query.get("saved") == "1")
    if section == "feed":
        notices = {"issued": "A new feed URL is on; the one before no longer works.", "off": "The feed URL is off."}
        return _feed(session, notice=notices.get(request.query.get("done", "")))
    if section in SECTION_MODULES:
        from importlib import import_module

        return import_module(SECTION_MODULES[section]).section_page(request, session)  # type: ignore[no-any-return]
    raise errors.NotFound(f"no console section {section!r}; one of {', '.join(SECTIONS)}", code="no_section")


def dashboard_item(request: HttpRequest, session: Session) -> HttpResponse:
    from importlib import import_module

    section = request.path_params["section"]
    found = import_module(SECTION_MODULES[section]) if section in SECTION_MODULES else None
    if found is None or not hasattr(found, "item_page"):
        raise errors.NotFound(f"console section {section!r} has no pages below it", code="no_section")
    return found.item_page(request, session)  # type: ignore[no-any-return]


def dashboard_save_settings(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.console import save_settings
    from chalicelib.console.models import SettingsForm

    form = parse_model(SettingsForm, read_form(request))
    updated, problems = save_settings(get_table(), session.shop, form)
    if updated is None:
        return _settings(session, values=form.model_dump(), errors_by_field=problems)
    return back(session.shop.shop_id, section="settings", query="?saved=1")


def dashboard_webhook_secret(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.models import WebhookSecretForm
    from chalicelib.shops.service import save_webhook_secret

    form = parse_model(WebhookSecretForm, read_form(request))
    updated, problem = save_webhook_secret(get_table(), session.shop, form.webhook_secret)
    if updated is None:
        return _connect(session, secret_error=problem, status=422)
    return back(session.shop.shop_id, section="connect", query="?done=saved")


def dashboard_connect_store(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.connection import connect_form
    from chalicelib.console.models import ConnectForm

    form = parse_model(ConnectForm, read_form(request))
    connected, problems, status = connect_form(get_table(), session.shop, form)
    if connected is None:
        return _connect(session, connect_errors=problems, status=status)
    return back(session.shop.shop_id, section="connect", query="?done=connected")


def dashboard_disconnect_store(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.connections.service import disconnect

    disconnect(get_table(), session.shop)
    return back(session.shop.shop_id, section="connect", query="?done=disconnected")


def dashboard_register_webhooks(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.connection import register_again

    registered, problem, status = register_again(get_table(), session.shop)
    if problem is not None:
        return _connect(session, register_error=problem, status=status)
    return _connect(session, registered=registered)


def dashboard_test_event(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.console import send_test_event
    from chalicelib.endpoints import webhooks
    from chalicelib.endpoints.registry import operation_of, run

    shop = session.shop
    if shop.platform != "generic":
        raise errors.Conflict(f"{shop.platform} sends its own deliveries; test events are for generic senders")
    body, headers = send_test_event(shop)
    delivery = HttpRequest(
        method="POST",
        path=f"/webhooks/generic/{shop.shop_id}",
        path_params={"shop_id": shop.shop_id},
        headers=headers,
        body=body,
        source_ip=request.source_ip,
        request_id=request.request_id,
    )
    # The signature is checked, the body parsed and the delivery recorded exactly as a sender's would be.
    answer = run(operation_of(webhooks.generic_webhook), delivery)
    if answer.status != 200:
        return _connect(session, notice=f"The test event was refused ({answer.status}): see the health table.")
    return back(shop.shop_id, section="connect", query="?done=accepted")


def dashboard_retry_parked(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.models import RetryForm
    from chalicelib.parked import retry

    form = parse_model(RetryForm, read_form(request))
    done = retry(get_table(), session.shop.shop_id, form.entry)
    return back(session.shop.shop_id, query="?retried=" + ("1" if done else "0"))


def dashboard_issue_feed_url(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.feeds.access import issue

    issue(get_table(), session.shop)
    return back(session.shop.shop_id, section="feed", query="?done=issued")


def dashboard_revoke_feed_url(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.feeds.access import revoke

    revoke(get_table(), session.shop)
    return back(session.shop.shop_id, section="feed", query="?done=off")


def dashboard_sign_in(request: HttpRequest, shop: Shop) -> HttpResponse:
    from urllib.parse import quote

    from chalicelib.auth.sessions import new_session

    _, cookie = new_session(shop)
    form = read_form(request)
    section = form.get("section", "")
    if section not in SECTIONS:
        return back(shop.shop_id, cookie)
    item = form.get("item", "")
    return back(shop.shop_id, cookie, section=f"{section}/{quote(item, safe='')}" if item else section)


def dashboard_sign_out(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.auth.sessions import clear_cookie, end_session

    end_session(get_table(), session)
    return back(session.shop.shop_id, clear_cookie(session.shop.shop_id))


def dashboard_moderate(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.models import DashboardForm
    from chalicelib.console.reviews.actions import way_back
    from chalicelib.reviews import owner

    form = parse_model(DashboardForm, read_form(request))
    action, review_id = request.path_params["action"], request.path_params["review_id"]
    if action not in MODERATION_ACTIONS:
        raise errors.NotFound(f"unknown action {action!r}; one of {', '.join(MODERATION_ACTIONS)}")
    table, shop = get_table(), session.shop
    where = way_back(shop, form.back)
    if action == "publish":
        owner.publish(table, shop, review_id)
    elif action == "reject":
        owner.reject(table, shop.shop_id, review_id, shop.platform)
    elif action == "reply":
        body = form.body.strip()
        if not body or len(body) > 2000:
            refused = {"review_id": review_id, "message": "a reply is 1 to 2000 characters", "body": form.body}
            if where.section == "reviews":
                from chalicelib.endpoints.console_reviews import reviews_page

                return reviews_page(session, where.params, status=422, reply_error=refused)
            return _overview(replace(request, query=where.params), session, status=422, reply_error=refused)
        owner.reply(table, shop, review_id, body)
    else:
        from chalicelib.photos.service import set_hidden

        set_hidden(table, shop.shop_id, review_id, form.photo_id, action == "hide-photo")
    if where.section == "reviews":
        return back(shop.shop_id, section="reviews", query=where.query(done=action))
    return back(shop.shop_id, query=where.query())
