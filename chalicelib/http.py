"""Framework-neutral HTTP request and response values, the authorizers' shape, and body parsing."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import parse_qs

from chalicelib import errors

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound="BaseModel")
P = TypeVar("P")

MAX_BODY_BYTES = 256 * 1024
JSON_TYPES = ("application/json",)


@dataclass(frozen=True)
class HttpRequest:
    """What a route needs from a request, independent of the router serving it."""

    method: str
    path: str
    path_params: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    source_ip: str = ""
    request_id: str = ""

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    @property
    def media_type(self) -> str:
        return self.header("content-type").split(";", 1)[0].strip().lower()

    def bearer_token(self) -> str | None:
        value = self.header("authorization")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    def cookie(self, name: str) -> str | None:
        for part in self.header("cookie").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
        return None


@dataclass
class HttpResponse:
    status: int
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Authorizer(Generic[P]):
    """One kind of credential. The registry runs `authorize` before the handler; it returns what the
    credential proves (handed to the handler as its second argument) or raises the refusal, with one of
    the statuses `refusals` declares, by reason, for OpenAPI and the tests that hold it to them.
    Here, below the endpoints, so that the registry can find an authorizer by the name the route table gives
    (chalicelib/endpoints/authorizers.py) without the two importing each other."""

    name: str
    credential: str  # where the credential is, in a few words (OpenAPI shows it)
    authorize: Callable[[HttpRequest], P]
    refusals: dict[str, int]  # reason -> status; "missing" and "invalid" at least
    security: str | None = None  # the OpenAPI security scheme that carries it, when OpenAPI can say so
    # A refusal answered with a page of its own (the sign-in page) instead of the error's.
    refused: Callable[[HttpRequest, errors.ProofloopError], HttpResponse] | None = None


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    out = {"Content-Type": "application/json"}
    if headers:
        out.update(headers)
    return HttpResponse(status=status, body=json.dumps(payload, separators=(",", ":")), headers=out)


FORM = "application/x-www-form-urlencoded"  # a form post's media type
MULTIPART = "multipart/form-data"  # a form post with a file input
MAX_FORM_FILE_BYTES = 2 * 1024 * 1024  # a multipart form post: its file (1 MiB of codes) and its fields
RETRY_AFTER_SECONDS = 2  # what a 503 asks the caller to wait before delivering again


def error_response(error: errors.ProofloopError) -> HttpResponse:
    headers: dict[str, str] = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="proofloop"'
    if error.status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if isinstance(error, errors.TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    return json_response(error.body(), status=error.status, headers=headers)


def encodable(value: Any) -> bool:
    """Every string in a parsed JSON value (keys too) can be written as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def decode_json(body: bytes, max_bytes: int, parse_float: Callable[[str], Any] | None = None) -> Any:
    """Bytes as JSON: too large is 413, broken JSON (or a string no UTF-8 text can hold) is 400."""
    if len(body) > max_bytes:
        raise errors.PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    if not body.strip():
        raise errors.InvalidJson("request body is empty; send a JSON object")
    try:
        data = json.loads(body, parse_float=parse_float)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise errors.InvalidJson(f"request body is not valid JSON: {exc}") from None
    if not encodable(data):
        # "\ud800" is valid JSON but no UTF-8 text: nothing could store or show it.
        raise errors.InvalidJson("request body has a string with an unpaired surrogate escape")
    return data


def read_json(request: HttpRequest) -> Any:
    """The body as JSON; a wrong media type or broken JSON is a 4xx, never a 500."""
    if len(request.body) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES} bytes")
    if request.media_type and request.media_type not in JSON_TYPES:
        raise errors.UnsupportedMediaType(f"send application/json, not {request.media_type}")
    return decode_json(request.body, MAX_BODY_BYTES)


def read_form(request: HttpRequest) -> dict[str, str]:
    """A form post's fields: urlencoded, or multipart/form-data (a form with a file input), whose files are not
    among them (`form_files` reads those)."""
    if request.media_type == MULTIPART:
        fields: dict[str, str] = {}
        for name, filename, content in _multipart_parts(request):
            if filename is None:
                try:
                    fields[name] = content.decode("utf-8")
                except UnicodeDecodeError:
                    raise errors.BadRequest("form body is not UTF-8") from None
        return fields
    if len(request.body) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        parsed = parse_qs(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise errors.BadRequest("form body is not UTF-8") from None
    return {key: values[-1] for key, values in parsed.items()}


def form_files(request: HttpRequest) -> dict[str, bytes]:
    """The files of a multipart form post by field (the last of a name), as sent: bytes, whatever they hold. A file
    input left empty sends a part with an empty file name and no content, which is no file."""
    if request.media_type != MULTIPART:
        return {}
    return {
        name: content
        for name, filename, content in _multipart_parts(request)
        if filename is not None and (filename or content)
    }


def _multipart_parts(request: HttpRequest) -> list[tuple[str, str | None, bytes]]:
    """The parts of a multipart/form-data body: (field name, file name or None for a plain field, content). The
    standard library's MIME parser reads it; a body it cannot split is a 400, never a 500."""
    from email.parser import BytesParser
    from email.policy import HTTP

    if len(request.body) > MAX_FORM_FILE_BYTES:
        raise errors.PayloadTooLarge(f"request body is larger than {MAX_FORM_FILE_BYTES} bytes")
    head = "Content-Type: " + request.header("content-type").replace("\r", " ").replace("\n", " ") + "\r\n\r\n"
    try:
        message = BytesParser(policy=HTTP).parsebytes(head.encode("utf-8", "replace") + request.body)
    except (ValueError, LookupError, TypeError):
        raise errors.BadRequest("the form's multipart body could not be read") from None
    if not message.is_multipart():
        raise errors.BadRequest("the form's multipart body could not be read (no parts, or no boundary)")
    parts: list[tuple[str, str | None, bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        filename = part.get_param("filename", header="content-disposition")
        content = part.get_payload(decode=True)
        kept = content if isinstance(content, bytes) else b""
        parts.append((name, filename if isinstance(filename, str) else None, kept))
    return parts


def read_form_lists(request: HttpRequest) -> dict[str, list[str]]:
    """A form post with its repeated fields (the ticked rows of a list) kept as lists."""
    if len(request.body) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        return parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise errors.BadRequest("form body is not UTF-8") from None


def validation_failed(exc: ValidationError) -> errors.ValidationFailed:
    """A pydantic ValidationError as our 422, naming every field that failed."""
    problems = [
        {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "problem": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]
    first = problems[0]
    return errors.ValidationFailed(f"{first['field']}: {first['problem']}", details=problems)


def parse_model(model: type[M], data: Any) -> M:
    """Validate data against a pydantic model; failures name the field (422)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_failed(exc) from None


def parse_json_body(request: HttpRequest, model: type[M]) -> M:
    return parse_model(model, read_json(request))
