"""A real proofloop process on loopback, for the integration and browser tiers and the benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from localdev.dynamodb import free_port

ROOT = Path(__file__).resolve().parent.parent


class LiveServer:
    """`python -m localdev.server` against a given DynamoDB endpoint, as `make run` starts it."""

    def __init__(
        self,
        dynamodb_endpoint: str | None,
        seed: bool = False,
        extra_env: dict[str, str] | None = None,
        data_dir: Path | None = None,
        extra_args: list[str] | None = None,
        ready_timeout: float = 180,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.outbox = ROOT / "test-artifacts" / f"outbox-{self.port}"
        env = {
            **os.environ,
            "PORT": str(self.port),
            "PROOFLOOP_OUTBOX": str(self.outbox),
            "PROOFLOOP_BASE_URL": self.url,
            **(extra_env or {}),
        }
        if dynamodb_endpoint:
            env["DYNAMODB_ENDPOINT"] = dynamodb_endpoint
        else:
            env.pop("DYNAMODB_ENDPOINT", None)
        args = [sys.executable, "-m", "localdev.server", "--port", str(self.port), "--due-interval", "3600"]
        if data_dir is not None:
            args += ["--data-dir", str(data_dir)]
        elif not dynamodb_endpoint:
            args.append("--in-memory")  # as `make run` starts it, but a test keeps nothing in .data/
        args += extra_args or []
        if not seed:
            args.append("--no-seed")
        self.log_path = ROOT / "test-artifacts" / f"server-{self.port}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.session = requests.Session()
        self._wait(ready_timeout, ready_line="Press Ctrl-C to stop." if seed else None)

    def _wait(self, timeout: float = 180, ready_line: str | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                healthy = requests.get(f"{self.url}/health", timeout=1).status_code == 200
                if healthy and (ready_line is None or ready_line in self.log()):
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout}s:\n{self.log_path.read_text()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = kwargs.pop("data", None)
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        return self.session.request(
            method, self.url + path, data=data, headers=sent, timeout=30, allow_redirects=False, **kwargs
        )

    def resident_mib(self) -> float:
        """Resident memory of the server and every process it started (the embedded DynamoDB Local)."""
        return resident_mib(self.process.pid)

    def children(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


def resident_mib(pid: int) -> float:
    """VmRSS of a process and every process it started, in MiB (Linux's /proc)."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        pids += [int(c) for c in children]
    return total / 1024


def children(pid: int) -> list[int]:
    """The processes `pid` started itself (Linux's /proc); none once it has ended."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    """Every process `pid` started, and every process those started."""
    found, pids = [], [pid]
    while pids:
        started = children(pids.pop())
        found += started
        pids += started
    return found


def alive(pid: int) -> bool:
    """Whether a process still runs: not gone, and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"
