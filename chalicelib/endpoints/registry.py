"""The operation registry: each route's handler, auth and models, read by dispatch and OpenAPI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.http import HttpRequest, HttpResponse, error_response, json_response

if TYPE_CHECKING:
    from pydantic import BaseModel

Handler = Callable[[HttpRequest], HttpResponse]


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str
    summary: str
    handler: Handler
    tag: str
    auth: str | None = None  # "admin" | "owner" | "signature" | "token" | None
    body: type[BaseModel] | None = None
    form: bool = False
    responses: dict[int, type[BaseModel] | str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


OPERATIONS: dict[str, Operation] = {}


def operation(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    auth: str | None = None,
    body: type[BaseModel] | None = None,
    form: bool = False,
    responses: dict[int, type[BaseModel] | str] | None = None,
    query: dict[str, str] | None = None,
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        name = handler.__name__
        if name in OPERATIONS:
            raise RuntimeError(f"operation {name} registered twice")
        OPERATIONS[name] = Operation(
            name=name,
            method=method,
            path=path,
            summary=summary,
            handler=handler,
            tag=tag,
            auth=auth,
            body=body,
            form=form,
            responses=responses or {},
            query=query or {},
        )
        return handler

    return register


def dispatch(name: str, request: HttpRequest) -> HttpResponse:
    """Run one operation; every domain error becomes its JSON answer, nothing leaks a trace."""
    from chalicelib.observability import logger

    try:
        return OPERATIONS[name].handler(request)
    except errors.ProofloopError as exc:
        if exc.status >= 500:
            logger.warning("answered retryable error", extra={"code": exc.code, "operation": name})
        return error_response(exc)
    except Exception:  # noqa: BLE001 - the last line of defence: log it, answer JSON 500
        logger.exception("unhandled error", extra={"operation": name})
        return json_response(
            errors.error_body("internal_error", "something went wrong on our side; it has been logged"),
            status=500,
        )
