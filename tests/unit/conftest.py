"""Unit tier: the app in-process through chalice.test, on moto's DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from chalicelib.config import reset_settings
from chalicelib.store.table import reset_table
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body
from tests.unit import moto_transactions

moto_transactions.install()


@pytest.fixture
def table() -> Iterator[Any]:
    """A fresh moto table for one test, and the photo bucket on moto's S3."""
    with mock_aws():
        reset_settings()
        reset_table()
        from chalicelib.config import get_settings
        from chalicelib.store.schema import create_table
        from chalicelib.store.table import get_client, get_table

        create_table(get_client(), get_settings().table_name)
        from chalicelib.storage.s3 import ensure_bucket, get_s3_client, reset_storage

        reset_storage()
        ensure_bucket(get_s3_client(), get_settings().photo_bucket, [get_settings().base_url])  # moto's S3
        yield get_table()
        reset_table()
        reset_storage()
        reset_settings()


class Api:
    """Tiny JSON helper over chalice.test's HTTP client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Any:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        response = self.client.http.request(method, path, headers=sent, body=payload or b"")
        response.json = (
            json.loads(response.body)
            if response.body and response.headers.get("Content-Type", "").startswith("application/json")
            else None
        )
        return response

    def create_shop(self, **overrides: Any) -> tuple[dict[str, Any], str]:
        body = shop_body(**overrides)
        response = self.request("POST", "/shops", body, token=ADMIN_TOKEN)
        assert response.status_code == 201, response.body
        return body, response.json["api_key"]


@pytest.fixture
def api(table: Any) -> Iterator[Api]:
    import app
    from localdev.gateway import test_client

    with test_client(app.app) as client:
        yield Api(client)


@pytest.fixture
def outbox(tmp_path, monkeypatch):
    """A fresh outbox folder for the mailer of this test."""
    from chalicelib.mail import reset_mailer

    folder = tmp_path / "outbox"
    monkeypatch.setenv("PROOFLOOP_OUTBOX", str(folder))
    reset_settings()
    reset_mailer()
    yield folder
    reset_mailer()
