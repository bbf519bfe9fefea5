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


def pytest_sessionstart(session) -> None:
    """The compiled message catalogs the pages and emails read are build output (`make` compiles them); a bare
    pytest run on a fresh clone compiles any that are missing or older than their .po."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "catalogs.py"
    spec = importlib.util.spec_from_file_location("proofloop_catalogs", script)
    assert spec and spec.loader
    catalogs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(catalogs)
    stale = [
        language
        for language in catalogs.LANGUAGES
        if not catalogs.catalog_path(language, "mo").exists()
        or catalogs.catalog_path(language, "mo").stat().st_mtime < catalogs.catalog_path(language).stat().st_mtime
    ]
    if stale:
        catalogs.compile_catalogs()
