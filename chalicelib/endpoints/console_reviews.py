"""The console's reviews section: every review of the shop (pending, published, rejected), filtered by a GET
form and paged by a signed cursor, each with its actions; bulk publish and reject (CSRF-checked)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalicelib import errors
from chalicelib.endpoints.console import back, console_page
from chalicelib.http import HttpRequest, HttpResponse, read_form_lists
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.auth.sessions import Session

# The notice after a single action came back to this page.
DONE = {
    "publish": "Review published.",
    "reject": "Review rejected.",
    "reply": "Reply saved; it shows with the review.",
    "hide-photo": "Photo hidden.",
    "show-photo": "Photo shown again.",
}


def section_page(request: HttpRequest, session: Session) -> HttpResponse:
    return reviews_page(session, dict(request.query))


def reviews_page(
    session: Session,
    query: dict[str, str],
    status: int = 200,
    reply_error: dict[str, str] | None = None,
    bulk_error: str | None = None,
) -> HttpResponse:
    """The section drawn for a query: the filters parsed (bad ones beside their fields, 422), one page read."""
    from pydantic import ValidationError

    from chalicelib.console.console import field_errors
    from chalicelib.console.reviews.actions import BulkResult
    from chalicelib.console.reviews.listing import (
        PAGE_SIZE,
        READ_BOUND,
        list_page,
        plan_for,
        product_choices,
        start_of,
    )
    from chalicelib.console.reviews.models import RATINGS, STATUSES, ReviewFilters
    from chalicelib.http import validation_failed

    table, shop = get_table(), session.shop
    context: dict[str, Any] = {
        "values": {name: query.get(name, "") for name in ("status", "rating", "product", "q", "from", "to")},
        "statuses": STATUSES,
        "ratings": RATINGS,
        "products": product_choices(table, shop.shop_id),
        "timezone": shop.settings.timezone,
        "page_size": PAGE_SIZE,
        "read_bound": READ_BOUND,
        "errors": {},
        "listing": None,
        "cursor_error": None,
        "reply_error": reply_error,
        "bulk_error": bulk_error,
        "notice": DONE.get(query.get("done", "")),
        "result": None,
        "outcomes": {},
        "back": "reviews",
        "first_page": "",
        "next_page": None,
    }
    try:
        filters = ReviewFilters.model_validate(query)
    except ValidationError as exc:
        context["errors"] = {
            name: problem.removeprefix("Value error, ")
            for name, problem in field_errors(validation_failed(exc), "q").items()
        }
        return console_page("console_reviews.html", session, "reviews", status=422, **context)
    context["values"] = {
        "status": filters.status,
        "rating": filters.rating,
        "product": filters.product,
        "q": filters.q,
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
    }
    context["first_page"] = filters.query()
    plan = plan_for(shop, filters)
    try:
        start = start_of(plan, filters)
    except errors.BadRequest as exc:
        context["cursor_error"] = exc.message
        return console_page("console_reviews.html", session, "reviews", status=400, **context)
    listing = list_page(table, shop, filters, plan, start)
    context["listing"] = listing
    context["back"] = "reviews" + (f"?{filters.query(cursor=True)}" if filters.params(cursor=True) else "")
    if listing.cursor:
        context["next_page"] = urlencode({**filters.params(), "cursor": listing.cursor})
    if query.get("bulk"):
        try:
            result = BulkResult.from_token(query["bulk"])
            context["result"], context["outcomes"] = result, result.outcomes()
        except errors.BadRequest:
            context["bulk_error"] = "The last bulk action's result could not be read; the reviews are shown as stored."
    return console_page("console_reviews.html", session, "reviews", status=status, **context)


def dashboard_bulk_moderate(request: HttpRequest, session: Session) -> HttpResponse:
    from pydantic import ValidationError

    from chalicelib.console.reviews.actions import bulk_moderate, way_back
    from chalicelib.console.reviews.models import BULK_LIMIT, BulkModerationForm
    from chalicelib.http import validation_failed

    fields = read_form_lists(request)
    shop = session.shop
    where = way_back(shop, (fields.get("back") or ["reviews"])[-1])
    if where.section != "reviews":
        raise errors.ValidationFailed("a bulk action goes back to the reviews section", code="invalid_back")
    ids = [i for i in fields.get("ids", []) if i.strip()]
    if len(ids) > BULK_LIMIT:
        raise errors.ValidationFailed(
            f"at most {BULK_LIMIT} reviews at once; {len(ids)} were sent", code="too_many_reviews"
        )
    single = {name: values[-1] for name, values in fields.items() if name != "ids"}
    try:
        form = BulkModerationForm.model_validate({**single, "ids": ids})
    except ValidationError as exc:
        problem = validation_failed(exc).message
        return reviews_page(session, where.params, status=422, bulk_error=f"Nothing was changed: {problem}")
    if not form.ids:
        return reviews_page(
            session, where.params, status=422, bulk_error="Nothing was changed: tick at least one review first."
        )
    result = bulk_moderate(get_table(), shop, form.action, form.ids)
    return back(shop.shop_id, section="reviews", query=where.query(bulk=result.token()))
