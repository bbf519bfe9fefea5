"""`make run` itself: DynamoDB Local kept in a folder between runs, exact under concurrency, clean stop."""

from __future__ import annotations

import os
import signal
import time

from localdev.live import LiveServer, alive
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body

HANG_GUARD_S = 120  # how long a stop may take is a `make bench` figure (bench/make_run.py); this only ends a hang


def stops_cleanly(server: LiveServer, seconds: float = HANG_GUARD_S) -> bool:
    """SIGTERM, as Ctrl-C or a service manager sends it: the server and every process it started end."""
    started = server.children()
    assert started, "the embedded DynamoDB Local runs as a child of the server"
    os.kill(server.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        running = [pid for pid in [server.process.pid, *started] if alive(pid)]
        if not running and server.process.poll() is not None:
            return True
        time.sleep(0.1)
    return False


def test_a_restart_keeps_every_shop_and_reset_starts_empty(tmp_path):
    data = tmp_path / "data"
    # Given `make run` with its data folder, and a shop created through the API
    first = LiveServer(None, data_dir=data)
    try:
        body = shop_body()
        created = first.request("POST", "/shops", body, token=ADMIN_TOKEN)
        assert created.status_code == 201
        key = created.json()["api_key"]
        # Then a clean stop ends it and its database (how light it is and how fast it stops: make bench)
        assert stops_cleanly(first)
    finally:
        first.stop()
    assert any(data.iterdir()), "DynamoDB Local keeps its tables in the folder"

    # When it starts again on the same folder, the shop is there
    again = LiveServer(None, data_dir=data)
    try:
        assert again.request("GET", f"/shops/{body['shop_id']}", token=key).json()["name"] == body["name"]
    finally:
        again.stop()

    # And with --reset (make run RESET=1) it starts empty
    reset = LiveServer(None, data_dir=data, extra_args=["--reset"])
    try:
        assert reset.request("GET", f"/shops/{body['shop_id']}", token=key).status_code == 401  # no such key
    finally:
        reset.stop()


def test_three_hundred_visitors_on_one_link_through_sixteen_clients_count_exactly():
    from bench.hot_link import click_storm, viral_link

    # Given `make run`'s own embedded database and a happy advocate's share link
    server = LiveServer(None)
    try:
        shop, code = viral_link(server.url, ADMIN_TOKEN, "storm-shop", server.outbox)
        # When 300 distinct visitors follow it through 16 concurrent clients
        statuses, _ = click_storm(server.url, code, clicks=300, workers=16)
        # Then each is redirected (never a 5xx, never the retry page) and each is counted once
        assert statuses == [302] * 300
        report = server.request("GET", f"/shops/{shop['shop_id']}/report", token=shop["api_key"]).json()
        assert report["funnel"]["clicks"]["total"] == 300
    finally:
        server.stop()
