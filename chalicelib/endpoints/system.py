"""Service endpoints: health and running due work on demand (the OpenAPI document is chalicelib/openapi.py's)."""

from __future__ import annotations

from chalicelib.endpoints.authorizers import Admin
from chalicelib.http import HttpRequest, HttpResponse, json_response

VERSION = "0.1.0"


def health(request: HttpRequest) -> HttpResponse:
    return json_response({"status": "ok", "version": VERSION}, headers={"Cache-Control": "no-store"})


def run_due(request: HttpRequest, admin: Admin) -> HttpResponse:
    from chalicelib.budget import Budget
    from chalicelib.jobs import ROUTE_SECONDS, run_due_work

    return json_response(run_due_work(Budget(ROUTE_SECONDS)).as_dict())
