"""Chalice's local gateway, answering unknown routes the way our API Gateway is configured to.

On AWS the packaged template sets API Gateway's MISSING_AUTHENTICATION_TOKEN response (what it
returns for an unknown path or method) to our JSON 404. Chalice's local gateway answers those with
API Gateway's default 403 body instead; this subclass gives local runs and tests the same answer.
"""

from __future__ import annotations

import json
from typing import Any

from chalice.local import ChaliceRequestHandler, LocalGateway, LocalGatewayException


class RouteNotFound(LocalGatewayException):
    CODE = 404


class MethodNotAllowed(LocalGatewayException):
    CODE = 405


class BadBody(LocalGatewayException):
    CODE = 400


class BodyTooLarge(LocalGatewayException):
    CODE = 413


MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
_JSON = {"Content-Type": "application/json"}


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


class ProofloopGateway(LocalGateway):
    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: Any) -> Any:
        try:
            event = super()._generate_lambda_event(method, path, headers, body)
        except ValueError:
            raise RouteNotFound(
                {"Content-Type": "application/json"}, _error("not_found", f"no route {path.split('?')[0]}")
            ) from None
        route = event["requestContext"]["resourcePath"]
        allowed = self._app_object.routes[route]
        if method not in allowed and method != "OPTIONS":
            raise MethodNotAllowed(
                {"Content-Type": "application/json", "Allow": ", ".join(sorted(allowed))},
                _error("method_not_allowed", f"{method} is not allowed on {route}"),
            )
        return event


class ProofloopRequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        self.local_gateway = ProofloopGateway(app_object, config)
        self._body = b""
        # Skip ChaliceRequestHandler.__init__, which would build the stock gateway.
        super(ChaliceRequestHandler, self).__init__(request, client_address, server)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _read_body(self) -> bytes:
        """The whole body, so nothing is left on a kept-alive connection to be read as the next request.

        chalice local reads Content-Length bytes only: a chunked body, or the body of a method it
        has no handler for, stayed in the stream and became the start of the next request line.
        """
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0:
            raise self._refuse(BadBody, "bad_request", "Content-Length is not a number of bytes")
        if length > MAX_BODY:
            raise self._refuse(BodyTooLarge, "payload_too_large", f"request body is larger than {MAX_BODY} bytes")
        return self.rfile.read(length) if length else b""

    def _refuse(self, kind: type[LocalGatewayException], code: str, message: str) -> LocalGatewayException:
        """The error for a body we cannot read to its end: where the next request starts is unknown, so close."""
        self.close_connection = True
        return kind(_JSON, _error(code, message))

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                size = -1
            if size < 0:
                raise self._refuse(BadBody, "bad_request", "malformed chunked body")
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise self._refuse(BodyTooLarge, "payload_too_large", f"request body is larger than {MAX_BODY} bytes")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)  # the CRLF after the chunk

    def _parse_payload(self) -> tuple[dict[str, str], bytes | None]:
        return dict(self.headers), self._body or None

    def _generic_handle(self) -> None:
        try:
            self._body = self._read_body()
        except LocalGatewayException as exc:
            self._send_error_response(exc)
            return
        super()._generic_handle()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _send_http_response_with_body(self, code: int, headers: Any, body: Any) -> None:
        if self.command == "HEAD":
            # A HEAD answer carries the headers only, as API Gateway sends it; a body would be read by
            # the client as the start of the next response on the connection.
            headers = {**headers, "Content-Length": str(len(body if isinstance(body, bytes) else body.encode()))}
            self.send_response(code)
            self._send_headers(headers)
            return
        super()._send_http_response_with_body(code, headers, body)

    def __getattr__(self, name: str) -> Any:
        # http.server answers methods it has no do_<METHOD> for with an HTML 501; we answer JSON 405.
        if name.startswith("do_"):
            return self._unsupported_method
        raise AttributeError(name)

    def _unsupported_method(self) -> None:
        try:
            self._read_body()
        except LocalGatewayException as exc:
            self._send_error_response(exc)
            return
        self._send_error_response(
            MethodNotAllowed(_JSON, _error("method_not_allowed", f"{self.command} is not supported"))
        )


def test_client(app_object: Any, stage: str = "dev") -> Any:
    """chalice.test.Client whose HTTP side uses ProofloopGateway."""
    from chalice.test import Client

    client = Client(app_object, stage_name=stage)
    client.http._local_gateway = ProofloopGateway(app_object, client.http._config)
    return client
