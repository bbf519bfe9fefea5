"""API Gateway (REST, proxy integration) events as Lambda hands them to `app.app`: for the bench and tests
that call the Lambda handler itself."""

from __future__ import annotations

import re
from typing import Any


def proxy_event(
    method: str,
    resource: str,
    path: str,
    headers: dict[str, str],
    body: bytes | str | None = None,
    source_ip: str = "203.0.113.9",
    request_id: str = "local-request",
) -> dict[str, Any]:
    """The event of one request; its path parameters are read from `path` by the `resource` template."""
    names = re.findall(r"{(\w+)}", resource)
    values = re.fullmatch(re.sub(r"{\w+}", "([^/]+)", resource), path)
    if values is None:
        raise ValueError(f"{path} is not a path of {resource}")
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "X-Forwarded-For": source_ip, **headers}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": dict(zip(names, values.groups(), strict=True)) or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": request_id,
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
        },
        "body": body.decode() if isinstance(body, bytes) else body,
        "isBase64Encoded": False,
    }
