"""A loopback proxy in front of a DynamoDB endpoint that fails a share of the calls, as a bad day on AWS would.

    proxy = FaultyDynamoDB("http://127.0.0.1:8001", fraction=0.1, seed=3).start()
    ... point the server's DYNAMODB_ENDPOINT at proxy.endpoint ...
    proxy.stop(); print(proxy.injected)

A failed call is answered with one of: ThrottlingException (400), InternalServerError (500), or a lost
answer (the call is forwarded and takes effect, then answered 500). botocore retries them as it would on
AWS; what survives its retries reaches our code. `operations` limits the faults to some operations.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from localdev.dynamodb import free_port

KINDS = ("throttle", "server_error", "lost_answer")


class FaultyDynamoDB:
    def __init__(
        self,
        target: str,
        fraction: float = 0.0,
        seed: int = 0,
        operations: frozenset[str] | None = None,
        kinds: tuple[str, ...] = KINDS,
    ) -> None:
        self.target = urlsplit(target)
        self.fraction = fraction
        self.operations = operations
        self.kinds = kinds
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.injected: Counter[str] = Counter()
        self.calls = 0
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server: ThreadingHTTPServer | None = None

    def _fault(self, operation: str) -> str | None:
        with self.lock:
            self.calls += 1
            if self.operations is not None and operation not in self.operations:
                return None
            if self.rng.random() >= self.fraction:
                return None
            kind = self.rng.choice(self.kinds)
            self.injected[f"{kind} {operation}"] += 1
            return kind

    def start(self) -> FaultyDynamoDB:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                operation = self.headers.get("X-Amz-Target", "").split(".")[-1]
                fault = proxy._fault(operation)
                if fault == "throttle":
                    self._answer(400, {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException"})
                    return
                if fault == "server_error":
                    self._answer(500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError"})
                    return
                status, headers, answer = proxy._forward(self.command, self.path, dict(self.headers), body)
                if fault == "lost_answer":
                    self._answer(500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError"})
                    return
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST

            def _answer(self, status: int, error: dict[str, str]) -> None:
                payload = json.dumps({**error, "message": "injected by localdev.faulty_dynamodb"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, bytes]:
        connection = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
