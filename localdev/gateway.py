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
        # Skip ChaliceRequestHandler.__init__, which would build the stock gateway.
        super(ChaliceRequestHandler, self).__init__(request, client_address, server)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

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
        self._send_error_response(
            MethodNotAllowed(
                {"Content-Type": "application/json"}, _error("method_not_allowed", f"{self.command} is not supported")
            )
        )


def test_client(app_object: Any, stage: str = "dev") -> Any:
    """chalice.test.Client whose HTTP side uses ProofloopGateway."""
    from chalice.test import Client

    client = Client(app_object, stage_name=stage)
    client.http._local_gateway = ProofloopGateway(app_object, client.http._config)
    return client
