"""DynamoDB calls per event, counted through botocore's events (not timed), on moto in-process."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

for name, value in {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "PROOFLOOP_STAGE": "dev",
    "PROOFLOOP_TABLE": "proofloop-dev",
    "PROOFLOOP_ADMIN_TOKEN": "bench-admin",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}.items():
    os.environ[name] = value
os.environ.pop("DYNAMODB_ENDPOINT", None)


class CallCounter:
    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def measure(self, action: Callable[[], Any]) -> Counter[str]:
        self.calls.clear()
        action()
        return Counter(self.calls)


def run() -> list[tuple[str, Counter[str]]]:
    from moto import mock_aws

    from tests import signers

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
        secret = "shpss_bench_0123456789abcdef"
        shop = {
            "shop_id": "bench-shop",
            "name": "Bench",
            "platform": "shopify",
            "domains": ["bench.example.com"],
            "webhook_secret": secret,
        }
        results = []
        with test_client(app.app) as client:

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

            def shopify(topic: str, payload: dict[str, Any]) -> Callable[[], Any]:
                return lambda: post(
                    "/webhooks/shopify",
                    payload,
                    lambda raw: signers.shopify_headers(topic, "bench.example.com", secret, raw),
                )

            order = signers.fixture("shopify_order.json")
            results.append(("order webhook (new order)", counter.measure(shopify("orders/create", order))))
            results.append(("order webhook (duplicate)", counter.measure(shopify("orders/create", order))))
            fulfilled = {**order, "fulfillments": [{"id": 1, "created_at": "2026-11-04T09:00:00-05:00"}]}
            results.append(("fulfilment webhook", counter.measure(shopify("orders/fulfilled", fulfilled))))
            refund = signers.fixture("shopify_refund.json")
            results.append(("refund webhook", counter.measure(shopify("refunds/create", refund))))
            results.append(("refund webhook (duplicate)", counter.measure(shopify("refunds/create", refund))))
    return results


def report(results: list[tuple[str, Counter[str]]]) -> list[str]:
    lines = ["DynamoDB calls per event (counted, not timed)"]
    for label, calls in results:
        detail = ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))
        lines.append(f"  {label:<30} {sum(calls.values()):>3}   {detail}")
    return lines


if __name__ == "__main__":
    print("\n".join(report(run())))
