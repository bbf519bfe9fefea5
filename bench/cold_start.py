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
- The first request of `GET /s/{code}` from a browser that DynamoDB answers, with the shop's referral
  program on (200, the friend's page: chalicelib/referrals/page.py) and off (302, the redirect), against
  a floor of `import boto3`, one client and the same three calls (GetItem, BatchGetItem,
  TransactWriteItems), sampled in rounds of their own after the cases above (which run as they did, with
  no server up). Every side talks to the same loopback server the bench starts (CannedDynamoDB),
  which answers DynamoDB's JSON protocol from items built by our own records and serializer: the code
  (GetItem), its shop and product (BatchGetItem), the click's transaction accepted ({}). A container's
  first click reads the shop and product (later clicks find them in store/recent.py), so its first
  request makes three round trips, program or not; the warm-up checks that each side makes exactly the
  floor's three calls, in its order, and that the friend's page carries its claim form. Bars: 1.5x the
  floor's time for the friend's page, 1.35x for the redirect, 1.5x peak memory for both.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localdev.lambda_events import proxy_event  # noqa: E402

GOAL_TIME, GOAL_MEMORY = 1.35, 1.5
GOAL_TIME_FRIEND_PAGE = 1.5  # the friend's page renders a page (the template engine) where the redirect renders none

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
boto3.DEFAULT_SESSION.events.register(
    "before-send.dynamodb", lambda event_name, **kwargs: ATTEMPTS.append(event_name.rsplit(".", 1)[-1])
)
"""
CHECK_AFTER = """
import json, sys
ANSWER = globals().get("answer") or {}
print(json.dumps({"attempts": len(ATTEMPTS), "operations": ATTEMPTS,
                  "modules": sorted(m for m in sys.modules if m.startswith("chalicelib")),
                  "heavy": [name for name, module in HEAVY.items() if module in sys.modules],
                  "answer": {k: ANSWER.get(k) for k in ("statusCode", "headers", "body")}}))
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

# The click that DynamoDB answers: two shops, one with the referral program on, each with a code and a product.
TABLE = "proofloop-bench"
SHOP_ON, SHOP_OFF = "bench-program", "bench-plain"
CODE_ON, CODE_OFF = "pl-abcdefghk", "pl-abcdefghm"
PRODUCT = "bench-mug"
SERVED_CALLS = ["GetItem", "BatchGetItem", "TransactWriteItems"]
# name: (event, status, bar for time); each against the floor that makes the same calls (FLOOR_SERVED).
SERVED = {
    "friend_page": (
        proxy_event("GET", "/s/{code}", f"/s/{CODE_ON}", BROWSER, request_id="bench-request"),
        200,
        GOAL_TIME_FRIEND_PAGE,
    ),
    "click_redirect_served": (
        proxy_event("GET", "/s/{code}", f"/s/{CODE_OFF}", BROWSER, request_id="bench-request"),
        302,
        GOAL_TIME,
    ),
}

# The same three calls as a browser's first click, with the app's client settings, answered the same.
FLOOR_SERVED = """
import boto3
from botocore.config import Config
config = Config(retries={"mode": "standard", "max_attempts": 0}, connect_timeout=2, read_timeout=4, tcp_keepalive=True)
client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=ENDPOINT, config=config)
code = client.get_item(TableName=TABLE, Key=CODE_KEY)["Item"]
client.batch_get_item(RequestItems={TABLE: {"Keys": [SHOP_KEY, PRODUCT_KEY]}})
client.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": {**CODE_KEY, "seen": {"N": "1"}}}}])
"""


def served_items() -> dict[tuple[str, str], dict[str, Any]]:
    """The items the canned DynamoDB answers with, by (PK, SK), serialized as the app stores them: each shop
    (Shop.to_item, a percent friend's offer, program on or off), its product and a code with a review."""
    from chalicelib.store import keys
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.shop_settings import FriendOffer, ReferralSettings, ShopSettings
    from chalicelib.store.table import serialize

    items: list[dict[str, Any]] = []
    for shop_id, code, enabled in ((SHOP_ON, CODE_ON, True), (SHOP_OFF, CODE_OFF, False)):
        domain = f"{shop_id}.myshopify.com"
        referral = ReferralSettings(
            enabled=enabled, friend_offer=FriendOffer(type="percent", value="15"), terms="One offer per friend."
        )
        shop = Shop(
            shop_id=shop_id,
            name="Bench Pottery",
            platform="shopify",
            domains=[domain],
            webhook_secret="bench-webhook-secret",
            settings=ShopSettings(referral=referral),
            api_key_hash="0" * 64,
            created_at="2026-01-05T10:00:00Z",
        )
        product = {
            **keys.product_key(shop_id, PRODUCT),
            "type": "product",
            "product_id": PRODUCT,
            "title": "Stoneware mug",
            "url": f"https://{domain}/products/{PRODUCT}",
            "image_url": f"https://cdn.example.com/{PRODUCT}.jpg",
            "updated_at": "2026-01-05T10:00:00Z",
        }
        share = {
            **keys.code_key(code),
            "type": "code",
            "code": code,
            "shop_id": shop_id,
            "customer_id": "bench-customer",
            "created_at": "2026-01-06T10:00:00Z",
            "card_version": "0123456789abcdef",
            "product_id": PRODUCT,
            "product_title": "Stoneware mug",
            "rating": 5,
            "quote": "Keeps the coffee hot and feels good in the hand.",
            "quote_title": "My daily mug",
            "author": "Ana P.",
            "review_id": "bench-review",
        }
        items += [shop.to_item(), product, share]
    return {(i[keys.PK], i[keys.SK]): serialize(i) for i in items}


class CannedDynamoDB:
    """DynamoDB's JSON protocol on a loopback port, answered from fixed items by the X-Amz-Target header:
    GetItem and BatchGetItem by key, TransactWriteItems with {} (accepted, written nowhere), anything else
    refused. `calls` counts the requests by operation. Use it as a context manager: a thread serves it."""

    def __init__(self, items: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.items = items
        self.calls: Counter[str] = Counter()
        canned = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as DynamoDB: one connection for a sample's calls

            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                operation = str(self.headers.get("X-Amz-Target", "")).rpartition(".")[2]
                status, answer = canned.answer(operation, request)
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("x-amz-crc32", str(zlib.crc32(body)))  # botocore checks it, as DynamoDB's
                self.send_header("x-amzn-RequestId", "bench")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, operation: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls[operation] += 1
        if operation == "GetItem":
            item = self._item(request["Key"])
            return 200, {"Item": item} if item else {}
        if operation == "BatchGetItem":
            responses = {
                table: [item for key in wanted["Keys"] if (item := self._item(key))]
                for table, wanted in request["RequestItems"].items()
            }
            return 200, {"Responses": responses, "UnprocessedKeys": {}}
        if operation == "TransactWriteItems":
            return 200, {}
        return 400, {"__type": "com.amazon.coral.service#UnknownOperationException", "message": operation}

    def _item(self, key: dict[str, Any]) -> dict[str, Any] | None:
        return self.items.get((key["PK"]["S"], key["SK"]["S"]))

    def __enter__(self) -> CannedDynamoDB:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


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


def served_programs(endpoint: str) -> dict[str, str]:
    """The programs that DynamoDB answers (CannedDynamoDB at `endpoint`): their floor and the two clicks."""
    from chalicelib.store import keys
    from chalicelib.store.table import serialize

    given = {
        "ENDPOINT": endpoint,
        "TABLE": TABLE,
        "CODE_KEY": serialize(keys.code_key(CODE_ON)),
        "SHOP_KEY": serialize(keys.shop_key(SHOP_ON)),
        "PRODUCT_KEY": serialize(keys.product_key(SHOP_ON, PRODUCT)),
    }
    floor = "".join(f"{name} = {value!r}\n" for name, value in given.items()) + FLOOR_SERVED
    routes = {name: f"EVENT = {event!r}\nSTATUS = {status}\n{ROUTE}" for name, (event, status, _) in SERVED.items()}
    return {"floor_served": floor, **routes}


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


def _checked(name: str, found: dict[str, Any]) -> None:
    """Raise unless the warm-up run of `name` made the calls its side makes and answered what it should."""
    if name in SERVED or name == "floor_served":
        if found["operations"] != SERVED_CALLS:
            raise RuntimeError(f"{name} called {found['operations']}, not {SERVED_CALLS}")
    elif found["attempts"] != 1:
        raise RuntimeError(f"{name} made {found['attempts']} DynamoDB call attempts, not one")
    if name == "friend_page":
        answer = found["answer"]
        kind = {k.lower(): v for k, v in (answer["headers"] or {}).items()}.get("content-type", "")
        if not kind.startswith("text/html") or f"/s/{CODE_ON}/claim" not in answer["body"]:
            raise RuntimeError(f"friend_page answered no friend's page: {kind} {answer['body'][:200]}")


def _interleaved(codes: dict[str, str], envs: dict[str, dict[str, str]], cwd: Path, runs: int) -> dict[str, Any]:
    """Each program checked once (its calls counted, which also warms the file cache), then sampled
    `runs` times interleaved: medians of time and peak memory, and each route's ratios to its floor.
    `envs` gives each program's environment."""
    floors = {"floor_call", "floor_served"}
    checks = {
        name: _check(code, envs[name], cwd)
        for name, code in codes.items()
        if name in floors | set(ROUTES) | set(SERVED)
    }
    for name, found in checks.items():
        _checked(name, found)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in codes}
    for _ in range(runs):
        for name, code in codes.items():
            samples[name].append(_sample(code, envs[name], cwd))
    figures: dict[str, Any] = {"runs": runs}
    for name, s in samples.items():
        figures[f"{name}_s"] = statistics.median(t for t, _ in s)
        figures[f"{name}_mib"] = statistics.median(m for _, m in s)
    routes = dict.fromkeys(ROUTES, "floor_call") | dict.fromkeys(SERVED, "floor_served")
    for name, floor in routes.items():
        if name not in codes:
            continue
        figures[f"{name}_time_ratio"] = figures[f"{name}_s"] / figures[f"{floor}_s"]
        figures[f"{name}_memory_ratio"] = figures[f"{name}_mib"] / figures[f"{floor}_mib"]
        # The spread: each round's ratio (its sample and its floor's, taken moments apart), first and third quartile.
        rounds = [t / f for (t, _), (f, _) in zip(samples[name], samples[floor], strict=True)]
        figures[f"{name}_time_spread"] = _quartiles(rounds)
        figures[f"{name}_modules"] = checks[name]["modules"]
        figures[f"{name}_heavy"] = checks[name]["heavy"]
    return figures


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def _served(cwd: Path, runs: int) -> dict[str, Any]:
    """The clicks DynamoDB answers and their floor, in rounds of their own, CannedDynamoDB up meanwhile."""
    with CannedDynamoDB(served_items()) as canned:
        codes = served_programs(canned.endpoint)
        return _interleaved(codes, dict.fromkeys(codes, _env(canned.endpoint)), cwd, runs)


def measure(runs: int = 15) -> dict[str, Any]:
    endpoint = _closed_port()
    env = _env(endpoint)
    codes = programs(endpoint)
    for name in ("floor", "app"):
        _sample(codes[name], env)  # warm the file cache for the programs the check does not run
    figures = {**_interleaved(codes, dict.fromkeys(codes, env), ROOT, runs), **_served(ROOT, runs)}
    figures["time_ratio"] = figures["app_s"] / figures["floor_s"]
    figures["memory_ratio"] = figures["app_mib"] / figures["floor_mib"]
    return figures


def measure_deployed(runs: int = 15) -> dict[str, Any]:
    """The hot routes' first request from the deployment package `make package` builds, unpacked as
    Lambda unpacks it: its libraries and our modules load from the bytecode it ships (scripts/package.py),
    boto3 from the runtime's (here the environment's) own. The floors run from the same folder."""
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
        figures = {**_interleaved(codes, dict.fromkeys(codes, env), task, runs), **_served(task, runs)}
        return {**figures, "compiled": sum(1 for _ in task.rglob("*.pyc"))}


def report_deployed(figures: dict[str, Any]) -> list[str]:
    f = figures
    lines = [
        f"from the deployment package, unpacked as Lambda unpacks it ({f['compiled']} precompiled modules shipped):",
        _figure("  first request floor (boto3 + client + one call attempt)", f["floor_call_s"], f["floor_call_mib"]),
    ]
    for name, title in TITLES.items():
        lines.append(_figure(f"  first request {title}", f[f"{name}_s"], f[f"{name}_mib"]))
        lines += _ratios(f[f"{name}_time_ratio"], f[f"{name}_memory_ratio"])
    lines += _served_lines(f, indent="  ")
    lines.append(f"  (medians of {f['runs']} interleaved fresh interpreters)")
    return lines


TITLES = {"click": "GET /s/{code}, a browser's click", "webhook": "POST /webhooks/shopify"}
SERVED_TITLES = {
    "friend_page": "friend_page (GET /s/{code}, program on)",
    "click_redirect_served": "click_redirect_served (program off, 302)",
}


def _figure(label: str, seconds: float, mib: float) -> str:
    return f"{label:<58} {seconds * 1000:5.0f} ms  {mib:6.1f} MiB"


def _ratios(time_ratio: float, memory_ratio: float, goal_time: float = GOAL_TIME) -> list[str]:
    def verdict(ratio: float, goal: float) -> str:
        return "ok" if ratio <= goal else "OVER"

    return [
        f"  time ratio   {time_ratio:.2f}x (goal <= {goal_time}x) {verdict(time_ratio, goal_time)}",
        f"  memory ratio {memory_ratio:.2f}x (goal <= {GOAL_MEMORY}x) {verdict(memory_ratio, GOAL_MEMORY)}",
    ]


def _served_lines(figures: dict[str, Any], indent: str = "") -> list[str]:
    """The clicks DynamoDB answered: their floor, then each with its ratios and the spread of its rounds."""
    f = figures
    floor = f"{indent}first request floor (boto3 + client + 3 answered calls)"
    lines = [_figure(floor, f["floor_served_s"], f["floor_served_mib"])]
    for name, title in SERVED_TITLES.items():
        low, high = f[f"{name}_time_spread"]
        lines.append(_figure(f"{indent}first request {title}", f[f"{name}_s"], f[f"{name}_mib"]))
        time_line, memory_line = _ratios(f[f"{name}_time_ratio"], f[f"{name}_memory_ratio"], SERVED[name][2])
        lines += [f"{time_line}  (rounds {low:.2f}-{high:.2f}x)", memory_line]
    return lines


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
    lines += _served_lines(f)
    lines.append(
        "  (rounds of their own; DynamoDB answered on loopback, 3 calls on each side; rounds: each round's ratio, "
        "first to third quartile)"
    )
    for name, title in {**TITLES, **SERVED_TITLES}.items():
        loaded = ", ".join(f"{library} {'YES' if library in f[f'{name}_heavy'] else 'no'}" for library in HEAVY)
        lines.append(f"loaded by the first request {title}: {loaded}")
    lines.append(f"chalicelib modules the first click imports ({len(f['click_modules'])}):")
    lines += _wrapped(f["click_modules"])
    page = sorted(set(f["friend_page_modules"]) - set(f["click_redirect_served_modules"]))
    lines.append(f"chalicelib modules the friend's page imports beyond the redirect's ({len(page)}):")
    return lines + _wrapped(page)


if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    print("\n".join(report(measure(runs))))
    print("\n".join(report_deployed(measure_deployed(runs))))
