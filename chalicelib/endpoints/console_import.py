"""The console's import and export section: a Judge.me, Yotpo or proofloop CSV uploaded straight to storage, its
dry run, its import with progress (GET /dashboard/import/<job>, HTML or JSON), and the exports a session downloads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.endpoints.console import back, console_page
from chalicelib.http import HttpRequest, HttpResponse, parse_model, read_form
from chalicelib.routes import IMPORT_ACTIONS
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from collections.abc import Iterable

    from chalicelib.auth.sessions import Session

EXPORTS = ("reviews.csv", "report.csv", "advocates.csv", "data-requests.csv")
NOTICES = {"cancelled": "The import is cancelled; its file is deleted."}


def _page(template: str, session: Session, status: int = 200, **context: Any) -> HttpResponse:
    """A page of the section: its script may post the file to storage, and so may its form without script."""
    from chalicelib.storage.s3 import page_sources
    from chalicelib.web.render import page_csp

    response = console_page(template, session, "import", status=status, **context)
    images, uploads = page_sources()
    csp = page_csp(scripts=True, images=images, connect=uploads)
    response.headers["Content-Security-Policy"] = csp.replace("form-action 'self'", f"form-action 'self' {uploads}")
    return response


def section_page(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.config import get_settings
    from chalicelib.console.imports import recent_jobs
    from chalicelib.imports import job as import_job
    from chalicelib.reports.service import period

    shop = session.shop
    job_id = import_job.new_job_id()  # the next upload's: its page is where storage sends the browser back
    first, last = period(shop, None, None)
    return _page(
        "console_import.html",
        session,
        upload=import_job.upload_form(shop.shop_id, job_id),
        next_url=import_job.job_address(get_settings().base_url, shop.shop_id, job_id),
        formats=import_job.FORMAT_CHOICES,
        max_bytes=import_job.MAX_BYTES,
        max_mb=import_job.MAX_BYTES // (1024 * 1024),
        recent=recent_jobs(get_table(), shop.shop_id),
        report_from=first.isoformat(),
        report_to=last.isoformat(),
        notice=NOTICES.get(request.query.get("done", "")),
    )


def item_page(request: HttpRequest, session: Session) -> HttpResponse:
    """An import's page (its dry run, its progress; JSON for its script), or one of the section's downloads."""
    item = request.path_params["item"]
    if item in EXPORTS:
        return _export(request, session, item)
    return _job_page(request, session, item)


def _wants_json(request: HttpRequest) -> bool:
    return request.header("accept").split(",")[0].strip().lower().startswith("application/json")


def _job_page(
    request: HttpRequest, session: Session, job_id: str, status: int = 200, problem: str | None = None
) -> HttpResponse:
    from chalicelib.budget import Budget
    from chalicelib.console.imports import job_view
    from chalicelib.http import json_response
    from chalicelib.imports import job as import_job

    table, shop = get_table(), session.shop
    job = import_job.get_job(table, shop.shop_id, job_id) or import_job.start_job(table, shop.shop_id, job_id)
    as_json = _wants_json(request)
    if request.method == "GET":
        # A look at a running import moves it on: the page by one chunk (it shows at once, then its script
        # or its Refresh link asks again), its script's JSON by as many as fit a few seconds.
        job = import_job.advance(table, shop, job, budget=None if as_json else Budget(0))
    view = job_view(job)
    if as_json:
        return json_response(view, status=status, headers={"Cache-Control": "no-store"})
    return _page(
        "console_import_job.html",
        session,
        status=status,
        job=view,
        running=import_job.RUNNING,
        notice=NOTICES.get(request.query.get("done", "")),
        problem=problem,
    )


def _export(request: HttpRequest, session: Session, name: str) -> HttpResponse:
    from chalicelib.exports import csv_download, export_name

    table, shop = get_table(), session.shop
    rows: Iterable[Iterable[Any]]
    if name == "report.csv":
        from chalicelib.reports.service import period, report_rows

        first, last = period(shop, request.query.get("from") or None, request.query.get("to") or None)
        filename = f"proofloop-{shop.shop_id}-report-{first}-{last}.csv"
        rows = report_rows(table, shop, first, last)
    elif name == "reviews.csv":
        from chalicelib.reviews.importing import export_rows

        filename, rows = export_name(shop.shop_id, "reviews"), export_rows(table, shop.shop_id)
    elif name == "advocates.csv":
        from chalicelib.reports.service import advocate_rows

        filename, rows = export_name(shop.shop_id, "advocates"), advocate_rows(table, shop)
    else:
        from chalicelib.privacy import data_request_rows

        filename, rows = export_name(shop.shop_id, "data-requests"), data_request_rows(table, shop.shop_id)
    return csv_download(rows, shop.shop_id, filename, {"X-Content-Type-Options": "nosniff"})


def dashboard_import_job(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.imports_models import ImportJobForm
    from chalicelib.imports import job as import_job

    parse_model(ImportJobForm, read_form(request))
    job_id, action = request.path_params["job_id"], request.path_params["action"]
    table, shop_id = get_table(), session.shop.shop_id
    if action not in IMPORT_ACTIONS:
        raise errors.NotFound(f"unknown action {action!r}; one of {', '.join(IMPORT_ACTIONS)}")
    job = import_job.get_job(table, shop_id, job_id)
    if job is None:
        raise errors.NotFound("no such import", code="no_import")
    try:
        if action == "commit":
            if job["status"] not in (import_job.IMPORTING, import_job.DONE):  # a second click of the button is fine
                import_job.commit(table, shop_id, job_id)
            return back(shop_id, section=f"import/{job_id}")
        import_job.cancel(table, shop_id, job_id)
    except errors.Conflict as exc:
        return _job_page(request, session, job_id, status=409, problem=exc.message)
    return back(shop_id, section=f"import/{job_id}", query="?done=cancelled")
