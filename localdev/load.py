"""A bounded load test on loopback: N concurrent clients play a store, then the report must equal the truth.

Phase 1, orders: every buyer's order and fulfilment webhooks, some reordered, some delivered twice.
Phase 2, advocacy: one task per review request, run by N clients at once, so reviews (some sent twice),
shares, clicks (with bots, crawlers and repeats), referred orders (some delivered twice) and refunds of
different buyers interleave. Each request's latency is recorded; the run stops by itself and prints
throughput and p50/p95/p99 per kind of request, then every difference between the report and its own
ground truth (the bar is none).

With no --url it starts its own stack on loopback (DynamoDB Local, optionally behind a proxy that fails
a share of the database calls with --faults, and the API server) and stops it afterwards.

    python -m localdev.load --customers 300 --clients 16
    python -m localdev.load --customers 100 --clients 8 --faults 0.1
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localdev.simulate import CHANNELS, Simulator, start_shop

ADMIN_TOKEN = "load-admin-token"


@dataclass
class Phase:
    name: str
    seconds: float
    requests: int


@dataclass
class LoadResult:
    customers: int
    clients: int
    phases: list[Phase]
    latencies: list[tuple[str, float, int]]
    differences: list[str]
    expected: dict[str, Any]
    faults: dict[str, int] = field(default_factory=dict)
    database_calls: int = 0

    @property
    def requests(self) -> int:
        return sum(p.requests for p in self.phases)

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.phases)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


class LoadRun(Simulator):
    def advocacy(self, link: tuple[str, str]) -> None:
        """One buyer's whole story after the review request, as one client plays it."""
        review = self._review(link)
        if not review or not review["share"]:
            return
        with self.lock:
            shares = self.rng.random() < 0.7
            channels = self.rng.sample(CHANNELS, self.rng.randint(1, 3)) if shares else []
        for channel in channels:
            self._share((review, channel))
        if not shares:
            return
        with self.lock:
            clicks = self._plan_clicks([review])
            friends = self._plan_friend_orders(clicks)
            refunds = [f for f in friends if self.rng.random() < 0.15]
        for visit in clicks:
            self._click(visit)
        for friend in friends:
            self._friend_order(friend)
        for friend in refunds:
            self._refund(friend)

    def play(self, customers: int) -> list[Phase]:
        shop = self._get(f"{self.url}/shops/{self.shop_id}", headers={"Authorization": f"Bearer {self.api_key}"})
        self.domain = shop.json()["domains"][0]
        phases = []
        buyers = [self._buyer(n) for n in range(customers)]
        phases.append(self._timed_phase("orders", lambda: self._each("orders", buyers, self._order_and_fulfil)))
        phases.append(self._timed_phase("due work", self._run_due))
        links = self._review_links()
        phases.append(self._timed_phase("advocacy", lambda: self._each("advocacy", links, self.advocacy)))
        phases.append(self._timed_phase("due work", self._run_due))
        return phases

    def _timed_phase(self, name: str, action: Any) -> Phase:
        before = len(self.latencies)
        started = time.perf_counter()
        action()
        return Phase(name, time.perf_counter() - started, len(self.latencies) - before)


def run(
    url: str,
    outbox: Path,
    admin_token: str,
    customers: int,
    clients: int,
    seed: int,
    quiet: bool = False,
    retry_wait: float = 1.0,
) -> LoadResult:
    shop = start_shop(url, admin_token, f"load-{seed}-{int(time.time() * 1000) % 10**8}", name="Load Test Store")
    load = LoadRun(url, shop["shop_id"], shop["webhook_secret"], shop["api_key"], outbox, seed, clients, quiet=quiet)
    load.admin_token = admin_token
    load.retry_wait = retry_wait
    load.attempts = 10  # Shopify retries a failed webhook 8 times over 4 hours; people reload too
    phases = load.play(customers)
    differences = load.check()
    timed = [entry for entry in load.latencies if entry[0] != "report"]
    return LoadResult(customers, clients, phases, timed, differences, load.expected())


@contextmanager
def local_stack(
    faults: float = 0.0, seed: int = 0, database_endpoint: str | None = None
) -> Iterator[tuple[str, Path, Any]]:
    """DynamoDB Local (ours, or the one at database_endpoint), behind the fault proxy when faults > 0,
    and the API server, on loopback."""
    from localdev.dynamodb import DynamoDBLocal
    from localdev.faulty_dynamodb import FaultyDynamoDB
    from localdev.live import LiveServer

    os.environ.setdefault("PROOFLOOP_SIGNING_SECRET", "load-signing-secret-0123456789abcdef")
    database = None if database_endpoint else DynamoDBLocal().start()
    proxy = None
    server = None
    try:
        endpoint = database_endpoint or database.endpoint  # type: ignore[union-attr]
        if faults > 0:
            proxy = FaultyDynamoDB(endpoint, fraction=0.0, seed=seed).start()
            endpoint = proxy.endpoint
        server = LiveServer(
            endpoint,
            extra_env={
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "PROOFLOOP_ADMIN_TOKEN": ADMIN_TOKEN,
                "POWERTOOLS_LOG_LEVEL": "ERROR",
            },
        )
        if proxy is not None:
            proxy.fraction = faults  # the table exists: from here on, calls fail now and then
        yield server.url, server.outbox, proxy
    finally:
        if server is not None:
            server.stop()
        if proxy is not None:
            proxy.stop()
        if database is not None:
            database.stop()


def report(result: LoadResult) -> list[str]:
    lines = [
        f"Load: {result.customers} buyers, {result.clients} concurrent clients, loopback, this machine "
        f"({os.cpu_count()} cores); the API server is one local process, not Lambda",
        f"  {result.requests} requests in {result.seconds:.1f} s: {result.requests / result.seconds:.0f} requests/s "
        "overall; " + ", ".join(f"{p.name} {p.requests / p.seconds:.0f}/s" for p in result.phases if p.requests > 1),
        f"  {'kind':<12} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'5xx':>5}",
    ]
    kinds: dict[str, list[tuple[float, int]]] = {}
    for kind, seconds, status in result.latencies:
        kinds.setdefault(kind, []).append((seconds, status))
    kinds["all"] = [(s, c) for _, s, c in result.latencies]
    for kind, entries in sorted(kinds.items(), key=lambda kv: (kv[0] == "all", -len(kv[1]))):
        times = [s * 1000 for s, _ in entries]
        lines.append(
            f"  {kind:<12} {len(times):>6} {percentile(times, 0.5):>8.1f} {percentile(times, 0.95):>8.1f} "
            f"{percentile(times, 0.99):>8.1f} {max(times):>8.1f} {sum(1 for _, c in entries if c >= 500):>5}"
        )
    if result.faults:
        injected = sum(result.faults.values())
        lines.append(
            f"  database faults injected: {injected} of {result.database_calls} calls "
            f"({injected / max(result.database_calls, 1):.1%}): "
            + ", ".join(f"{k} {v}" for k, v in sorted(result.faults.items()) if v)
        )
    e = result.expected
    lines.append(
        f"  ground truth: {e['orders']} orders, {e['reviews']} reviews, {e['shares']} shares, {e['clicks']} clicks, "
        f"{e['referred_orders']} referred orders"
    )
    if result.differences:
        lines.append("  DIFFERENCES from the report:\n    " + "\n    ".join(result.differences))
    else:
        lines.append("  0 differences: the report equals the ground truth exactly")
    return lines


def measure(customers: int = 300, clients: int = 16, seed: int = 11, faults: float = 0.0) -> LoadResult:
    with local_stack(faults, seed) as (url, outbox, proxy):
        result = run(url, outbox, ADMIN_TOKEN, customers, clients, seed, quiet=True)
        if proxy is not None:
            result.faults = dict(Counter(kind.split()[0] for kind in proxy.injected.elements()))  # by fault kind
            result.database_calls = proxy.calls
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--faults", type=float, default=0.0, help="share of database calls to fail (own stack only)")
    parser.add_argument("--url", help="a running proofloop instead of starting one (with --outbox, --admin-token)")
    parser.add_argument("--outbox", default="./outbox", help="that server's PROOFLOOP_OUTBOX")
    parser.add_argument("--admin-token", default="dev-admin-token-change-me")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    if args.url:
        result = run(args.url, Path(args.outbox), args.admin_token, args.customers, args.clients, args.seed)
    else:
        result = measure(args.customers, args.clients, args.seed, args.faults)
    print("\n".join(report(result)))
    if args.json:
        print(json.dumps({"differences": result.differences, "expected": result.expected}, indent=1))
    return 1 if result.differences else 0


if __name__ == "__main__":
    sys.exit(main())
