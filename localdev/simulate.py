"""Play a realistic store through the HTTP API of a running proofloop, then check the report.

Customers order over the past weeks; orders are fulfilled; the due work sends review requests; buyers
open the emailed links and review (most happily); happy reviewers share on their channels; friends
click (with bots, crawlers and repeat clicks mixed in); some friends buy through the links; some
orders are refunded. Deliveries are repeated and reordered on purpose. The simulator keeps its own
ground truth and prints every difference from the report.

    python -m localdev.simulate --url http://127.0.0.1:8000 --customers 40 --seed 7
"""

from __future__ import annotations

import argparse
import base64
import email
import hashlib
import hmac
import html
import itertools
import json
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

BROWSERS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 "
    "Safari/605.1.15",
]
BOTS = ["Googlebot/2.1 (+http://www.google.com/bot.html)", "curl/8.5.0", "python-requests/2.32.3"]
CRAWLERS = ["facebookexternalhit/1.1", "WhatsApp/2.24.1.0", "Twitterbot/1.0", "Slackbot-LinkExpanding 1.0"]
CHANNELS = ["whatsapp", "facebook", "x", "email", "sms", "copy", "pinterest", "linkedin"]
PRODUCTS = [
    ("p-pack-28", "Alpine Trail Backpack 28L", "129.00"),
    ("p-bottle", "Insulated Bottle 750 ml", "34.00"),
    ("p-socks", "Merino Hiking Socks", "15.00"),
    ("p-jacket", "Ridge Rain Jacket", "189.00"),
    ("p-lamp", "Camp Lantern", "42.00"),
]
FIRST = ["Ana", "Jonas", "Mia", "Ravi", "Chloé", "Kenji", "Lena", "Omar", "Sofia", "Tom", "Nia", "Pablo"]
LAST = ["Lima", "Berg", "Chen", "Patel", "Martin", "Sato", "Novak", "Haddad", "Rossi", "Baker", "Okafor", "Ruiz"]
PRAISE = [
    "Exactly as described and it arrived fast.",
    "Comfortable on a full day out, would buy again.",
    "Great quality for the price.",
    "My second one - still love it.",
    "Solid build, nice details.",
]
MEH = ["Fine, but smaller than I expected.", "Decent, the colour is a bit off.", "OK for the price."]
BAD = ["Broke after two weeks.", "Not what the photos showed."]
# The report's funnel figures that are plain counts (shares, clicks and revenue have their own shapes).
FUNNEL_COUNTS = (
    "orders",
    "customers",
    "review_requests",
    "reviews",
    "reviewers",
    "promoters",
    "sharers",
    "referred_orders",
    "referred_customers",
    "advocates",
)


def _sign(secret: str, msg_id: str, stamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Truth:
    """What the report must say, kept as the simulation goes."""

    counts: Counter[str] = field(default_factory=Counter)
    shares: Counter[str] = field(default_factory=Counter)
    clicks: Counter[str] = field(default_factory=Counter)
    reviewers: set[str] = field(default_factory=set)
    promoters: set[str] = field(default_factory=set)
    sharers: set[str] = field(default_factory=set)
    advocates: Counter[str] = field(default_factory=Counter)


class Simulator:
    def __init__(
        self,
        url: str,
        shop_id: str,
        secret: str,
        api_key: str,
        outbox: Path,
        seed: int,
        concurrency: int = 4,
        quiet: bool = False,
    ) -> None:
        self.url = url.rstrip("/")
        self.shop_id = shop_id
        self.secret = secret
        self.api_key = api_key
        self.outbox = outbox
        self.rng = random.Random(seed)
        self.http = requests.Session()
        self.concurrency = concurrency
        self.quiet = quiet
        self.truth = Truth()
        self.lock = threading.Lock()  # the clients share the ground truth
        self._friend_numbers = itertools.count(1)
        self.now = datetime.now(timezone.utc)
        self.domain = ""
        self.latencies: list[tuple[str, float, int]] = []  # (kind of request, seconds, status)
        self.retry_wait = 1.0  # scales the Retry-After a 503 asks for (a browser waits it out)
        self.attempts = 6  # deliveries and page loads tried on a 5xx before giving up
        self.http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=max(concurrency, 10)))
        self.http.hooks["response"].append(self._timed)

    def _timed(self, response: requests.Response, *_: Any, **__: Any) -> None:
        self.latencies.append(
            (
                request_kind(response.request.method or "", response.url),
                response.elapsed.total_seconds(),
                response.status_code,
            )
        )

    # --- plumbing -------------------------------------------------------------------------------
    def _progress(self, label: str, done: int, total: int) -> None:
        if self.quiet:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stdout.write(f"\r  {label:<18} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stdout.write("\n")
        sys.stdout.flush()

    def _wait(self, response: requests.Response, attempt: int) -> float:
        asked = response.headers.get("Retry-After", "")
        base = float(asked) if asked.isdigit() else 0.2 * 2**attempt
        return base * self.retry_wait + random.uniform(0, 0.1)

    def _get(self, url: str, headers: dict[str, str] | None = None) -> requests.Response:
        """GET as a patient browser would: a 503 is waited out and tried again; our share pages' own
        retry page (meta refresh) is followed the way a browser follows it."""
        for attempt in range(self.attempts):
            response = self.http.get(url, timeout=30, allow_redirects=False, headers=headers or {})
            if response.status_code != 503:
                return response
            refresh = re.search(r'http-equiv="refresh" content="\d+; url=([^"]+)"', response.text)
            time.sleep(self._wait(response, attempt))
            if refresh:
                url = urljoin(url, html.unescape(refresh.group(1)))
        return response

    def _post_json(self, url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> requests.Response:
        for attempt in range(self.attempts):
            response = self.http.post(url, json=body, timeout=60, headers=headers or {})
            if response.status_code < 500:
                return response
            time.sleep(self._wait(response, attempt))
        response.raise_for_status()
        return response

    def _each(self, label: str, jobs: list[Any], action: Any) -> list[Any]:
        results = []
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for done, result in enumerate(pool.map(action, jobs), start=1):
                results.append(result)
                self._progress(label, done, len(jobs))
        return results

    def deliver(self, kind: str, data: dict[str, Any], timestamp: datetime) -> None:
        body = json.dumps({"type": kind, "timestamp": _iso(timestamp), "data": data}).encode()
        for attempt in range(self.attempts):
            msg_id = f"msg_{uuid.uuid4().hex}"
            stamp = str(int(time.time()))
            response = self.http.post(
                f"{self.url}/webhooks/generic/{self.shop_id}",
                data=body,
                timeout=30,
                headers={
                    "Content-Type": "application/json",
                    "webhook-id": msg_id,
                    "webhook-timestamp": stamp,
                    "webhook-signature": _sign(self.secret, msg_id, stamp, body),
                },
            )
            if response.status_code == 200:
                return
            if response.status_code < 500:
                raise RuntimeError(f"webhook refused: {response.status_code} {response.text}")
            time.sleep(self._wait(response, attempt))  # a storefront retries a 5xx
        raise RuntimeError("webhook kept failing")

    # --- the store ----------------------------------------------------------------------------
    def run(self, customers: int) -> list[str]:
        shop = self.http.get(
            f"{self.url}/shops/{self.shop_id}", timeout=10, headers={"Authorization": f"Bearer {self.api_key}"}
        ).json()
        self.domain = shop["domains"][0]
        buyers = [self._buyer(n) for n in range(customers)]
        self._each("orders", buyers, self._order_and_fulfil)
        self._run_due()
        links = self._review_links()
        reviewed = [r for r in self._each("reviews", links, self._review) if r]
        sharers = [r for r in reviewed if r["share"] and self.rng.random() < 0.7]
        shares = [(r, channel) for r in sharers for channel in self.rng.sample(CHANNELS, self.rng.randint(1, 3))]
        self._each("shares", shares, self._share)
        clicks = self._plan_clicks(sharers)
        self._each("clicks", clicks, self._click)
        friends = self._plan_friend_orders(clicks)
        self._each("referred orders", friends, self._friend_order)
        refunds = self.rng.sample(friends, max(1, len(friends) // 6)) if friends else []
        self._each("refunds", refunds, self._refund)
        self._run_due()
        return self.check()

    def _buyer(self, n: int) -> dict[str, Any]:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        items = self.rng.sample(PRODUCTS, self.rng.randint(1, 2))
        created = self.now - timedelta(days=self.rng.randint(9, 24), hours=self.rng.randint(0, 23))
        customer = f"sim-{n}"
        return {
            "order_id": f"sim-order-{n}",
            "customer_id": customer,
            "email": f"{customer}@{self.mail_domain}",
            "name": f"{first} {last}",
            "created": created,
            "items": [
                {
                    "product_id": p,
                    "title": t,
                    "quantity": 1,
                    "price": price,
                    "url": f"https://{self.domain}/products/{p}",
                    "image_url": f"https://{self.domain}/images/{p}.jpg",
                }
                for p, t, price in items
            ],
            "total": str(sum(float(price) for _, _, price in items)),
        }

    def _order_data(self, buyer: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "order_id": buyer["order_id"],
            "customer_id": buyer["customer_id"],
            "email": buyer["email"],
            "name": buyer["name"],
            "currency": "USD",
            "total": buyer["total"],
            "created_at": _iso(buyer["created"]),
            "items": buyer["items"],
            **extra,
        }

    def _order_and_fulfil(self, buyer: dict[str, Any]) -> None:
        fulfilled = buyer["created"] + timedelta(days=1)
        steps = [("order.created", buyer["created"]), ("order.fulfilled", fulfilled)]
        if self.rng.random() < 0.3:
            steps.reverse()  # fulfilment delivered before creation
        if self.rng.random() < 0.3:
            steps.append(steps[0])  # a repeated delivery
        for kind, moment in steps:
            self.deliver(kind, self._order_data(buyer), moment)
        with self.lock:
            self.truth.counts["orders"] += 1
            self.truth.counts["customers"] += 1

    def _run_due(self, runs: int = 4) -> None:
        # A run that hit its time budget says so; the schedule would run again in 10 minutes, so
        # call again a few times. (The click roll-up starts over each run, so `more` can persist
        # while the database is very slow; the review emails, sent first, are what the truth needs.)
        for _ in range(runs):
            response = self._post_json(
                f"{self.url}/admin/run-due", {}, headers={"Authorization": f"Bearer {self.admin_token}"}
            )
            response.raise_for_status()
            if not response.json().get("more"):
                break
        with self.lock:
            self.truth.counts["review_requests"] = len(self._requests_sent())

    admin_token = ""

    @property
    def mail_domain(self) -> str:
        return f"{self.shop_id}.example.net"

    def _requests_sent(self) -> list[Any]:
        """The first review requests this shop's buyers received (reminders aside), from the outbox."""
        sent = []
        for path in sorted(self.outbox.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes())
            if str(message["To"]).endswith("@" + self.mail_domain) and not str(message["Subject"]).startswith(
                "Reminder"
            ):
                sent.append(message)
        return sent

    def _review_links(self) -> list[tuple[str, str]]:
        links: list[tuple[str, str]] = []
        for message in self._requests_sent():
            text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            match = re.search(r"/r/(\S+)", text.get_payload(decode=True).decode())
            if match and match.group(1) not in {t for t, _ in links}:
                links.append((match.group(1), str(message["To"]).split("@")[0]))
        return links

    def _review(self, link: tuple[str, str]) -> dict[str, Any] | None:
        token, customer = link
        if self.rng.random() < 0.2:
            return None  # not every buyer reviews
        form = self._get(f"{self.url}/r/{token}", headers={"Accept": "text/html"})
        product = re.search(r'name="product_id" value="([^"]+)"', form.text)
        if not product:
            return None
        with self.lock:
            rating = self.rng.choices([5, 4, 3, 2, 1], weights=[55, 25, 10, 5, 5])[0]
            body = self.rng.choice(PRAISE if rating >= 4 else MEH if rating == 3 else BAD)
            double_tap = self.rng.random() < 0.1
        review = {"token": token, "product_id": product.group(1), "rating": rating, "title": "", "body": body}
        response = self._post_json(f"{self.url}/reviews", review)
        response.raise_for_status()
        if double_tap:  # the same review sent again: answered again, counted once
            again = self._post_json(f"{self.url}/reviews", review)
            if again.status_code != 200 or again.json()["review_id"] != response.json()["review_id"]:
                raise RuntimeError(f"a repeated review was not answered as the first: {again.status_code}")
        with self.lock:
            self.truth.counts["reviews"] += 1
            self.truth.reviewers.add(customer)
            if rating >= 4:
                self.truth.promoters.add(customer)
        return {"customer": customer, "rating": rating, "share": response.json()["share"]}

    def _share(self, job: tuple[dict[str, Any], str]) -> None:
        review, channel = job
        ip = f"203.0.113.{int(review['customer'].split('-')[1]) % 250 + 1}"
        self._get(review["share"]["channels"][channel], headers={"User-Agent": BROWSERS[0], "X-Forwarded-For": ip})
        with self.lock:
            self.truth.shares[channel] += 1
            self.truth.sharers.add(review["customer"])

    def _plan_clicks(self, sharers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        clicks = []
        for review in sharers:
            for _ in range(self.rng.randint(0, 6)):
                friend = next(self._friend_numbers)  # unique across calls: one visitor, one friend
                channel = self.rng.choice(CHANNELS)
                visit = {
                    "code": review["share"]["code"],
                    "advocate": review["customer"],
                    "channel": channel,
                    "ip": f"198.51.{friend // 200}.{friend % 200 + 1}",
                    "ua": self.rng.choice(BROWSERS),
                    "friend": friend,
                    "counted": True,
                }
                clicks.append(visit)
                if self.rng.random() < 0.2:
                    clicks.append({**visit, "counted": False})  # the same visitor again today
            if self.rng.random() < 0.5:
                clicks.append(
                    {
                        "code": review["share"]["code"],
                        "channel": "whatsapp",
                        "ip": "192.0.2.1",
                        "ua": self.rng.choice(BOTS + CRAWLERS),
                        "counted": False,
                    }
                )
        return clicks

    def _click(self, visit: dict[str, Any]) -> None:
        self._get(
            f"{self.url}/s/{visit['code']}?via={visit['channel']}",
            headers={"User-Agent": visit["ua"], "X-Forwarded-For": visit["ip"]},
        )
        if visit["counted"]:
            with self.lock:
                self.truth.clicks[visit["channel"]] += 1

    def _plan_friend_orders(self, clicks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        buyers = [c for c in clicks if c["counted"] and self.rng.random() < 0.3]
        return [
            {
                **c,
                "order_id": f"sim-ref-{c['friend']}",
                "customer_id": f"sim-friend-{c['friend']}",
                "total": f"{self.rng.choice([34, 42, 129, 189])}.00",
            }
            for c in buyers
        ]

    def _friend_order(self, job: dict[str, Any]) -> None:
        data = {
            "order_id": job["order_id"],
            "customer_id": job["customer_id"],
            "email": f"{job['customer_id']}@example.org",
            "name": "Friend",
            "currency": "USD",
            "total": job["total"],
            "created_at": _iso(datetime.now(timezone.utc)),
            "landing_url": f"https://{self.domain}/products/p-bottle?ref={job['code']}&utm_medium=social",
            "items": [
                {"product_id": "p-bottle", "title": "Insulated Bottle 750 ml", "quantity": 1, "price": job["total"]}
            ],
        }
        with self.lock:
            deliveries = self.rng.choice([1, 1, 2])  # sometimes delivered twice
        for _ in range(deliveries):
            self.deliver("order.created", data, datetime.now(timezone.utc))
        with self.lock:
            self.truth.counts["orders"] += 1
            self.truth.counts["customers"] += 1
            self.truth.counts["referred_orders"] += 1
            self.truth.counts["referred_customers"] += 1
            self.truth.counts[f"referred_revenue:{job['total']}"] += 1
            self.truth.advocates[job["advocate"]] += 1
        job["data"] = data

    def _refund(self, job: dict[str, Any]) -> None:
        self.deliver("order.refunded", {**job["data"], "amount": job["total"]}, datetime.now(timezone.utc))
        with self.lock:
            self.truth.counts["referred_orders"] -= 1
            self.truth.counts["referred_customers"] -= 1
            self.truth.counts[f"referred_revenue:{job['total']}"] -= 1
            self.truth.advocates[job["advocate"]] -= 1

    # --- the check --------------------------------------------------------------------------------
    def expected(self) -> dict[str, Any]:
        t = self.truth
        revenue = sum(float(k.split(":")[1]) * n for k, n in t.counts.items() if k.startswith("referred_revenue:"))
        return {
            "orders": t.counts["orders"],
            "customers": t.counts["customers"],
            "review_requests": t.counts["review_requests"],
            "reviews": t.counts["reviews"],
            "reviewers": len(t.reviewers),
            "promoters": len(t.promoters),
            "sharers": len(t.sharers),
            "shares": sum(t.shares.values()),
            "clicks": sum(t.clicks.values()),
            "referred_orders": t.counts["referred_orders"],
            "referred_customers": t.counts["referred_customers"],
            "advocates": sum(1 for n in t.advocates.values() if n > 0),
            "referred_revenue": round(revenue, 2),
            **{f"shares.{c}": n for c, n in t.shares.items()},
            **{f"clicks.{c}": n for c, n in t.clicks.items()},
        }

    def check(self) -> list[str]:
        report = self._get(
            f"{self.url}/shops/{self.shop_id}/report", headers={"Authorization": f"Bearer {self.api_key}"}
        ).json()
        funnel = report["funnel"]
        actual = {name: funnel[name] for name in FUNNEL_COUNTS}
        actual["shares"] = funnel["shares"]["total"]
        actual["clicks"] = funnel["clicks"]["total"]
        actual["referred_revenue"] = round(float(funnel["referred_revenue"].get("USD", 0)), 2)
        actual.update({f"shares.{c}": n for c, n in funnel["shares"]["by_channel"].items() if n})
        actual.update({f"clicks.{c}": n for c, n in funnel["clicks"]["by_channel"].items() if n})
        expected = self.expected()
        return [
            f"{name}: expected {expected.get(name, 0)}, report says {actual.get(name, 0)}"
            for name in sorted(set(expected) | set(actual))
            if expected.get(name, 0) != actual.get(name, 0)
        ]


def request_kind(method: str, url: str) -> str:
    """What a request was, for latency figures: webhook, review, review form, share, click, report, ..."""
    path = urlsplit(url).path
    if path.startswith("/webhooks/"):
        return "webhook"
    if path == "/reviews" and method == "POST":
        return "review"
    if path.startswith("/r/"):
        return "review form"
    if path.startswith("/share/"):
        return "share"
    if path.startswith("/s/"):
        return "click"
    if path.endswith("/report"):
        return "report"
    if path == "/admin/run-due":
        return "due work"
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--admin-token", default="dev-admin-token-change-me")
    parser.add_argument("--outbox", default="./outbox", help="the server's PROOFLOOP_OUTBOX (to read review links)")
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    run = start_shop(args.url, args.admin_token, f"sim-{args.seed}-{uuid.uuid4().hex[:6]}")
    simulator = Simulator(
        args.url, run["shop_id"], run["webhook_secret"], run["api_key"], Path(args.outbox), args.seed, args.concurrency
    )
    simulator.admin_token = args.admin_token
    differences = simulator.run(args.customers)
    print(json.dumps(simulator.expected(), indent=1, sort_keys=True))
    if differences:
        print("DIFFERENCES:\n  " + "\n  ".join(differences))
        return 1
    print("0 differences: the report matches the simulation exactly")
    return 0


def start_shop(url: str, admin_token: str, shop_id: str, name: str = "Simulated Outdoor Store") -> dict[str, str]:
    secret = "whsec_" + base64.b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode()
    body = {
        "shop_id": shop_id,
        "name": name,
        "platform": "generic",
        "domains": [f"{shop_id}.example.com"],
        "webhook_secret": secret,
        "settings": {"review_delay_days": 7, "reminder_after_days": 0},
    }
    response = requests.post(
        f"{url.rstrip('/')}/shops", json=body, timeout=10, headers={"Authorization": f"Bearer {admin_token}"}
    )
    response.raise_for_status()
    return {"shop_id": shop_id, "webhook_secret": secret, "api_key": response.json()["api_key"]}


if __name__ == "__main__":
    sys.exit(main())
