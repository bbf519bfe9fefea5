"""The console's customers section: search by name or email, the top advocates, and a customer's own page
(GET /shops/{shop_id}/dashboard/customers and /dashboard/customers/{customer_id})."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalicelib import errors
from chalicelib.endpoints.console import console_page
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.auth.sessions import Session
    from chalicelib.http import HttpRequest, HttpResponse

SECTION = "customers"


def linked(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with the address of the customer's page (an id is any text: it is quoted whole)."""
    from chalicelib.config import get_settings

    base = f"{get_settings().base_url}/shops/{session.shop.shop_id}/dashboard/{SECTION}/"
    return [{**row, "href": base + quote(str(row["customer"]), safe="")} for row in rows]


def section_page(request: HttpRequest, session: Session) -> HttpResponse:
    """The search and its results; without a query, the top advocates. Bad input is the page again with
    the error beside the field (422; a cursor that is not ours, 400), never a 5xx."""
    from chalicelib.console import customers
    from chalicelib.console.customers_models import CustomerSearch
    from chalicelib.customer_index import index_status
    from chalicelib.http import parse_model

    table, shop = get_table(), session.shop
    typed = str(request.query.get("q", ""))
    context: dict[str, Any] = {"query": typed, "error": None, "results": None, "rows": [], "next_page": None}
    status = 200
    try:
        form = parse_model(CustomerSearch, dict(request.query))
        if form.q.strip():
            results = customers.search(table, shop, form.q)
            context.update(results=results, rows=linked(session, results["rows"]))
        else:
            top = customers.top_advocates(table, shop, form.after or None)
            context.update(rows=linked(session, top["rows"]), next_page=top["cursor"])
    except errors.ValidationFailed as exc:
        found = [d.get("problem") for d in exc.details or [] if str(d.get("field", "")) in ("q", "after")]
        context["error"] = str(found[0]) if found else exc.message
        status = 422
    except errors.BadRequest as exc:
        context["error"] = exc.message
        status = 400
    index = index_status(table, shop.shop_id)
    return console_page(
        "console_customers.html",
        session,
        SECTION,
        status=status,
        indexing=None if index.get("done_at") else int(index.get("indexed_customers", 0)),
        **context,
    )


def item_page(request: HttpRequest, session: Session) -> HttpResponse:
    """A customer's page: who they are, their timeline oldest first, their stage and score by action.
    Another shop's customer, or none, is the 404 page."""
    from chalicelib.console.customers import customer_page

    data = customer_page(get_table(), session.shop, request.path_params["item"])
    return console_page("console_customer.html", session, SECTION, **data)
