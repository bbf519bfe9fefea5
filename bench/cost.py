"""What 1,000 orders' worth of activity costs on AWS list prices, from the measured calls per event.

The mix of events per order comes from the simulator's store (deliveries per order, review and
share rates, clicks, referred orders); DynamoDB request units are those bench/ddb_calls.py measured
for each event (bench/units.py: item sizes, consistency, transactions, index writes).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

PRICES = json.loads((Path(__file__).parent / "prices.json").read_text())
LAMBDA_MEMORY_GB = 0.5  # .chalice/config.json lambda_memory_size
AVERAGE_DURATION_S = 0.06  # an in-region request of a few DynamoDB calls
MIX_PER_ORDER = {  # events per order of a typical store
    "order webhook (new order)": 1.0,
    "order webhook (duplicate)": 1.5,  # orders/paid, updated and retries, each answered without a write
    "fulfilment webhook": 1.0,
    "refund webhook": 0.05,
    "review submission (happy)": 0.35,
    "share": 0.15,
    "click (counted)": 0.6,
    "click (repeat, not counted)": 0.3,
    "referred order webhook": 0.06,
}
EMAILS_PER_ORDER = 1.6  # the request and, for about 60 %, the one reminder
DUE_JOB_PER_REQUEST = "due job, 40 requests"


def _units(calls: Counter[str]) -> tuple[float, float]:
    return float(calls["~write units"]), float(calls["~read units"])


def estimate(results: list[tuple[str, Counter[str]]], orders: int = 1000) -> dict[str, float]:
    measured = dict(results)
    requests = writes = reads = 0.0
    for label, per_order in MIX_PER_ORDER.items():
        count = per_order * orders
        w, r = _units(measured[label])
        requests += count
        writes += w * count
        reads += r * count
    due = measured[DUE_JOB_PER_REQUEST]
    w, r = _units(due)
    writes += w / 40 * EMAILS_PER_ORDER * orders
    reads += r / 40 * EMAILS_PER_ORDER * orders
    lambda_cost = requests / 1e6 * PRICES["lambda_per_million_requests"] + (
        requests * LAMBDA_MEMORY_GB * AVERAGE_DURATION_S * PRICES["lambda_per_gb_second"]
    )
    gateway = requests / 1e6 * PRICES["api_gateway_rest_per_million"]
    dynamodb = writes / 1e6 * PRICES["dynamodb_on_demand_per_million_write_units"] + (
        reads / 1e6 * PRICES["dynamodb_on_demand_per_million_read_units"]
    )
    storage = orders * 8 / 1e6 * PRICES["dynamodb_storage_per_gb_month"]  # ~8 KB of items per order
    email = EMAILS_PER_ORDER * orders / 1000 * PRICES["ses_per_thousand_emails"]
    total = lambda_cost + gateway + dynamodb + storage + email
    return {
        "requests": requests,
        "write_units": writes,
        "read_units": reads,
        "lambda": lambda_cost,
        "api_gateway": gateway,
        "dynamodb": dynamodb,
        "storage": storage,
        "ses": email,
        "total": total,
    }


def report(figures: dict[str, float]) -> list[str]:
    saas = PRICES["saas_comparison_per_month"]
    monthly = saas["reviews_app"] + saas["referral_app"]
    return [
        "Cost of 1,000 orders' worth of activity (AWS list prices, bench/prices.json)",
        f"  {figures['requests']:,.0f} requests, {figures['write_units']:,.0f} write units, "
        f"{figures['read_units']:,.0f} read units, {1000 * EMAILS_PER_ORDER:,.0f} emails",
        f"  Lambda ${figures['lambda']:.4f}  API Gateway ${figures['api_gateway']:.4f}  "
        f"DynamoDB ${figures['dynamodb']:.4f}  storage ${figures['storage']:.4f}  SES ${figures['ses']:.4f}",
        f"  total ${figures['total']:.2f} per 1,000 orders; a reviews app plus a referral app list at about "
        f"${monthly:.0f} a month ({monthly / max(figures['total'], 0.01):,.0f}x)",
    ]
