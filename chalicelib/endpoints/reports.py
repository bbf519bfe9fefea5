"""The owner's reports: the funnel as JSON and CSV, and the advocate leaderboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.endpoints.registry import page_limit
from chalicelib.http import HttpRequest, HttpResponse, json_response
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop


def funnel_report(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.reports.service import build_report, period

    table = get_table()
    first, last = period(shop, request.query.get("from"), request.query.get("to"))
    return json_response(build_report(table, shop, first, last), headers={"Cache-Control": "no-store"})


def funnel_report_csv(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.exports import csv_download
    from chalicelib.reports.service import period, report_rows

    first, last = period(shop, request.query.get("from"), request.query.get("to"))
    rows = report_rows(get_table(), shop, first, last)
    return csv_download(rows, shop.shop_id, f"proofloop-{shop.shop_id}-{first}-{last}.csv")


def advocate_leaderboard(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.reports.service import advocates_page

    table = get_table()
    return json_response(
        advocates_page(table, shop, page_limit(request, 25), request.query.get("cursor")),
        headers={"Cache-Control": "no-store"},
    )
