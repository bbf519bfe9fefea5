"""Shared test set-up: a safe environment before anything imports the app, and factories."""

from __future__ import annotations

import os

pytest_plugins = ["tests.stand_ins.fixtures"]  # the store stand-ins (Shopify, WooCommerce) as fixtures

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

# PROOFLOOP_TEST_TRAVEL_DAYS=400 runs a tier with every clock (datetime, time, the domain's clock) that many days
# ahead of today, still ticking: CI runs the unit tier so, and a test that holds a date of its own (rather than
# one relative to the clock, or a clock it pins itself) fails there instead of on the day its date runs out.
TRAVEL_DAYS = int(os.environ.get("PROOFLOOP_TEST_TRAVEL_DAYS") or 0)


def pytest_configure(config) -> None:
    # Hypothesis's default 200 ms deadline per example is a timing assertion: on a busy 2-core machine a slow
    # example fails a property that holds. Time is measured in `make bench`, never asserted in tests.
    from hypothesis import settings

    settings.register_profile("proofloop", deadline=None)
    settings.load_profile("proofloop")
    if TRAVEL_DAYS:
        from datetime import UTC, datetime, timedelta

        import time_machine

        time_machine.travel(datetime.now(UTC) + timedelta(days=TRAVEL_DAYS), tick=True).start()


def pytest_report_header(config) -> str | None:
    return f"clock moved {TRAVEL_DAYS} days ahead (PROOFLOOP_TEST_TRAVEL_DAYS)" if TRAVEL_DAYS else None


def _build_script(name: str):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"proofloop_{name}", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_sessionstart(session) -> None:
    """The compiled message catalogs the pages and emails read, and the crawler index the clicks read, are build
    output (`make` writes them); a bare pytest run on a fresh clone writes any that are missing or stale."""
    catalogs = _build_script("catalogs")
    stale = [
        language
        for language in catalogs.LANGUAGES
        if not catalogs.catalog_path(language, "mo").exists()
        or catalogs.catalog_path(language, "mo").stat().st_mtime < catalogs.catalog_path(language).stat().st_mtime
    ]
    if stale:
        catalogs.compile_catalogs()
    crawlers = _build_script("crawlers")
    if crawlers.stale():
        crawlers.write_index()
