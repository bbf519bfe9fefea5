"""Service endpoints: health, the OpenAPI document, and running due work on demand."""

from __future__ import annotations

from chalicelib import models
from chalicelib.endpoints.authorizers import ADMIN, Admin
from chalicelib.endpoints.registry import operation
from chalicelib.http import HttpRequest, HttpResponse, json_response

VERSION = "0.1.0"


@operation("GET", "/health", summary="Liveness: the service answers", tag="service", responses={200: models.Health})
def health(request: HttpRequest) -> HttpResponse:
    return json_response({"status": "ok", "version": VERSION}, headers={"Cache-Control": "no-store"})


@operation("GET", "/openapi.json", summary="This API, as OpenAPI 3", tag="service", responses={200: "application/json"})
def openapi_document(request: HttpRequest) -> HttpResponse:
    from chalicelib.openapi import build_spec

    return json_response(build_spec(VERSION), headers={"Cache-Control": "public, max-age=300"})


@operation(
    "POST",
    "/admin/run-due",
    summary="Run due scheduled work now (review requests, reminders)",
    tag="service",
    auth=ADMIN,
    responses={200: models.RunDueResult},
)
def run_due(request: HttpRequest, admin: Admin) -> HttpResponse:
    from chalicelib.budget import Budget
    from chalicelib.jobs import ROUTE_SECONDS, run_due_work

    return json_response(run_due_work(Budget(ROUTE_SECONDS)).as_dict())
