"""`make run`'s demo store: a month that reads like one, played through the API on the days things happened."""

from __future__ import annotations

import re

from localdev.live import LiveServer
from localdev.simulate import CHANNELS, FUNNEL_COUNTS


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

        # Light enough for a laptop: the server and its DynamoDB Local, after seeding the month
        assert server.resident_mib() < 700
    finally:
        server.stop()

    # A second start on the same data is quick, does not seed again, and shows the same month
    again = LiveServer(None, seed=True, data_dir=tmp_path / "data")
    try:
        assert "Playing the demo store" not in again.log()
        key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", again.log()).group(1)  # a fresh key each start
        assert again.request("GET", "/shops/demo-store/report", token=key).json()["funnel"] == funnel
    finally:
        again.stop()
