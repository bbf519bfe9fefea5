"""What a store pays AWS a month, from the measured calls per event and the packaged stack's fixed costs.

The mix of events per order comes from the simulator's store (deliveries per order, review and
share rates, clicks, referred orders); DynamoDB request units are those bench/ddb_calls.py measured
for each event (bench/units.py: item sizes, consistency, transactions, index writes). The fixed part
is read from the packaged template (`scripts/package.py --stage prod`): its alarms, its KMS key, its
log groups' retention, the schedule's invocations, and the custom metrics the app emits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

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
ROOT = Path(__file__).resolve().parent.parent
SCHEDULED_RUNS_PER_MONTH = 30 * 24 * 6  # the due work every 10 minutes (app.py)
SCHEDULED_RUN_SECONDS = 1.0  # a run with little to do: a few queries per job
LOG_BYTES_PER_INVOCATION = 700  # Lambda's START/END/REPORT lines and one structured line of ours
KB_PER_ORDER = 8  # items an order leaves behind: order, customer, review, code, counters
MONTHS_OF_HISTORY = 12  # table storage priced after a year of orders
# The CloudWatch metrics the app emits (one dimension, service=proofloop): each is a custom metric.
CUSTOM_METRICS = (
    "Http2xx",
    "Http3xx",
    "Http4xx",
    "Http5xx",
    "WebhookEvents",
    "DueWorkCutShort",
    "DueItemParked",
    "MailSendingRefused",
    "ReferralFriendCodesAvailable",  # emitted once a shop fills its referral pools
    "ReferralAdvocateCodesAvailable",
    "StoreCallFailed",  # emitted when a connected store's API fails a call
)
SIZES = (100, 1000, 10000, 100000)


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


def packaged_template() -> dict[str, Any]:
    """The production template as `make package` writes it, built now from the code as it is."""
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py"), "--stage", "prod"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    template: dict[str, Any] = json.loads((ROOT / "dist" / "prod" / "sam.json").read_text())
    return template


def fixed_monthly(template: dict[str, Any]) -> dict[str, float]:
    """What the stack costs a month with no orders at all."""
    resources = template["Resources"].values()
    alarms = sum(1 for r in resources if r["Type"] == "AWS::CloudWatch::Alarm")
    kms_keys = sum(1 for r in resources if r["Type"] == "AWS::KMS::Key")
    schedule = SCHEDULED_RUNS_PER_MONTH * (
        PRICES["lambda_per_million_requests"] / 1e6
        + LAMBDA_MEMORY_GB * SCHEDULED_RUN_SECONDS * PRICES["lambda_per_gb_second"]
    )
    return {
        "alarms": alarms * PRICES["cloudwatch_alarm_per_month"],
        "alarm_count": float(alarms),
        "kms": kms_keys * PRICES["kms_key_per_month"],
        "metrics": len(CUSTOM_METRICS) * PRICES["cloudwatch_custom_metric_per_month"],
        "schedule": schedule,
        "retention_days": float(template["Parameters"]["LogRetentionDays"]["Default"]),
    }


def monthly(results: list[tuple[str, Counter[str]]], orders: int, fixed: dict[str, float]) -> dict[str, float]:
    """A month of a store with `orders` orders: the variable part, logs, storage after a year, the fixed part."""
    variable = estimate(results, orders)
    invocations = variable["requests"] + SCHEDULED_RUNS_PER_MONTH
    log_gb = invocations * LOG_BYTES_PER_INVOCATION / 1e9
    logs = log_gb * PRICES["cloudwatch_logs_ingestion_per_gb"] + (
        log_gb * fixed["retention_days"] / 30 * PRICES["cloudwatch_logs_storage_per_gb_month"]
    )
    storage = orders * MONTHS_OF_HISTORY * KB_PER_ORDER / 1e6 * PRICES["dynamodb_storage_per_gb_month"]
    requests = variable["lambda"] + variable["api_gateway"] + variable["dynamodb"] + variable["ses"]
    constant = fixed["alarms"] + fixed["kms"] + fixed["metrics"] + fixed["schedule"]
    total = requests + logs + storage + constant
    return {"requests": requests, "logs": logs, "storage": storage, "fixed": constant, "total": total}


def reference_apps(orders: int) -> float:
    """A reviews app plus a referral app at this size: plan prices plus the referral success fee."""
    apps = PRICES["reference_apps_per_month"]
    tier = next(t for t in apps["tiers"] if t["orders"] >= orders)
    referred_revenue = orders * MIX_PER_ORDER["referred order webhook"] * apps["average_order_value"]
    return float(tier["reviews_app"] + tier["referral_app"] + tier["referral_fee"] * referred_revenue)


def curve(results: list[tuple[str, Counter[str]]]) -> list[str]:
    fixed = fixed_monthly(packaged_template())
    lines = [
        "What a store pays a month (AWS list prices; fixed costs of the packaged stack included)",
        f"  fixed: {fixed['alarm_count']:.0f} alarms ${fixed['alarms']:.2f}, KMS key ${fixed['kms']:.2f}, "
        f"{len(CUSTOM_METRICS)} custom metrics ${fixed['metrics']:.2f}, scheduled due work ${fixed['schedule']:.2f}; "
        f"logs kept {fixed['retention_days']:.0f} days; storage after {MONTHS_OF_HISTORY} months of orders",
        f"  {'orders/month':>12}  {'requests':>9}  {'logs':>7}  {'storage':>8}  {'fixed':>7}  {'total':>9}"
        f"  {'reviews + referral apps':>24}  {'ratio':>6}",
    ]
    for orders in SIZES:
        month = monthly(results, orders, fixed)
        apps = reference_apps(orders)
        lines.append(
            f"  {orders:>12,}  ${month['requests']:>8.2f}  ${month['logs']:>6.2f}  ${month['storage']:>7.2f}"
            f"  ${month['fixed']:>6.2f}  ${month['total']:>8.2f}  ${apps:>23,.0f}  {apps / month['total']:>5.0f}x"
        )
    return lines
