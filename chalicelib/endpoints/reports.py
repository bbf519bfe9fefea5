"""The owner's reports: the funnel as JSON and CSV, and the advocate leaderboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.endpoints.authorizers import OWNER
from chalicelib.endpoints.registry import PAGE_LIMIT, model, operation, page_limit
from chalicelib.http import HttpRequest, HttpResponse, json_response
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop

PERIOD = {"from": "first day, YYYY-MM-DD (default: 29 days before `to`)", "to": "last day (default: today)"}
# The models these operations name (registry.model): imported by OpenAPI and a handler that parses one.
MODELS = "chalicelib.reports.models"


@operation(
    "GET",
    "/shops/{shop_id}/report",
    summary="The funnel, rates, daily series and top advocates",
    tag="reports",
    auth=OWNER,
    responses={200: model("Report", MODELS)},
    query=PERIOD,
)
def funnel_report(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.reports.service import build_report, period

    table = get_table()
    first, last = period(shop, request.query.get("from"), request.query.get("to"))
    return json_response(build_report(table, shop, first, last), headers={"Cache-Control": "no-store"})


@operation(
    "GET",
    "/shops/{shop_id}/report.csv",
    summary="The same report as CSV: a row per day and totals",
    tag="reports",
    auth=OWNER,
    responses={200: "text/csv"},
    query=PERIOD,
)
def funnel_report_csv(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.reports.service import period, report_csv

    table = get_table()
    first, last = period(shop, request.query.get("from"), request.query.get("to"))
    return HttpResponse(
        status=200,
        body=report_csv(table, shop, first, last),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="proofloop-{shop.shop_id}-{first}-{last}.csv"',
        },
    )


@operation(
    "GET",
    "/shops/{shop_id}/advocates",
    summary="Customers ranked by advocate score, highest first",
    tag="reports",
    auth=OWNER,
    responses={200: model("AdvocateList", MODELS)},
    query={"limit": "1-100, default 25", "cursor": "from the last page"},
    params=PAGE_LIMIT,
)
def advocate_leaderboard(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.reports.service import advocates_page

    table = get_table()
    return json_response(
        advocates_page(table, shop, page_limit(request, 25), request.query.get("cursor")),
        headers={"Cache-Control": "no-store"},
    )
