"""Shared test set-up: a safe environment before anything imports the app, and factories."""

from __future__ import annotations

import os

# Before any client or the app exists: no real credentials, quiet Powertools, the dev stage's table.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PROOFLOOP_STAGE": "dev",
        "PROOFLOOP_TABLE": "proofloop-dev",
        "PROOFLOOP_PHOTO_BUCKET": "proofloop-photos-dev",
        "PROOFLOOP_ADMIN_TOKEN": "test-admin-token",
        "PROOFLOOP_SIGNING_SECRET": "test-signing-secret-0123456789abcdef",
        "PROOFLOOP_BASE_URL": "http://127.0.0.1:8000",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("DYNAMODB_ENDPOINT", None)

ADMIN_TOKEN = os.environ["PROOFLOOP_ADMIN_TOKEN"]
