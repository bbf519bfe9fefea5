"""`make run`'s demo store: every stage of the funnel has numbers to show."""

from __future__ import annotations

import re

from localdev.live import LiveServer
from localdev.simulate import FUNNEL_COUNTS


def test_demo_store_report_shows_every_funnel_stage():
    server = LiveServer(None, seed=True)  # as `make run` starts it: embedded DynamoDB, seeded
    try:
        key = re.search(r"owner API key (plk_[A-Za-z0-9_-]+)", server.log()).group(1)
        assert "demo data differs" not in server.log()
        report = server.request("GET", "/shops/demo-store/report", token=key).json()
        funnel = report["funnel"]
        for stage in FUNNEL_COUNTS:
            assert funnel[stage] > 0, stage
        assert funnel["shares"]["total"] > 0 and funnel["clicks"]["total"] > 0
        assert funnel["referred_revenue"]["USD"] > 0
        assert report["top_advocates"][0]["stage"] == "advocate"
        # Light enough for a laptop: the server and its DynamoDB Local, after seeding the month
        assert server.resident_mib() < 700
    finally:
        server.stop()
