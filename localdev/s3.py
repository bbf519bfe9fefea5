"""An S3 endpoint on loopback (moto's S3 server) for `make run` and the test tiers, with the photo bucket."""

from __future__ import annotations

from typing import Any

from localdev.dynamodb import free_port, wait_for_port


class LocalS3:
    """moto's threaded server bound to 127.0.0.1: presigned POSTs and GETs work against it as against S3.

    It keeps objects in memory (a restart of `make run` starts with an empty bucket)."""

    def __init__(self, port: int | None = None, avoid: int | None = None) -> None:
        self.port = port or free_port(avoid)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server: Any = None

    def start(self) -> LocalS3:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        wait_for_port(self.port)
        return self

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the loopback server takes any credentials
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def create_bucket(self, bucket: str, origins: list[str]) -> None:
        from chalicelib.storage.s3 import ensure_bucket

        ensure_bucket(self.client(), bucket, origins)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
