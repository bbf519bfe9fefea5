"""Cold start: `import app` and the first request of the hot routes, as multiples of the floor.

Each sample is a fresh interpreter; floors and app runs are interleaved so machine noise hits both
alike, and the medians are compared. Peak memory is the child's max RSS from wait4(). Our own modules
are compiled from source in every sample (PYTHONDONTWRITEBYTECODE); the installed libraries, boto3
included, load from their .pyc files. `measure_deployed` runs the hot routes from the deployment
package instead, which ships every module's bytecode (scripts/package.py), as Lambda would load it.

- `import app` plus its DynamoDB client, against `import boto3` plus one client.
- The first request of `GET /s/{code}` (a friend's click) and of `POST /webhooks/shopify`: the
  Lambda handler (`app.app`) called once with an API Gateway proxy event, against `import boto3`, one
  client and one call attempt. Both sides point at a closed loopback port with retries off, so each
  makes exactly one DynamoDB call attempt, refused at once: the figure is the route's own cost, not
  the network's. The click, from a browser, loads what a click that succeeds loads (but
  chalicelib.signing, used after the first read), then answers the 503 page that retries by itself,
  which loads the template engine: a click that succeeds answers a redirect and renders no page.
  The webhook carries a shop domain but no valid signature: the authorizer's read of the shop is the
  call attempt, and it answers 503 the same way. A signed webhook of a known shop would go on to parse
  its payload (chalicelib/webhooks/, pydantic) and apply it; those imports come after the database
  answered and are not in this figure. A warm-up run of each side, not timed, checks the status, counts
  the call attempts (exactly one each) and lists the chalicelib modules the route imported.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localdev.lambda_events import proxy_event  # noqa: E402

GOAL_TIME, GOAL_MEMORY = 1.35, 1.5

FLOOR = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"
APP = "import app; from chalicelib.store.table import get_table; get_table()"

# One call attempt (botocore's max_attempts counts retries), with the app's client settings (chalicelib/store/table.py).
FLOOR_CALL = """
import boto3
from botocore.config import Config
config = Config(retries={"mode": "standard", "max_attempts": 0}, connect_timeout=2, read_timeout=4, tcp_keepalive=True)
client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=ENDPOINT, config=config)
try:
    client.get_item(TableName="proofloop-bench", Key={"PK": {"S": "code#x"}, "SK": {"S": "code"}})
except Exception:
    pass
"""

# The Lambda runtime calls the handler with the event and a context object.
ROUTE = """
import app

class Context:
    function_name = "proofloop-bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:proofloop-bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self):
        return 29000

answer = app.app(EVENT, Context())
if answer["statusCode"] != STATUS:
    raise SystemExit(f"expected {STATUS}, got {answer['statusCode']}: {answer['body'][:200]}")
"""

# The untimed check: count the call attempts through boto3's default session (the app's client uses it).
CHECK_BEFORE = """
import boto3
boto3.setup_default_session()
ATTEMPTS = []
boto3.DEFAULT_SESSION.events.register("before-send.dynamodb", lambda **kwargs: ATTEMPTS.append(1))
"""
CHECK_AFTER = """
import json, sys
print(json.dumps({"attempts": len(ATTEMPTS), "modules": sorted(m for m in sys.modules if m.startswith("chalicelib")),
                  "heavy": [name for name, module in HEAVY.items() if module in sys.modules]}))
"""
# Libraries a hot route must not load (the README says so): by name, the module that loading them imports.
HEAVY = {"Pillow": "PIL", "Babel": "babel", "pydantic": "pydantic"}

CODE = "pl-abcdefghj"  # a well-formed share code: the route reads it from the database
BROWSER = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-US,en;q=0.5",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
}


CLICK_EVENT = proxy_event("GET", "/s/{code}", f"/s/{CODE}", BROWSER, request_id="bench-request")
WEBHOOK_EVENT = proxy_event(
    "POST",
    "/webhooks/shopify",
    "/webhooks/shopify",
    {
        "Content-Type": "application/json",
        "User-Agent": "Shopify-Captain-Hook",
        "X-Shopify-Shop-Domain": "bench-store.myshopify.com",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": "bm90IGEgc2lnbmF0dXJl",
        "X-Shopify-Webhook-Id": "bench-webhook",
    },
    json.dumps({"id": 1, "line_items": []}),
    request_id="bench-request",
)
ROUTES = {"click": (CLICK_EVENT, 503), "webhook": (WEBHOOK_EVENT, 503)}


def _closed_port() -> str:
    """A loopback address nothing listens on: a connection to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _env(endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "proofloop-bench",
        "PROOFLOOP_STAGE": "prod",
        "PROOFLOOP_TABLE": "proofloop-bench",
        "PROOFLOOP_SIGNING_SECRET": "bench-signing-secret-0123456789abcdef",
        "PROOFLOOP_ADMIN_TOKEN": "bench-admin-token",
        "PROOFLOOP_DDB_MAX_ATTEMPTS": "0",  # botocore counts retries: 0 is one attempt
        "DYNAMODB_ENDPOINT": endpoint,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def programs(endpoint: str) -> dict[str, str]:
    """Each sample's program: the floors, `import app`, and each route's first request."""
    floor_call = f"ENDPOINT = {endpoint!r}\n{FLOOR_CALL}"
    routes = {name: f"EVENT = {event!r}\nSTATUS = {status}\n{ROUTE}" for name, (event, status) in ROUTES.items()}
    return {"floor": FLOOR, "app": APP, "floor_call": floor_call, **routes}


def _sample(code: str, env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"sample failed: {code}")
    return elapsed, usage.ru_maxrss / 1024.0  # MiB


def _check(code: str, env: dict[str, str], cwd: Path = ROOT) -> dict[str, Any]:
    """Run a program once, untimed, counting its DynamoDB call attempts and the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-c", CHECK_BEFORE + code + f"\nHEAVY = {HEAVY!r}\n" + CHECK_AFTER],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"sample failed: {done.stderr[-2000:]}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _interleaved(codes: dict[str, str], env: dict[str, str], cwd: Path, runs: int) -> dict[str, Any]:
    """Each program checked once (one call attempt each, which also warms the file cache), then sampled
    `runs` times interleaved: medians of time and peak memory, and each route's ratios to the call floor."""
    checks = {name: _check(code, env, cwd) for name, code in codes.items() if name == "floor_call" or name in ROUTES}
    for name, found in checks.items():
        if found["attempts"] != 1:
            raise RuntimeError(f"{name} made {found['attempts']} DynamoDB call attempts, not one")
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in codes}
    for _ in range(runs):
        for name, code in codes.items():
            samples[name].append(_sample(code, env, cwd))
    figures: dict[str, Any] = {"runs": runs}
    for name, s in samples.items():
        figures[f"{name}_s"] = statistics.median(t for t, _ in s)
        figures[f"{name}_mib"] = statistics.median(m for _, m in s)
    for name in ROUTES:
        figures[f"{name}_time_ratio"] = figures[f"{name}_s"] / figures["floor_call_s"]
        figures[f"{name}_memory_ratio"] = figures[f"{name}_mib"] / figures["floor_call_mib"]
        figures[f"{name}_modules"] = checks[name]["modules"]
        figures[f"{name}_heavy"] = checks[name]["heavy"]
    return figures


def measure(runs: int = 15) -> dict[str, Any]:
    endpoint = _closed_port()
    env = _env(endpoint)
    codes = programs(endpoint)
    for name in ("floor", "app"):
        _sample(codes[name], env)  # warm the file cache for the programs the check does not run
    figures = _interleaved(codes, env, ROOT, runs)
    figures["time_ratio"] = figures["app_s"] / figures["floor_s"]
    figures["memory_ratio"] = figures["app_mib"] / figures["floor_mib"]
    return figures


def measure_deployed(runs: int = 15) -> dict[str, Any]:
    """The hot routes' first request from the deployment package `make package` builds, unpacked as
    Lambda unpacks it: its libraries and our modules load from the bytecode it ships (scripts/package.py),
    boto3 from the runtime's (here the environment's) own. The floor runs from the same folder."""
    import tempfile
    import zipfile

    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py"), "--stage", "prod"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    endpoint = _closed_port()
    env = _env(endpoint)
    codes = {name: code for name, code in programs(endpoint).items() if name == "floor_call" or name in ROUTES}
    with tempfile.TemporaryDirectory() as tmp:
        task = Path(tmp) / "task"
        with zipfile.ZipFile(ROOT / "dist" / "prod" / "deployment.zip") as archive:
            archive.extractall(task)
        return {**_interleaved(codes, env, task, runs), "compiled": sum(1 for _ in task.rglob("*.pyc"))}


def report_deployed(figures: dict[str, Any]) -> list[str]:
    f = figures
    lines = [
        f"from the deployment package, unpacked as Lambda unpacks it ({f['compiled']} precompiled modules shipped):",
        _figure("  first request floor (boto3 + client + one call attempt)", f["floor_call_s"], f["floor_call_mib"]),
    ]
    for name, title in TITLES.items():
        lines.append(_figure(f"  first request {title}", f[f"{name}_s"], f[f"{name}_mib"]))
        lines += _ratios(f[f"{name}_time_ratio"], f[f"{name}_memory_ratio"])
    lines.append(f"  (medians of {f['runs']} interleaved fresh interpreters)")
    return lines


TITLES = {"click": "GET /s/{code}, a browser's click", "webhook": "POST /webhooks/shopify"}


def _figure(label: str, seconds: float, mib: float) -> str:
    return f"{label:<58} {seconds * 1000:5.0f} ms  {mib:6.1f} MiB"


def _ratios(time_ratio: float, memory_ratio: float) -> list[str]:
    def verdict(ratio: float, goal: float) -> str:
        return "ok" if ratio <= goal else "OVER"

    return [
        f"  time ratio   {time_ratio:.2f}x (goal <= {GOAL_TIME}x) {verdict(time_ratio, GOAL_TIME)}",
        f"  memory ratio {memory_ratio:.2f}x (goal <= {GOAL_MEMORY}x) {verdict(memory_ratio, GOAL_MEMORY)}",
    ]


def _wrapped(names: list[str], width: int = 100) -> list[str]:
    lines, line = [], "   "
    for name in names:
        if len(line) + len(name) + 1 > width:
            lines.append(line)
            line = "   "
        line += " " + name
    return [*lines, line]


def report(figures: dict[str, Any]) -> list[str]:
    f = figures
    lines = [
        _figure("cold start floor (boto3 + DynamoDB client)", f["floor_s"], f["floor_mib"]),
        _figure("cold start import app + clients", f["app_s"], f["app_mib"]),
        *_ratios(f["time_ratio"], f["memory_ratio"]),
        _figure("first request floor (boto3 + client + one call attempt)", f["floor_call_s"], f["floor_call_mib"]),
    ]
    for name, title in TITLES.items():
        lines.append(_figure(f"first request {title}", f[f"{name}_s"], f[f"{name}_mib"]))
        lines += _ratios(f[f"{name}_time_ratio"], f[f"{name}_memory_ratio"])
    lines.append(f"  (medians of {f['runs']} interleaved fresh interpreters; one refused call attempt on each side)")
    for name, title in TITLES.items():
        loaded = ", ".join(f"{library} {'YES' if library in f[f'{name}_heavy'] else 'no'}" for library in HEAVY)
        lines.append(f"loaded by the first request {title}: {loaded}")
    lines.append(f"chalicelib modules the first click imports ({len(f['click_modules'])}):")
    return lines + _wrapped(f["click_modules"])


if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    print("\n".join(report(measure(runs))))
    print("\n".join(report_deployed(measure_deployed(runs))))
