"""The operation registry: each operation the route table declares, with its handler and authorizer, run by `run`.

The table (chalicelib/routes.py) says what each operation is; chalicelib/router.py imports the one module a request
needs and asks `operation_of` for its handler's operation, and OpenAPI (chalicelib/openapi.py) asks for them all.
Nothing here imports an endpoint module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib import errors
from chalicelib.http import Authorizer, HttpRequest, HttpResponse, error_response, json_response
from chalicelib.routes import DECLARED, ModelRef, Responses
from chalicelib.web import N_


def page_limit(request: HttpRequest, default: int) -> int:
    """The `limit` query parameter chalicelib.routes.PAGE_LIMIT declares."""
    try:
        limit = int(request.query.get("limit", str(default)))
    except ValueError:
        raise errors.BadRequest("limit must be a number", code="invalid_limit") from None
    if not 1 <= limit <= 100:
        raise errors.BadRequest("limit must be between 1 and 100", code="invalid_limit")
    return limit


@dataclass(frozen=True)
class Operation:
    """A route of the table with what serves it: its handler, and the authorizer its `auth` names."""

    name: str
    method: str
    path: str
    summary: str
    handler: Callable[..., HttpResponse]  # (request) when public, else (request, what auth established)
    tag: str
    auth: Authorizer[Any] | None = None  # None: public, nothing is checked
    body: ModelRef | None = None  # the request body's model, named: a request that does not parse one never loads it
    form: bool = False  # the body may come as a form post
    json_body: bool = True  # the body may come as JSON (False: a form only)
    raw_body: str | None = None  # the media type of a body that is not a model (a CSV file)
    responses: Responses = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # JSON Schema of a path or query parameter
    required_query: tuple[str, ...] = ()  # query parameters a request must carry
    page: bool = False  # a page people open: errors are HTML for browsers and form posts


OPERATIONS: dict[str, Operation] = {}  # each operation, once a request (or OpenAPI) has needed it


def operation_of(handler: Callable[..., HttpResponse]) -> Operation:
    """The operation `handler` serves: the table's route of its name, which must name the handler's own module.
    With `auth`, the handler takes (request, what the authorizer established), and `run` never runs it
    unauthorized."""
    name = handler.__name__
    found = OPERATIONS.get(name)
    if found is not None:
        return found
    route = DECLARED[name]
    if handler.__module__ != route.module:
        raise RuntimeError(f"operation {name} is served by {route.module}, not {handler.__module__}")
    auth = None
    if route.auth is not None:
        from chalicelib.endpoints.authorizers import AUTHORIZERS

        auth = AUTHORIZERS[route.auth]
    found = OPERATIONS[name] = Operation(
        name=name,
        method=route.method,
        path=route.path,
        summary=route.summary,
        handler=handler,
        tag=route.tag,
        auth=auth,
        body=route.body,
        form=route.form,
        json_body=route.json_body,
        raw_body=route.raw_body,
        responses=route.responses,
        query=route.query,
        params=route.params,
        required_query=route.required_query,
        page=route.page,
    )
    return found


_PAGE_TITLES = {
    401: N_("Please sign in"),
    403: N_("This link is not valid"),
    404: N_("Not found"),
    409: N_("Already done"),
    410: N_("No longer here"),
    422: N_("Please check your answers"),
    503: N_("Please try again"),
}
_PAGE_TITLE = N_("Something is not right")
# What a buyer is told, in their language, of the errors their links and forms can meet; any other error's page
# shows its own (English) message.
_PAGE_MESSAGES = {
    "invalid_review": N_("This review link is incomplete or was changed. Please open it again from your email."),
    "invalid_unsubscribe": N_(
        "This unsubscribe link is incomplete or was changed. Please open it again from your email."
    ),
    "order_not_found": N_("We could not find the order of this link."),
    "order_redacted": N_("The details of this order were erased at your request."),
    "product_not_in_order": N_("This item is not part of the order of your link."),
    "unknown_code": N_("This share link does not exist."),
    "validation_failed": N_("Something in the form is missing or too long. Please go back and check it."),
    "retry_later": N_("We could not do this just now. Please try again in a moment."),
}


def _error_page(request: HttpRequest, exc: errors.ProofloopError, refresh: str | None) -> HttpResponse:
    """The error as a page in the reader's language: their browser's, since a link that failed may name no
    order to take the buyer's from."""
    from chalicelib.web.i18n import translate
    from chalicelib.web.languages import accepted_language as browser_language
    from chalicelib.web.languages import buyer_language
    from chalicelib.web.render import error_page

    language = buyer_language(browser_language(request.header("accept-language")))
    title = translate(language, _PAGE_TITLES.get(exc.status, _PAGE_TITLE))
    explained = _PAGE_MESSAGES.get(exc.code)
    message = translate(language, explained) if explained else exc.message
    return error_page(exc.status, title, message, refresh=refresh, language=language)


def _wants_page(request: HttpRequest) -> bool:
    from chalicelib.web.render import wants_html

    return request.media_type in ("application/x-www-form-urlencoded", "multipart/form-data") or (
        request.method in ("GET", "HEAD") and wants_html(request.headers)
    )


def _authorized(operation: Operation, request: HttpRequest) -> HttpResponse:
    """The operation's declared authorizer first; its handler only with what that established."""
    auth = operation.auth
    if auth is None:
        return operation.handler(request)
    try:
        established = auth.authorize(request)
    except (errors.Unauthorized, errors.Forbidden) as refusal:
        if auth.refused is None:
            raise
        return auth.refused(request, refusal)
    return operation.handler(request, established)


def run(operation: Operation, request: HttpRequest) -> HttpResponse:
    """Run one operation; every domain error becomes its JSON answer, nothing leaks a trace."""
    from chalicelib.observability import logger

    name = operation.name
    try:
        return _authorized(operation, request)
    except errors.ProofloopError as exc:
        if exc.status >= 500:
            logger.warning("answered retryable error", extra={"code": exc.code, "operation": name})
        if operation.page and _wants_page(request):
            # A page that could not be shown for a passing reason reloads itself (a GET is safe to repeat).
            refresh = "" if isinstance(exc, errors.RetryLater) and request.method == "GET" else None
            return _error_page(request, exc, refresh)
        return error_response(exc)
    except Exception:  # noqa: BLE001 - the last line of defence: log it, answer JSON 500
        logger.exception("unhandled error", extra={"operation": name})
        return json_response(
            errors.error_body("internal_error", "something went wrong on our side; it has been logged"),
            status=500,
        )
