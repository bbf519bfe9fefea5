"""DynamoDB calls per event, counted through botocore's events (not timed), on moto in-process."""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.units import UnitMeter  # noqa: E402

# The settings the recording runs with. Applied by whoever runs the bench (bench/run.py, `use_environment`),
# never on import: a unit test imports this module and sets the same values for itself alone.
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "PROOFLOOP_STAGE": "dev",
    "PROOFLOOP_TABLE": "proofloop-dev",
    "PROOFLOOP_ADMIN_TOKEN": "bench-admin",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}


def use_environment(outbox: str | None = None) -> None:
    """This process's environment for the recording: moto's fake credentials, the dev table, a quiet log."""
    os.environ.update(ENVIRONMENT)
    os.environ["PROOFLOOP_OUTBOX"] = outbox or tempfile.mkdtemp(prefix="proofloop-bench-outbox-")
    os.environ.pop("DYNAMODB_ENDPOINT", None)


HUGE_ID = "order webhook, id 1E+1000000"


class CallCounter:
    """Counts DynamoDB calls by operation, and the items they read and write, from botocore's events."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb", self._count)
        client.meta.events.register("before-send.dynamodb", self._round_trip)
        client.meta.events.register("before-parameter-build.dynamodb", self._writes)
        client.meta.events.register("after-call.dynamodb", self._items)
        client.meta.events.register("after-call.dynamodb", self._keep)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def _round_trip(self, **_: Any) -> None:
        # One HTTP request sent and waited for: our code sends its calls one after another, never side by
        # side, so an event's wait on the database is its round trips (retries included).
        self.calls["~round trips"] += 1

    def _writes(self, model: Any, params: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems":
            self.calls["~items written"] += len(params.get("TransactItems", []))
        elif model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            self.calls["~items written"] += 1

    def _items(self, model: Any, parsed: Any = None, **_: Any) -> None:
        if model.name == "Query":
            self.calls["~items read"] += int(parsed.get("Count", 0))
        elif model.name == "GetItem":
            self.calls["~items read"] += 1 if parsed.get("Item") else 0
        elif model.name == "BatchGetItem":
            self.calls["~items read"] += sum(len(v) for v in parsed.get("Responses", {}).values())

    meter: UnitMeter | None = None

    def measure(self, action: Callable[[], Any]) -> Counter[str]:
        """Run one action, counting its calls and request units; its Lambda events and DynamoDB answers are
        kept in `last`."""
        from chalicelib.store.table import get_table

        self.calls.clear()
        if self.meter:
            self.meter.reset()
        self.last = Recording(action, cache=get_table().recent.snapshot())
        self._recording = self.last
        try:
            self.last.outcome = action()
        finally:
            self._recording = None
        counted: Counter[Any] = Counter(self.calls)
        if self.meter:
            counted["~read units"] = self.meter.read
            counted["~write units"] = self.meter.written
        return counted

    _recording: Recording | None = None
    last: Recording | None = None

    def _keep(self, model: Any, http_response: Any = None, parsed: Any = None, **_: Any) -> None:
        if self._recording is not None:
            status = getattr(http_response, "status_code", 200)
            self._recording.answers.append((model.name, status, copy.deepcopy(parsed)))


@dataclass
class Recording:
    """What one measured action did: the Lambda events it sent the app, the status of each answer, and
    DynamoDB's answers in order; and the state it started from, the container's cache of items that rarely
    change (store/recent.py), which decides whether the action reads them.

    bench/handler_time.py replays them with DynamoDB stubbed out: the same state, events and answers."""

    action: Callable[[], Any]
    cache: dict[Any, Any] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    answers: list[tuple[str, int, Any]] = field(default_factory=list)
    outcome: Any = None  # what the action returned (the due job: how many emails it sent)


class RecordingApp:
    """The Chalice app as the local gateway sees it, keeping each Lambda event it is invoked with."""

    def __init__(self, app: Any, counter: CallCounter) -> None:
        self._app = app
        self._counter = counter

    def __call__(self, event: Any, context: Any) -> Any:
        recording = self._counter._recording
        if recording is not None:
            recording.events.append(copy.deepcopy(event))
        response = self._app(event, context)
        if recording is not None:
            recording.statuses.append(response["statusCode"])
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


class Results(list[tuple[str, Counter[str]]]):
    """(label, calls) pairs; each append also files the action's recording under its label."""

    def __init__(self, counter: CallCounter) -> None:
        super().__init__()
        self.counter = counter
        self.recordings: dict[str, Recording] = {}

    def append(self, entry: tuple[str, Counter[str]]) -> None:
        super().append(entry)
        if self.counter.last is not None:
            self.recordings[entry[0]] = self.counter.last


def run(each_kind_once: bool = False) -> Results:
    """Record every measured event on moto. `each_kind_once` leaves out the figures that need volume (a due job
    of 40 and a report over 10x the events): one event of each kind, in a few seconds.

    Needs `use_environment()` (or the same variables) in force."""
    import boto3
    from moto import mock_aws

    from tests import signers

    if os.environ.get("PROOFLOOP_ADMIN_TOKEN") != ENVIRONMENT["PROOFLOOP_ADMIN_TOKEN"]:
        raise RuntimeError("bench.ddb_calls.run needs its environment: call use_environment() first")
    with mock_aws():
        import app
        from chalicelib import observability  # noqa: F401 - built now, under this quiet log level
        from chalicelib.config import get_settings, reset_settings
        from chalicelib.store.schema import create_table
        from chalicelib.store.table import get_client, reset_table
        from localdev.gateway import test_client

        reset_settings()
        reset_table()
        create_table(get_client(), get_settings().table_name)
        counter = CallCounter(get_client())
        peek = boto3.client("dynamodb", region_name="us-east-1")
        counter.meter = UnitMeter(get_client(), peek, get_settings().table_name)
        secret = "shpss_bench_0123456789abcdef"
        shop = {
            "shop_id": "bench-shop",
            "name": "Bench",
            "platform": "shopify",
            "domains": ["bench.example.com"],
            "webhook_secret": secret,
        }
        results = Results(counter)
        with test_client(RecordingApp(app.app, counter)) as client:

            def post(path: str, body: Any, headers: dict[str, str]) -> Any:
                raw = json.dumps(body).encode()
                response = client.http.post(path, body=raw, headers=headers(raw) if callable(headers) else headers)
                assert response.status_code < 300, response.body
                return response

            admin = {"Authorization": "Bearer bench-admin", "Content-Type": "application/json"}
            created = {}

            def create() -> None:
                created.update(json.loads(post("/shops", shop, admin).body))

            results.append(("create shop", counter.measure(create)))
            owner = {"Authorization": f"Bearer {created['api_key']}"}
            results.append(
                ("owner GET /shops/{id}", counter.measure(lambda: client.http.get("/shops/bench-shop", headers=owner)))
            )

            def shopify(topic: str, payload: dict[str, Any], expect: str = "accepted") -> Callable[[], Any]:
                """A signed delivery; measuring one the app ignores would count the wrong path, so that fails."""

                def deliver() -> Any:
                    response = post(
                        "/webhooks/shopify",
                        payload,
                        lambda raw: signers.shopify_headers(topic, "bench.example.com", secret, raw),
                    )
                    status = json.loads(response.body)["status"]
                    if status != expect:
                        raise AssertionError(f"{topic} was {status}, not {expect}: {response.body[:300]!r}")
                    return response

                return deliver

            order = signers.fixture("shopify_order.json")
            results.append(("order webhook (new order)", counter.measure(shopify("orders/create", order))))
            results.append(
                ("order webhook (duplicate)", counter.measure(shopify("orders/create", order, expect="duplicate")))
            )
            fulfilled = {
                **order,
                "fulfillments": [{"id": 1, "status": "success", "created_at": "2026-11-04T09:00:00-05:00"}],
            }
            results.append(("fulfilment webhook", counter.measure(shopify("orders/fulfilled", fulfilled))))
            refund = signers.fixture("shopify_refund.json")
            results.append(("refund webhook", counter.measure(shopify("refunds/create", refund))))
            results.append(
                ("refund webhook (duplicate)", counter.measure(shopify("refunds/create", refund, expect="duplicate")))
            )
            # A signed body whose id is 1E+1000000: a few bytes that int() would spend half a minute on. It
            # is refused (422) before any such number is made; handler_time compares it with a valid order.
            huge = json.dumps(order).replace('"id": 5839274650112', '"id": 1E+1000000', 1).encode()
            assert b"1E+1000000" in huge

            def refuse_huge_id() -> None:
                headers = signers.shopify_headers("orders/create", "bench.example.com", secret, huge)
                response = client.http.post("/webhooks/shopify", body=huge, headers=headers)
                assert response.status_code == 422, response.body

            results.append((HUGE_ID, counter.measure(refuse_huge_id)))
            _loop_events(results, client, counter, shopify, owner, each_kind_once)
        counter.meter.detach(get_client())  # the replay in bench/handler_time must not read the table
    return results


def _loop_events(
    results: Results, client: Any, counter: CallCounter, shopify: Any, owner: dict[str, str], each_kind_once: bool
) -> None:
    """Review, share, click, referred order, due work over N, and a report at 1x and 10x the events."""
    from datetime import datetime, timedelta, timezone

    from chalicelib.reviews.requests import send_due
    from chalicelib.reviews.tokens import review_token
    from chalicelib.store import keys
    from chalicelib.store.table import get_table
    from tests import signers

    browser = {"User-Agent": "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Version/18.1 Mobile Safari/604.1"}
    order_id, product_id = "5839274650112", "8123456700416"
    review = {
        "token": review_token("bench-shop", order_id, [product_id]),
        "product_id": product_id,
        "rating": 5,
        "title": "Great",
        "body": "Carried it up three peaks.",
    }
    answer: dict[str, Any] = {}

    def submit() -> None:
        response = client.http.post(
            "/reviews", body=json.dumps(review).encode(), headers={"Content-Type": "application/json"}
        )
        answer.update(json.loads(response.body))

    results.append(("review submission (happy)", counter.measure(submit)))
    code = answer["share"]["code"]
    words = "Comfortable on a full day out, the straps never dug in and the pockets fit everything. "
    long_review = {
        **review,
        "token": review_token("bench-shop", order_id, [product_id, "8123456733184"]),
        "product_id": "8123456733184",
        "body": (words * 60)[:5000],
    }

    def submit_long() -> None:
        response = client.http.post(
            "/reviews", body=json.dumps(long_review).encode(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 201, response.body

    results.append(("review, 5,000-char body", counter.measure(submit_long)))
    results.append(
        (
            "share",
            counter.measure(
                lambda: client.http.get(
                    f"/share/{code}/whatsapp", headers={**browser, "X-Forwarded-For": "203.0.113.1"}
                )
            ),
        )
    )
    get_table().recent.clear()  # a container that has not read the shop and product yet
    results.append(
        (
            "click (new container)",
            counter.measure(
                lambda: client.http.get(f"/s/{code}", headers={**browser, "X-Forwarded-For": "198.51.100.9"})
            ),
        )
    )
    get_table().update(keys.code_key(code), "REMOVE click_days")  # as on the code's next day
    results.append(
        (
            "click (first of the day)",
            counter.measure(
                lambda: client.http.get(f"/s/{code}", headers={**browser, "X-Forwarded-For": "198.51.100.1"})
            ),
        )
    )
    results.append(
        (
            "click (counted)",
            counter.measure(
                lambda: client.http.get(f"/s/{code}", headers={**browser, "X-Forwarded-For": "198.51.100.2"})
            ),
        )
    )
    results.append(
        (
            "click (repeat, not counted)",
            counter.measure(
                lambda: client.http.get(f"/s/{code}", headers={**browser, "X-Forwarded-For": "198.51.100.2"})
            ),
        )
    )
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    friend = {
        **signers.fixture("shopify_order.json"),
        "id": 777000,
        "created_at": now,
        "updated_at": now,
        "customer": {"id": 9900, "email": "friend@example.org", "first_name": "Fr", "last_name": "Iend"},
        "email": "friend@example.org",
        "landing_site": f"/products/x?ref={code}",
    }
    results.append(("referred order webhook", counter.measure(shopify("orders/create", friend))))

    def fulfilled_orders(count: int, start: int) -> None:
        for n in range(start, start + count):
            order = {
                **signers.fixture("shopify_order.json"),
                "id": 880000 + n,
                "fulfillments": [{"id": n, "status": "success", "created_at": now}],
            }
            shopify("orders/fulfilled", order)()

    later = datetime.now(timezone.utc) + timedelta(days=400)  # past every request's due day
    for n, start in ((10, 0),) if each_kind_once else ((10, 0), (40, 100)):
        fulfilled_orders(n, start)
        results.append((f"due job, {n} requests", counter.measure(lambda: send_due(get_table(), now=later))))
        if counter.last is None or counter.last.outcome != n:
            sent = counter.last.outcome if counter.last else None
            raise AssertionError(f"the due job sent {sent} of {n} review requests")

    def report() -> None:
        assert client.http.get("/shops/bench-shop/report", headers=owner).status_code == 200

    results.append(("report, 1x events", counter.measure(report)))
    if not each_kind_once:
        fulfilled_orders(500, 1000)  # ten times the orders, on the same days, for the same advocates
        results.append(("report, 10x events", counter.measure(report)))
    results.append(("trivial route (GET /health)", counter.measure(lambda: client.http.get("/health"))))


def report(results: list[tuple[str, Counter[str]]]) -> list[str]:
    lines = ["DynamoDB calls per event (counted, not timed); round trips = requests waited for in turn"]
    for label, calls in results:
        total = _calls(calls)
        detail = ", ".join(f"{name} {count}" for name, count in sorted(calls.items()) if not name.startswith("~"))
        lines.append(
            f"  {label:<30} {total:>4} calls {calls['~round trips']:>3} round trips  "
            f"{calls['~items read']:>4} read {calls['~items written']:>4} written  "
            f"{calls['~read units']:>6.1f} RRU {calls['~write units']:>6.1f} WRU   {detail}"
        )
    by_label = dict(results)
    if "report, 10x events" in by_label:
        one, ten = by_label["report, 1x events"], by_label["report, 10x events"]
        calls_ratio = _calls(ten) / max(_calls(one), 1)
        lines.append(
            f"  report at 10x events / 1x: {calls_ratio:.2f}x calls, "
            f"{ten['~items read'] / max(one['~items read'], 1):.2f}x items read (goal <= 1.1)"
        )
        small, large = by_label["due job, 10 requests"], by_label["due job, 40 requests"]
        lines.append(
            f"  due job 40 / 10 requests: {_calls(large) / max(_calls(small), 1):.2f}x calls (linear in N, no scan)"
        )
    return lines


def _calls(counted: Counter[str]) -> int:
    """DynamoDB calls alone (the names that start with ~ are round trips, items and units)."""
    return sum(n for name, n in counted.items() if not name.startswith("~"))


if __name__ == "__main__":
    use_environment()
    print("\n".join(report(run())))
