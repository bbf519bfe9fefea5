"""Inject DynamoDB failures at the HTTP layer of botocore, so its own retry logic is exercised."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@contextmanager
def dynamodb_errors(
    client: Any,
    operation: str,
    code: str = "ThrottlingException",
    times: int = 10**6,
    status: int = 400,
    reaches_service: bool = False,
    skip: int = 0,
    reasons: list[str] | None = None,
) -> Iterator[dict[str, int]]:
    """Answer the next `times` calls of one operation (after letting `skip` through) with an AWS error.

    `reasons` makes it a TransactionCanceledException with those cancellation reasons (one per item).

    With reaches_service the call still takes effect and only its answer is an error (a lost
    response). botocore offers the request to every before-send handler, so under moto the
    request is turned into a harmless ListTables to keep moto's own handler from applying it.
    """
    from botocore.awsrequest import AWSResponse

    seen = {"injected": 0, "calls": 0}
    target = f"DynamoDB_20120810.{operation}"

    def respond(request: Any, **_: Any) -> Any:
        if request.headers.get("X-Amz-Target", b"").decode() != target:
            return None
        seen["calls"] += 1
        if seen["calls"] <= skip or seen["injected"] >= times:
            return None
        seen["injected"] += 1
        if not reaches_service:
            request.headers["X-Amz-Target"] = "DynamoDB_20120810.ListTables"
            request.body = b"{}"
        error: dict[str, Any] = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"}
        if reasons is not None:
            error["__type"] = "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
            error["CancellationReasons"] = [{"Code": reason} for reason in reasons]
        body = json.dumps(error).encode()
        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body))

    client.meta.events.register_first("before-send.dynamodb", respond)
    try:
        yield seen
    finally:
        client.meta.events.unregister("before-send.dynamodb", respond)


@contextmanager
def dynamodb_timeouts(client: Any, operation: str) -> Iterator[dict[str, int]]:
    """Every call of one operation times out reading the answer (after botocore's own retries)."""
    from botocore.exceptions import ReadTimeoutError

    seen = {"calls": 0}
    target = f"DynamoDB_20120810.{operation}"

    def time_out(request: Any, **_: Any) -> Any:
        if request.headers.get("X-Amz-Target", b"").decode() != target:
            return None
        seen["calls"] += 1
        raise ReadTimeoutError(endpoint_url=request.url)

    client.meta.events.register_first("before-send.dynamodb", time_out)
    try:
        yield seen
    finally:
        client.meta.events.unregister("before-send.dynamodb", time_out)
