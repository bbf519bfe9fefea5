"""Integration tier: the real server process on the official DynamoDB Local and an S3 endpoint on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localdev.dynamodb import DynamoDBLocal
from localdev.live import LiveServer
from localdev.s3 import LocalS3
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    server = DynamoDBLocal().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_local() -> Iterator[LocalS3]:
    """moto's S3 server on loopback: the server process creates its photo bucket there at start."""
    server = LocalS3().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live(dynamodb_local: DynamoDBLocal, s3_local: LocalS3) -> Iterator[LiveServer]:
    server = LiveServer(dynamodb_local.endpoint, extra_env={"PROOFLOOP_S3_ENDPOINT": s3_local.endpoint})
    yield server
    server.stop()


@pytest.fixture
def db(dynamodb_local: DynamoDBLocal) -> Any:
    """The table on DynamoDB Local, read directly to check what the server stored."""
    import boto3

    from chalicelib.store.table import Table

    client = boto3.client(
        "dynamodb",
        endpoint_url=dynamodb_local.endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return Table(client=client, name="proofloop-dev")


@pytest.fixture
def new_shop(live: LiveServer) -> Any:
    def make(**overrides: Any) -> tuple[dict[str, Any], str]:
        body = shop_body(**overrides)
        response = live.request("POST", "/shops", body, token=ADMIN_TOKEN)
        assert response.status_code == 201, response.text
        return body, response.json()["api_key"]

    return make
