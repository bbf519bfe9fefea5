"""Service endpoints: health and running due work on demand (the OpenAPI document is chalicelib/openapi.py's)."""

from __future__ import annotations

from chalicelib.endpoints.authorizers import ADMIN, Admin
from chalicelib.endpoints.registry import model, operation
from chalicelib.http import HttpRequest, HttpResponse, json_response

VERSION = "0.1.0"
# The models these operations name (registry.model): imported by OpenAPI and a handler that parses one.
ANSWERS = "chalicelib.endpoints.answers"


@operation(
    "GET", "/health", summary="Liveness: the service answers", tag="service", responses={200: model("Health", ANSWERS)}
)
def health(request: HttpRequest) -> HttpResponse:
    return json_response({"status": "ok", "version": VERSION}, headers={"Cache-Control": "no-store"})


@operation(
    "POST",
    "/admin/run-due",
    summary="Run due scheduled work now (review requests, reminders)",
    tag="service",
    auth=ADMIN,
    responses={200: model("RunDueResult", ANSWERS)},
)
def run_due(request: HttpRequest, admin: Admin) -> HttpResponse:
    from chalicelib.budget import Budget
    from chalicelib.jobs import ROUTE_SECONDS, run_due_work

    return json_response(run_due_work(Budget(ROUTE_SECONDS)).as_dict())
