"""Share links over HTTP on DynamoDB Local: a burst of clicks on one link is counted exactly."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from chalicelib.reviews.tokens import review_token
from chalicelib.store import aggregates, keys
from tests.integration.support import deliver

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture
def advocate(live, new_shop):
    shop, _ = new_shop()
    deliver(live, shop, "order.created", "a-1", "adv-1")
    response = live.request(
        "POST",
        "/reviews",
        {
            "token": review_token(shop["shop_id"], "a-1", ["p-100"]),
            "product_id": "p-100",
            "rating": 5,
            "title": "",
            "body": "Wonderful mug.",
        },
    )
    assert response.status_code == 201, response.text
    return shop, response.json()["share"]["code"]


def test_a_burst_of_clicks_on_one_link_is_counted_exactly_over_the_shards(live, advocate, db):
    shop, code = advocate
    visitors = [f"198.51.{n // 250}.{n % 250 + 1}" for n in range(300)]

    def click(ip):
        return live.request("GET", f"/s/{code}", headers={"User-Agent": CHROME, "X-Forwarded-For": ip}).status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        statuses = list(pool.map(click, visitors + visitors[:50]))  # 50 repeats must not count
    assert set(statuses) == {302}
    per_shard = []
    for shard in range(keys.CODE_SHARDS):
        items, _ = db.query(keys.code_stat_partition(code, shard), limit=50)
        per_shard.append(int(sum(i.get("clicks", 0) for i in items)))
    assert sum(per_shard) == 300
    assert sum(1 for n in per_shard if n) >= keys.CODE_SHARDS - 1  # spread, not one hot item
    days = aggregates.read_days(db, shop["shop_id"], "2000-01-01", "2999-12-31")
    assert sum(d.get("clicks", Decimal(0)) for d in days.values()) == 300


def test_referred_order_after_a_click_is_credited_on_dynamodb_local(live, advocate, db):
    shop, code = advocate
    live.request("GET", f"/s/{code}", headers={"User-Agent": CHROME, "X-Forwarded-For": "203.0.113.50"})
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for _ in range(3):
        deliver(
            live,
            shop,
            "order.created",
            "friend-order",
            "friend-9",
            created_at=now,
            timestamp=now,
            landing_url=f"https://{shop['domains'][0]}/?ref={code}",
        )
    days = aggregates.read_days(db, shop["shop_id"], "2000-01-01", "2999-12-31")
    assert sum(d.get("referred_orders", Decimal(0)) for d in days.values()) == 1
    assert sum(d.get("advocates", Decimal(0)) for d in days.values()) == 1
