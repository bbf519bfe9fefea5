"""The owner's dashboard page: sign in with the API key into a session cookie, read, moderate, sign out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.endpoints.authorizers import OWNER_FORM, SESSION, SESSION_FORM
from chalicelib.endpoints.registry import model, operation
from chalicelib.http import HttpRequest, HttpResponse, parse_model, read_form
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.dashboard.service import Session
    from chalicelib.store.shop_records import Shop

ACTIONS = ("publish", "reject", "reply", "hide-photo", "show-photo")
# The models these operations name (registry.model): imported by OpenAPI and a handler that parses one.
MODELS = "chalicelib.dashboard.models"


def _back(shop_id: str, cookie: str | None = None) -> HttpResponse:
    from chalicelib.config import get_settings

    response = HttpResponse(
        status=303,
        headers={"Location": f"{get_settings().base_url}/shops/{shop_id}/dashboard", "Cache-Control": "no-store"},
    )
    if cookie:
        response.cookies.append(cookie)
    return response


@operation(
    "GET",
    "/shops/{shop_id}/dashboard",
    summary="The owner's dashboard (HTML; without a live session, the sign-in page, 401)",
    tag="dashboard",
    auth=SESSION,
    responses={200: "text/html"},
    query={"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"},
    page=True,
)
def dashboard(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.dashboard import service as dash
    from chalicelib.reports.service import advocates_page, build_report, period
    from chalicelib.reviews.owner import list_reviews
    from chalicelib.web.render import page

    table, shop = get_table(), session.shop
    first, last = period(shop, request.query.get("from") or None, request.query.get("to") or None)
    report = build_report(table, shop, first, last)
    from chalicelib.storage.s3 import page_sources
    from chalicelib.web.render import PAGE_CSP

    images, _ = page_sources()  # the pending reviews' photos
    return page(
        "dashboard.html",
        csp=PAGE_CSP.replace("img-src 'self' https: data:", f"img-src 'self' https: data: {images}"),
        shop_id=shop.shop_id,
        shop_name=shop.name,
        csrf=session.csrf,
        report=report,
        bars=dash.funnel_bars(report["funnel"]),
        lines=dash.series_lines(report["series"]),
        promoters=dash.promoter_figures(report["funnel"]),
        advocates=advocates_page(table, shop, 20, None)["advocates"],
        pending=list_reviews(table, shop.shop_id, "pending", 50, None)["reviews"],
    )


@operation(
    "POST",
    "/shops/{shop_id}/dashboard/session",
    summary="Sign in with the owner API key (form)",
    tag="dashboard",
    auth=OWNER_FORM,
    body=model("DashboardSignIn", MODELS),
    form=True,
    json_body=False,
    responses={303: ""},
    page=True,
)
def dashboard_sign_in(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.dashboard.service import new_session

    _, cookie = new_session(shop)
    return _back(shop.shop_id, cookie)


@operation(
    "POST",
    "/shops/{shop_id}/dashboard/logout",
    summary="Sign out (form, CSRF-checked): the session ends on the server too",
    tag="dashboard",
    auth=SESSION_FORM,
    body=model("DashboardForm", MODELS),
    form=True,
    json_body=False,
    responses={303: ""},
    page=True,
)
def dashboard_sign_out(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.dashboard.service import clear_cookie, end_session

    end_session(get_table(), session)
    return _back(session.shop.shop_id, clear_cookie(session.shop.shop_id))


@operation(
    "POST",
    "/shops/{shop_id}/dashboard/reviews/{review_id}/{action}",
    summary="Publish, reject or reply to a review from the dashboard (form, CSRF-checked)",
    tag="dashboard",
    auth=SESSION_FORM,
    body=model("DashboardForm", MODELS),
    form=True,
    json_body=False,
    responses={303: ""},
    params={"action": {"type": "string", "enum": list(ACTIONS)}},
    page=True,
)
def dashboard_moderate(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.dashboard.models import DashboardForm
    from chalicelib.reviews import owner

    form = parse_model(DashboardForm, read_form(request))
    action, review_id = request.path_params["action"], request.path_params["review_id"]
    table, shop = get_table(), session.shop
    if action == "publish":
        owner.publish(table, shop, review_id)
    elif action == "reject":
        owner.reject(table, shop.shop_id, review_id)
    elif action == "reply":
        body = form.body.strip()
        if not body or len(body) > 2000:
            raise errors.ValidationFailed("a reply is 1 to 2000 characters")
        owner.reply(table, shop.shop_id, review_id, body)
    elif action in ("hide-photo", "show-photo"):
        from chalicelib.photos.service import set_hidden

        set_hidden(table, shop.shop_id, review_id, form.photo_id, action == "hide-photo")
    else:
        raise errors.NotFound(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    return _back(shop.shop_id)
