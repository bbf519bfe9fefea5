"""Cold start: `import app` plus its clients, as a multiple of the floor (boto3 + one DynamoDB client).

Each sample is a fresh interpreter; floor and app runs are interleaved so machine noise hits both
alike, and the medians are compared. Peak memory is the child's max RSS from wait4().
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FLOOR = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"
APP = "import app; from chalicelib.store.table import get_table; get_table()"
FIRST_REQUEST = (
    "import app; from chalicelib.store.table import get_table; get_table();"
    "from chalicelib.endpoints import dispatch; from chalicelib.http import HttpRequest;"
    "dispatch('health', HttpRequest(method='GET', path='/health'))"
)
GOAL_TIME, GOAL_MEMORY = 1.35, 1.5


def _sample(code: str) -> tuple[float, float]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"sample failed: {code}")
    return elapsed, usage.ru_maxrss / 1024.0  # MiB


def measure(runs: int = 15) -> dict[str, float]:
    for code in (FLOOR, APP, FIRST_REQUEST):  # warm the file cache and .pyc files once
        _sample(code)
    samples: dict[str, list[tuple[float, float]]] = {"floor": [], "app": [], "first": []}
    for _ in range(runs):
        samples["floor"].append(_sample(FLOOR))
        samples["app"].append(_sample(APP))
        samples["first"].append(_sample(FIRST_REQUEST))
    med = {
        name: (statistics.median(t for t, _ in s), statistics.median(m for _, m in s)) for name, s in samples.items()
    }
    return {
        "floor_s": med["floor"][0],
        "floor_mib": med["floor"][1],
        "app_s": med["app"][0],
        "app_mib": med["app"][1],
        "first_request_s": med["first"][0],
        "first_request_mib": med["first"][1],
        "time_ratio": med["app"][0] / med["floor"][0],
        "memory_ratio": med["app"][1] / med["floor"][1],
        "first_request_time_ratio": med["first"][0] / med["floor"][0],
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


def report(figures: dict[str, float]) -> list[str]:
    ok_time = "ok" if figures["time_ratio"] <= GOAL_TIME else "OVER"
    ok_mem = "ok" if figures["memory_ratio"] <= GOAL_MEMORY else "OVER"
    return [
        f"cold start floor (boto3 + DynamoDB client)  {_ms(figures['floor_s'])}  {figures['floor_mib']:6.1f} MiB",
        f"cold start import app + clients             {_ms(figures['app_s'])}  {figures['app_mib']:6.1f} MiB",
        f"  time ratio   {figures['time_ratio']:.2f}x (goal <= {GOAL_TIME}x) {ok_time}",
        f"  memory ratio {figures['memory_ratio']:.2f}x (goal <= {GOAL_MEMORY}x) {ok_mem}",
        f"first request (import + one routed call)    {figures['first_request_s'] * 1000:7.0f} ms  "
        f"{figures['first_request_mib']:6.1f} MiB  ({figures['first_request_time_ratio']:.2f}x floor)",
    ]


if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    print("\n".join(report(measure(runs))))
