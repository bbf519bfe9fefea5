"""The owner's dashboard page: sign in with the API key into a session cookie, read, moderate, sign out."""

from __future__ import annotations

from chalicelib import errors, models, shops
from chalicelib.endpoints.registry import operation
from chalicelib.http import HttpRequest, HttpResponse, parse_model, read_form
from chalicelib.store.table import get_table

ACTIONS = ("publish", "reject", "reply")


def _back(shop_id: str, cookie: str | None = None) -> HttpResponse:
    from chalicelib.config import get_settings

    response = HttpResponse(
        status=303,
        headers={"Location": f"{get_settings().base_url}/shops/{shop_id}/dashboard", "Cache-Control": "no-store"},
    )
    if cookie:
        response.cookies.append(cookie)
    return response


def _signed_in(request: HttpRequest) -> tuple[str, str]:
    """The shop and session of a signed-in owner, or a 401 page asking to sign in."""
    from chalicelib.dashboard import session_for

    shop_id = request.path_params["shop_id"]
    session = session_for(request, shop_id)
    if session is None:
        raise errors.Unauthorized("your session ended; sign in again", code="no_session")
    return shop_id, session


@operation(
    "GET",
    "/shops/{shop_id}/dashboard",
    summary="The owner's dashboard (HTML; sign-in page without a session)",
    tag="dashboard",
    auth="session",
    responses={200: "text/html"},
    query={"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"},
    page=True,
)
def dashboard(request: HttpRequest) -> HttpResponse:
    from chalicelib import dashboard as dash
    from chalicelib.reports import advocates_page, build_report, period
    from chalicelib.reviews.owner import list_reviews
    from chalicelib.web.render import page

    shop_id = request.path_params["shop_id"]
    session = dash.session_for(request, shop_id)
    if session is None:
        return page("signin.html", shop_id=shop_id, error=None)
    table = get_table()
    shop = shops.get_shop_or_404(table, shop_id)
    first, last = period(shop, request.query.get("from") or None, request.query.get("to") or None)
    report = build_report(table, shop, first, last)
    return page(
        "dashboard.html",
        shop_id=shop_id,
        shop_name=shop.name,
        csrf=dash.csrf_token(session),
        report=report,
        bars=dash.funnel_bars(report["funnel"]),
        lines=dash.series_lines(report["series"]),
        promoters=dash.promoter_figures(report["funnel"]),
        advocates=advocates_page(table, shop, 20, None)["advocates"],
        pending=list_reviews(table, shop_id, "pending", 50, None)["reviews"],
    )


@operation(
    "POST",
    "/shops/{shop_id}/dashboard/session",
    summary="Sign in with the owner API key (form)",
    tag="dashboard",
    auth="owner-form",
    body=models.DashboardSignIn,
    form=True,
    json_body=False,
    responses={303: ""},
    page=True,
)
def dashboard_sign_in(request: HttpRequest) -> HttpResponse:
    from chalicelib.dashboard import new_session
    from chalicelib.web.render import page

    shop_id = request.path_params["shop_id"]
    form = parse_model(models.DashboardSignIn, read_form(request))
    try:
        shops.authenticate_owner(get_table(), shop_id, form.api_key.strip() or None)
    except (errors.Unauthorized, errors.Forbidden):
        return page("signin.html", status=401, shop_id=shop_id, error="That key does not open this shop.")
    _, cookie = new_session(shop_id)
    return _back(shop_id, cookie)


@operation(
    "POST",
    "/shops/{shop_id}/dashboard/logout",
    summary="Sign out (form, CSRF-checked)",
    tag="dashboard",
    auth="session",
    body=models.DashboardForm,
    form=True,
    json_body=False,
    responses={303: ""},
    page=True,
)
def dashboard_sign_out(request: HttpRequest) -> HttpResponse:
    from chalicelib.dashboard import check_csrf, clear_cookie

    shop_id, session = _signed_in(request)
    check_csrf(session, parse_model(models.DashboardForm, read_form(request)).csrf or None)
    return _back(shop_id, clear_cookie(shop_id))


@operation(
    "POST",
    "/shops/{shop_id}/dashboard/reviews/{review_id}/{action}",
    summary="Publish, reject or reply to a review from the dashboard (form, CSRF-checked)",
    tag="dashboard",
    auth="session",
    body=models.DashboardForm,
    form=True,
    json_body=False,
    responses={303: ""},
    params={"action": {"type": "string", "enum": list(ACTIONS)}},
    page=True,
)
def dashboard_moderate(request: HttpRequest) -> HttpResponse:
    from chalicelib.dashboard import check_csrf
    from chalicelib.reviews import owner

    shop_id, session = _signed_in(request)
    form = parse_model(models.DashboardForm, read_form(request))
    check_csrf(session, form.csrf or None)
    action, review_id = request.path_params["action"], request.path_params["review_id"]
    table = get_table()
    if action == "publish":
        owner.publish(table, shops.get_shop_or_404(table, shop_id), review_id)
    elif action == "reject":
        owner.reject(table, shop_id, review_id)
    elif action == "reply":
        body = form.body.strip()
        if not body or len(body) > 2000:
            raise errors.ValidationFailed("a reply is 1 to 2000 characters")
        owner.reply(table, shop_id, review_id, body)
    else:
        raise errors.NotFound(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    return _back(shop_id)
