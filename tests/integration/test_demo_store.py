"""`make run`'s demo store: a month that reads like one, played through the API on the days things happened."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from localdev.live import LiveServer
from localdev.simulate import CHANNELS, FUNNEL_COUNTS

GOOGLE_SCHEMA = Path(__file__).parents[1] / "fixtures" / "google" / "product_reviews.xsd"


def test_demo_store_month_has_activity_on_its_own_days_and_a_restart_keeps_it(tmp_path):
    # As `make run` starts it: the embedded DynamoDB Local with its data folder, seeded
    server = LiveServer(None, seed=True, data_dir=tmp_path / "data")
    try:
        log = server.log()
        key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", log).group(1)
        assert "demo data differs" not in log  # every day's played events are the report's, day by day
        report = server.request("GET", "/shops/demo-store/report", token=key).json()
        funnel, series = report["funnel"], report["series"]
        assert report["timezone"] == "America/Denver" and len(series) == 30

        # Every stage of the funnel has numbers, at a month's scale
        for stage in FUNNEL_COUNTS:
            assert funnel[stage] > 0, stage
        assert funnel["reviews"] >= 40 and funnel["clicks"]["total"] >= 80 and funnel["referred_orders"] >= 8
        assert all(funnel["shares"]["by_channel"][c] > 0 for c in CHANNELS)  # shares on every channel
        assert funnel["reminders"] > 0 and funnel["previews"] > 0
        assert funnel["refunds"] >= 1 and funnel["referral_reversals"] >= 1
        assert set(funnel["ratings"].values()) != {0} and funnel["ratings"]["1"] + funnel["ratings"]["2"] > 0
        assert funnel["referred_revenue"]["USD"] > 0
        assert report["top_advocates"][0]["stage"] == "advocate"

        # ...spread over the month, not piled on its last day
        busy = [d for d in series if all(d[n] > 0 for n in ("orders", "reviews", "shares", "clicks"))]
        assert len(busy) >= 10
        assert sum(1 for d in series if d["orders"]) >= 25
        for name in ("orders", "reviews", "shares", "clicks", "referred_orders"):
            assert max(d[name] for d in series) < sum(d[name] for d in series) / 2, name
            total = funnel[name]["total"] if name in ("shares", "clicks") else funnel[name]
            assert sum(d[name] for d in series) == total, name

        # Unhappy reviews wait in moderation; the owner answered some reviews in public
        pending = server.request("GET", "/shops/demo-store/reviews?status=pending", token=key).json()["reviews"]
        assert pending and all(r["rating"] < 4 for r in pending)
        products = {"p-pack-28", "p-bottle", "p-socks", "p-jacket", "p-lamp"}
        replies = 0
        for product in products:
            page = server.request("GET", f"/shops/demo-store/products/{product}/reviews?limit=50").json()
            replies += sum(1 for r in page["reviews"] if r.get("reply"))
        assert replies > 0

        # Google's product review feed: every published review, valid against Google's schema, low ratings
        # too, read by Merchant Center at its secret URL without the owner key
        feed_report = server.request("GET", "/shops/demo-store/feeds/google-product-reviews", token=key).json()
        published = sum(
            server.request("GET", f"/shops/demo-store/products/{p}/reviews?limit=1").json()["aggregate"]["count"]
            for p in products
        )
        assert feed_report["reviews_in_feed"] == published >= 40 and feed_report["reviews_left_out"] == 0
        assert feed_report["ratings"]["1"] + feed_report["ratings"]["2"] > 0
        issued = server.request("POST", "/shops/demo-store/feeds/google-product-reviews/url", token=key).json()
        fetched = server.session.get(issued["feed_url"], timeout=30)
        assert fetched.status_code == 200 and fetched.headers["Content-Type"].startswith("application/xml")
        document = etree.fromstring(fetched.content)
        schema = etree.XMLSchema(etree.parse(str(GOOGLE_SCHEMA)))
        assert schema.validate(document), schema.error_log
        reviews = document.findall("reviews/review")
        assert len(reviews) == published
        assert {r.findtext("products/product/product_ids/gtins/gtin") for r in reviews} == {
            "2000000000015",
            "2000000000022",
            "2000000000039",
            "2000000000046",
            "2000000000053",
        }
    finally:
        server.stop()

    # A second start on the same data is quick, does not seed again, and shows the same month
    again = LiveServer(None, seed=True, data_dir=tmp_path / "data")
    try:
        assert "Playing the demo store" not in again.log()
        key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", again.log()).group(1)  # a fresh key each start
        # The same days as the first read, named: the default "last 30 days" moves on if the shop's midnight
        # passed during the restart
        same_days = f"/shops/demo-store/report?from={report['from']}&to={report['to']}"
        assert again.request("GET", same_days, token=key).json()["funnel"] == funnel
    finally:
        again.stop()
