"""The operation registry: each route's handler, auth and models, read by dispatch and OpenAPI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.http import HttpRequest, HttpResponse, error_response, json_response

if TYPE_CHECKING:
    from pydantic import BaseModel

# status -> a model (JSON), a media type, several media types, or "" (no body)
Responses = dict[int, "type[BaseModel] | str | tuple[str, ...]"]

Handler = Callable[[HttpRequest], HttpResponse]

PAGE_LIMIT: dict[str, dict[str, Any]] = {"limit": {"type": "integer", "minimum": 1, "maximum": 100}}


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str
    summary: str
    handler: Handler
    tag: str
    # "admin" | "owner" (bearer key) | "owner-form" (key in a form) | "session" | "signature" | "token" | None
    auth: str | None = None
    # The request body's model; a function returning it keeps a heavy model out of the cold start.
    body: type[BaseModel] | Callable[[], type[BaseModel]] | None = None
    form: bool = False  # the body may come as a form post
    json_body: bool = True  # the body may come as JSON (False: a form only)
    raw_body: str | None = None  # the media type of a body that is not a model (a CSV file)
    responses: Responses = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # JSON Schema of a path or query parameter
    required_query: tuple[str, ...] = ()  # query parameters a request must carry
    page: bool = False  # a page people open: errors are HTML for browsers and form posts


OPERATIONS: dict[str, Operation] = {}


def operation(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    auth: str | None = None,
    body: type[BaseModel] | Callable[[], type[BaseModel]] | None = None,
    form: bool = False,
    json_body: bool = True,
    raw_body: str | None = None,
    responses: Responses | None = None,
    query: dict[str, str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    required_query: tuple[str, ...] = (),
    page: bool = False,
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
            json_body=json_body,
            raw_body=raw_body,
            responses=responses or {},
            query=query or {},
            params=params or {},
            required_query=required_query,
            page=page,
        )
        return handler

    return register


_PAGE_TITLES = {
    401: "Please sign in",
    403: "This link is not valid",
    404: "Not found",
    409: "Already done",
    410: "No longer here",
    422: "Please check your answers",
    503: "Please try again",
}


def _wants_page(request: HttpRequest) -> bool:
    from chalicelib.web.render import wants_html

    return request.media_type == "application/x-www-form-urlencoded" or (
        request.method in ("GET", "HEAD") and wants_html(request.headers)
    )


def dispatch(name: str, request: HttpRequest) -> HttpResponse:
    """Run one operation; every domain error becomes its JSON answer, nothing leaks a trace."""
    from chalicelib.observability import logger

    operation = OPERATIONS[name]
    try:
        return operation.handler(request)
    except errors.ProofloopError as exc:
        if exc.status >= 500:
            logger.warning("answered retryable error", extra={"code": exc.code, "operation": name})
        if operation.page and _wants_page(request):
            from chalicelib.web.render import error_page

            # A page that could not be shown for a passing reason reloads itself (a GET is safe to repeat).
            refresh = "" if exc.status == 503 and request.method == "GET" else None
            return error_page(
                exc.status, _PAGE_TITLES.get(exc.status, "Something is not right"), exc.message, refresh=refresh
            )
        return error_response(exc)
    except Exception:  # noqa: BLE001 - the last line of defence: log it, answer JSON 500
        logger.exception("unhandled error", extra={"operation": name})
        return json_response(
            errors.error_body("internal_error", "something went wrong on our side; it has been logged"),
            status=500,
        )
