"""The demo store's month, each event played through the HTTP API on the day it would have happened.

Buyers order every day; orders are fulfilled a day or two later; the due work runs each morning and
sends review requests and reminders; buyers open the emailed links and review on their own schedule
(most happily, some not: those wait in moderation); the owner publishes and answers some; happy
reviewers share on every channel; friends click over the following days (with repeat visits, bots and
link previews that do not count), and some of them buy through the links. One order is refunded and one
referred order too, which reverses its referral.

The service's own clock is run from each event's moment before the event is sent (`clock.run_from`),
so the same validation, counters and scores as live traffic put it on its day. That clock is the
process's, so this runs inside the `make run` process that serves `base_url` (localdev.server).
Nothing is written around the API; the plan keeps its own truth, and `play` returns every difference
between that truth and the shop's report, day by day.
"""

from __future__ import annotations

import email
import heapq
import itertools
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from chalicelib import clock
from localdev.simulate import BAD, BOTS, BROWSERS, CHANNELS, CRAWLERS, FIRST, LAST, MEH, PRAISE, PRODUCTS, Simulator

DAYS = 30  # the report's default period, which the dashboard opens on
LEAD_DAYS = 14  # orders start before the month, so its first days already have reviews and shares
ORDERS_PER_DAY = (1, 5)
SERIES = ("orders", "reviews", "shares", "clicks", "referred_orders")
REPLIES = {
    "happy": ["Thank you - enjoy the trails!", "So glad it works for you. Thanks for the review!"],
    "unhappy": [
        "Sorry to hear that. We have emailed you about a replacement.",
        "Thanks for telling us - our team will be in touch about a return.",
    ],
}


# What Google's product review feed identifies the demo products by: SKUs, GTINs from the in-store range
# (200...: never a real product's), the brand.
DEMO_PRODUCT_IDS = {
    p: {"sku": p.removeprefix("p-").upper() + "-01", "gtin": gtin, "brand": "Trail & Summit"}
    for (p, _, _), gtin in zip(
        PRODUCTS,
        ["2000000000015", "2000000000022", "2000000000039", "2000000000046", "2000000000053"],
        strict=True,
    )
}


@dataclass(order=True)
class Step:
    at: datetime
    seq: int
    action: Callable[[], None] = field(compare=False)


@dataclass
class Buyer:
    number: int
    customer_id: str
    name: str
    email: str
    items: list[dict[str, Any]]
    created: datetime
    landing_url: str | None = None
    advocate: str | None = None  # whose link brought this order

    @property
    def order_id(self) -> str:
        return f"demo-order-{self.number}"

    @property
    def total(self) -> str:
        return f"{sum(float(i['price']) * i['quantity'] for i in self.items):.2f}"


class DemoMonth:
    def __init__(
        self,
        base_url: str,
        demo: dict[str, Any],
        outbox: Path,
        admin_token: str,
        timezone: str,
        seed: int = 2026,
        until: datetime | None = None,
    ) -> None:
        self.sim = Simulator(
            base_url, demo["shop_id"], demo["webhook_secret"], demo["api_key"], outbox, seed=seed, concurrency=1
        )
        self.sim.admin_token = admin_token
        self.sim.quiet = True
        self.rng = random.Random(seed)
        self.api_key = demo["api_key"]
        self.tz = timezone
        self.until = until or clock.now()  # nothing is played after this moment: the rest is the future
        self.today = date.fromisoformat(clock.local_day(self.until, timezone))
        self.first_day = self.today - timedelta(days=DAYS - 1)
        self.queue: list[Step] = []
        self._seq = itertools.count()
        self._numbers = itertools.count(1)
        self._visitors = itertools.count(1)
        self.buyers: dict[str, Buyer] = {}  # by order id
        self.reviewed: set[str] = set()  # order ids
        self.mail_seen: set[str] = set()
        self.day_truth: Counter[tuple[str, str]] = Counter()  # (local day, series) -> count
        self.truth: Counter[str] = Counter()  # funnel figures over the month
        self.channels_left = list(CHANNELS)  # every channel gets shared on at least once
        self.referred: list[Buyer] = []
        self.refunded: set[str] = set()  # one ordinary order and one referred order come back

    # --- time ---------------------------------------------------------------------------------
    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=clock.zone(self.tz)).astimezone(UTC)

    def later(self, moment: datetime, low_hours: float, high_hours: float) -> datetime:
        """A moment some hours after another, moved into waking hours (8:00-22:00 local)."""
        then = moment + timedelta(hours=self.rng.uniform(low_hours, high_hours))
        local = then.astimezone(clock.zone(self.tz))
        if local.hour < 8:
            then += timedelta(hours=8 - local.hour, minutes=self.rng.randint(0, 50))
        elif local.hour >= 22:
            then += timedelta(hours=24 - local.hour + 8, minutes=self.rng.randint(0, 50))
        return then

    def at(self, moment: datetime, action: Callable[[], None]) -> None:
        if moment <= self.until:
            heapq.heappush(self.queue, Step(moment, next(self._seq), action))

    def day_of(self, moment: datetime) -> str:
        return clock.local_day(moment, self.tz)

    def count(self, moment: datetime, series: str, n: int = 1) -> None:
        day = self.day_of(moment)
        if day >= self.first_day.isoformat():
            self.day_truth[(day, series)] += n
            self.truth[series] += n

    # --- the month ----------------------------------------------------------------------------
    def play(self) -> list[str]:
        shop = self.sim.http.get(
            f"{self.sim.url}/shops/{self.sim.shop_id}",
            timeout=10,
            headers={"Authorization": f"Bearer {self.api_key}"},
        ).json()
        self.sim.domain = shop["domains"][0]
        self.mail_seen = {p.name for p in self.sim.outbox.glob("*.eml")}
        start = self.first_day - timedelta(days=LEAD_DAYS)
        for offset in range((self.today - start).days + 1):
            day = start + timedelta(days=offset)
            weekend = day.weekday() >= 5
            for _ in range(self.rng.randint(*ORDERS_PER_DAY) + (1 if weekend else 0)):
                self._new_order(self.local(day, self.rng.randint(7, 21), self.rng.randint(0, 59)))
            self.at(self.local(day, 9, 30), self._due_run)
        try:
            while self.queue:
                step = heapq.heappop(self.queue)
                clock.run_from(step.at)
                step.action()
        finally:
            clock.run_from(None)
        self._due_run()  # today's due work so far, at the real time
        return self.check()

    def _new_order(self, created: datetime, landing_url: str | None = None, advocate: str | None = None) -> Buyer:
        number = next(self._numbers)
        rng = self.rng
        items = [
            {
                "product_id": p,
                "title": t,
                "quantity": 1,
                "price": price,
                "url": f"https://{self.sim.domain}/products/{p}",
                "image_url": f"https://{self.sim.domain}/images/{p}.jpg",
                **DEMO_PRODUCT_IDS[p],
            }
            for p, t, price in rng.sample(PRODUCTS, rng.choices([1, 2], weights=[3, 1])[0])
        ]
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        customer = f"demo-{'friend' if advocate else 'buyer'}-{number}"
        buyer = Buyer(
            number, customer, name, f"{customer}@{self.sim.mail_domain}", items, created, landing_url, advocate
        )
        self.buyers[buyer.order_id] = buyer
        self.at(created, lambda: self._deliver_order("order.created", buyer, created))
        fulfilled = self.later(created, 20, 54)
        self.at(fulfilled, lambda: self._deliver_order("order.fulfilled", buyer, fulfilled))
        return buyer

    def _order_data(self, buyer: Buyer, **extra: Any) -> dict[str, Any]:
        data = {
            "order_id": buyer.order_id,
            "customer_id": buyer.customer_id,
            "email": buyer.email,
            "name": buyer.name,
            "currency": "USD",
            "total": buyer.total,
            "created_at": clock.iso(buyer.created),
            "items": buyer.items,
            **extra,
        }
        if buyer.landing_url:
            data["landing_url"] = buyer.landing_url
        return data

    def _deliver_order(self, kind: str, buyer: Buyer, moment: datetime) -> None:
        deliveries = 2 if self.rng.random() < 0.2 else 1  # storefronts repeat a delivery now and then
        for _ in range(deliveries):
            self.sim.deliver(kind, self._order_data(buyer), moment)
        if kind == "order.created":
            self.count(moment, "orders")
            in_month = self.day_of(moment) >= (self.first_day + timedelta(days=3)).isoformat()
            if buyer.advocate:
                self.count(moment, "referred_orders")
                if in_month and "referred" not in self.refunded:  # one comes back: its referral is reversed
                    self.refunded.add("referred")
                    self.at(self.later(moment, 30, 60), lambda: self._refund(buyer, reverses=True))
        elif "ordinary" not in self.refunded and self.day_of(moment) >= self.first_day.isoformat():
            self.refunded.add("ordinary")  # and one ordinary order, some days after it arrived
            self.at(self.later(moment, 40, 80), lambda: self._refund(buyer, reverses=False))

    def _refund(self, buyer: Buyer, reverses: bool) -> None:
        now = clock.now()
        self.sim.deliver("order.refunded", self._order_data(buyer, amount=buyer.total, refund_id="r1"), now)
        self.count(now, "refunds")
        if reverses:
            self.count(buyer.created, "referred_orders", -1)  # taken back on the day it was credited
            self.count(now, "referral_reversals")

    # --- the morning's due work: review requests and reminders ---------------------------------
    def _due_run(self) -> None:
        for _ in range(6):
            response = self.sim._post_json(
                f"{self.sim.url}/admin/run-due", {}, headers={"Authorization": f"Bearer {self.sim.admin_token}"}
            )
            response.raise_for_status()
            if not response.json().get("more"):
                break
        now = clock.now()
        for path in sorted(self.sim.outbox.glob("*.eml")):
            if path.name in self.mail_seen:
                continue
            self.mail_seen.add(path.name)
            message = email.message_from_bytes(path.read_bytes())
            shop_id, _, order_id = str(message["X-Proofloop-Order"] or "").partition("/")
            buyer = self.buyers.get(order_id)
            if shop_id != self.sim.shop_id or buyer is None:
                continue
            reminder = str(message["Subject"]).startswith("Reminder")
            if self.day_of(now) >= self.first_day.isoformat():
                self.truth["reminders" if reminder else "review_requests"] += 1
            text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            link = re.search(r"/r/(\S+)", text.get_payload(decode=True).decode())
            if link and order_id not in self.reviewed:
                self._maybe_review(buyer, link.group(1), now, reminder)

    def _maybe_review(self, buyer: Buyer, token: str, emailed: datetime, reminder: bool) -> None:
        chance = 0.35 if reminder else 0.6  # most who review do it from the first email
        if self.rng.random() >= chance:
            return
        self.reviewed.add(buyer.order_id)
        rating = self.rng.choices([5, 4, 3, 2, 1], weights=[52, 25, 11, 6, 6])[0]
        moment = self.later(emailed, 0.5, 60)
        self.at(moment, lambda: self._review(buyer, token, rating))

    # --- reviews, replies and shares -----------------------------------------------------------
    def _review(self, buyer: Buyer, token: str, rating: int) -> None:
        form = self.sim._get(f"{self.sim.url}/r/{token}", headers={"Accept": "text/html"})
        product = re.search(r'name="product_id" value="([^"]+)"', form.text)
        if form.status_code != 200 or not product:
            raise RuntimeError(f"the review form for {buyer.order_id} did not open: {form.status_code}")
        body = self.rng.choice(PRAISE if rating >= 4 else MEH if rating == 3 else BAD)
        titles = {5: "Love it", 4: "Very good", 3: "It's okay", 2: "Disappointed", 1: "Would not buy again"}
        review = {
            "token": token,
            "product_id": product.group(1),
            "rating": rating,
            "title": titles[rating],
            "body": body,
        }
        response = self.sim._post_json(f"{self.sim.url}/reviews", review)
        if response.status_code != 201:
            raise RuntimeError(f"review for {buyer.order_id} refused: {response.status_code} {response.text}")
        now = clock.now()
        self.count(now, "reviews")
        answer = response.json()
        if answer["status"] == "pending":
            self.truth["pending"] += 1
            if self.rng.random() < 0.4:  # the owner answers some unhappy buyers in public
                moment = self.later(now, 3, 30)
                self.at(moment, lambda: self._owner_answers(answer["review_id"], publish=True, happy=False))
        elif self.rng.random() < 0.15:
            moment = self.later(now, 2, 48)
            self.at(moment, lambda: self._owner_answers(answer["review_id"], publish=False, happy=True))
        share = answer.get("share")
        if share and self.rng.random() < 0.7:
            picks = self.rng.sample(CHANNELS, self.rng.choices([1, 2, 3], weights=[5, 3, 2])[0])
            if self.channels_left:
                picks = [self.channels_left.pop(0), *(c for c in picks[1:])]
            for channel in dict.fromkeys(picks):
                moment = self.later(now, 0.05, 30)
                self.at(moment, lambda c=channel, s=share: self._share(buyer, s, c))

    def _owner_answers(self, review_id: str, publish: bool, happy: bool) -> None:
        base = f"{self.sim.url}/shops/{self.sim.shop_id}/reviews/{review_id}"
        auth = {"Authorization": f"Bearer {self.api_key}"}
        if publish:
            self.sim._post_json(f"{base}/publish", {}, headers=auth).raise_for_status()
            self.truth["pending"] -= 1
        body = {"body": self.rng.choice(REPLIES["happy" if happy else "unhappy"])}
        self.sim._post_json(f"{base}/reply", body, headers=auth).raise_for_status()
        self.truth["replies"] += 1

    def _share(self, buyer: Buyer, share: dict[str, Any], channel: str) -> None:
        ip = f"203.0.113.{buyer.number % 250 + 1}"
        response = self.sim._get(share["channels"][channel], headers={"User-Agent": BROWSERS[0], "X-Forwarded-For": ip})
        if response.status_code >= 400:
            raise RuntimeError(f"share on {channel} refused: {response.status_code}")
        now = clock.now()
        self.count(now, "shares")
        self.count(now, f"shares.{channel}")
        if self.rng.random() < 0.6:  # the link preview a messenger fetches when the link is posted
            self.at(now + timedelta(seconds=20), lambda: self._click(share["code"], channel, None, counted=False))
        for _ in range(self.rng.choices([0, 1, 2, 3, 4, 5], weights=[1, 3, 3, 3, 2, 1])[0]):
            visitor = next(self._visitors)
            moment = self.later(now, 0.1, 96)
            self.at(moment, lambda v=visitor, c=channel: self._click(share["code"], c, v, counted=True, buyer=buyer))

    # --- friends: clicks, repeat visits, bots, and orders through the links -----------------------
    def _click(
        self,
        code: str,
        channel: str,
        visitor: int | None,
        counted: bool,
        buyer: Buyer | None = None,
        again: bool = False,
    ) -> None:
        if visitor is None:
            agent, ip = self.rng.choice(CRAWLERS + BOTS), "192.0.2.1"
        else:
            agent, ip = BROWSERS[visitor % len(BROWSERS)], f"198.51.{visitor // 200}.{visitor % 200 + 1}"
        response = self.sim._get(
            f"{self.sim.url}/s/{code}?via={channel}", headers={"User-Agent": agent, "X-Forwarded-For": ip}
        )
        if response.status_code not in (200, 302):
            raise RuntimeError(f"a click on {code} answered {response.status_code}")
        if not counted:
            return
        now = clock.now()
        self.count(now, "clicks")
        self.count(now, f"clicks.{channel}")
        if again or visitor is None or buyer is None:
            return
        if self.rng.random() < 0.2:  # the same friend comes back later the same day: one click
            then = now + timedelta(minutes=self.rng.randint(5, 90))
            if self.day_of(then) == self.day_of(now):
                self.at(then, lambda: self._click(code, channel, visitor, counted=False, again=True))
        if self.rng.random() < 0.13:  # and some buy
            ordered = self.later(now, 0.2, 40)
            landing = f"https://{self.sim.domain}/products/p-bottle?ref={code}&utm_medium=social"
            self.at(ordered, lambda: self._friend_orders(ordered, landing, buyer))

    def _friend_orders(self, moment: datetime, landing_url: str, advocate: Buyer) -> None:
        self._new_order(moment, landing_url=landing_url, advocate=advocate.customer_id)

    # --- the check --------------------------------------------------------------------------------
    def check(self) -> list[str]:
        report = self.sim._get(
            f"{self.sim.url}/shops/{self.sim.shop_id}/report", headers={"Authorization": f"Bearer {self.api_key}"}
        ).json()
        differences = []
        for row in report["series"]:
            for name in SERIES:
                expected = self.day_truth[(row["date"], name)]
                if row[name] != expected:
                    differences.append(f"{row['date']} {name}: played {expected}, report says {row[name]}")
        funnel = report["funnel"]
        figures = {
            "review_requests": funnel["review_requests"],
            "reminders": funnel["reminders"],
            "refunds": funnel["refunds"],
            "referral_reversals": funnel["referral_reversals"],
            **{f"shares.{c}": n for c, n in funnel["shares"]["by_channel"].items()},
            **{f"clicks.{c}": n for c, n in funnel["clicks"]["by_channel"].items() if c in CHANNELS},
        }
        for name, actual in sorted(figures.items()):
            if actual != self.truth[name]:
                differences.append(f"{name}: played {self.truth[name]}, report says {actual}")
        return differences

    def summary(self) -> dict[str, int]:
        """The month in figures, for the welcome message and the tests."""
        days_with_all = {
            day
            for (day, name) in self.day_truth
            if all(self.day_truth[(day, s)] > 0 for s in ("orders", "reviews", "shares", "clicks"))
        }
        return {
            **{name: self.truth[name] for name in (*SERIES, "review_requests", "reminders", "pending", "replies")},
            "days_with_orders_reviews_shares_and_clicks": len(days_with_all),
        }
