"""A share link clicked while the database fails: the browser shows "One moment", retries by itself, lands."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from chalicelib.reviews.tokens import review_token
from localdev.dynamodb import DynamoDBLocal, free_port
from localdev.faulty_dynamodb import FaultyDynamoDB
from localdev.live import LiveServer
from tests import signers
from tests.browser.conftest import screenshot
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body

CHROME_ON_ANDROID = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile"


@pytest.fixture(scope="module")
def flaky() -> Iterator[tuple[LiveServer, FaultyDynamoDB]]:
    database = DynamoDBLocal().start()
    proxy = FaultyDynamoDB(database.endpoint, operations=frozenset({"TransactWriteItems"}), kinds=("throttle",))
    proxy.start()
    server = LiveServer(proxy.endpoint)
    yield server, proxy
    server.stop()
    proxy.stop()
    database.stop()


@pytest.fixture
def storefront() -> Iterator[tuple[str, list[str]]]:
    """The shop's own site on loopback: it records the pages it is asked for."""
    visits: list[str] = []

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            visits.append(self.path)
            body = b"<!doctype html><title>Trail Mug</title><h1>Trail Mug</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_port}", visits
    server.shutdown()
    server.server_close()


def test_a_click_during_an_outage_retries_by_itself_and_counts_once(browser, flaky, storefront):
    live, proxy = flaky
    home, visits = storefront
    shop = shop_body(domains=[home])
    created = live.request("POST", "/shops", shop, token=ADMIN_TOKEN)
    assert created.status_code == 201, created.text
    items = [{"product_id": "p-1", "title": "Mug", "quantity": 1, "price": "9", "url": f"http://{home}/products/mug"}]
    raw = json.dumps(signers.generic_event("order.created", "o-1", "c-1", items=items)).encode()
    headers = signers.standard_headers(shop["webhook_secret"], raw)
    assert live.request("POST", f"/webhooks/generic/{shop['shop_id']}", data=raw, headers=headers).status_code == 200
    token = review_token(shop["shop_id"], "o-1", ["p-1"])
    review = {"token": token, "product_id": "p-1", "rating": 5, "title": "", "body": "Good."}
    offer = live.request("POST", "/reviews", review).json()["share"]
    context = browser.new_context(user_agent=CHROME_ON_ANDROID, viewport={"width": 390, "height": 844})
    page = context.new_page()
    onward = (
        f"http://{home}/products/mug?ref={offer['code']}&utm_source=whatsapp&utm_medium=social&utm_campaign=proofloop"
    )
    try:
        proxy.fraction = 1.0  # every count transaction is throttled, past botocore's retries
        page.goto(f"{live.url}/s/{offer['code']}?via=whatsapp")
        expect(page.get_by_role("heading", name="One moment")).to_be_visible()
        expect(page.get_by_role("link", name=f"Continue to {shop['name']}")).to_have_attribute("href", onward)
        screenshot(page, "share-link-retry")
        assert [v for v in visits if v != "/favicon.ico"] == []
        proxy.fraction = 0.0  # the database recovers; the page reloads itself after Retry-After
        page.wait_for_url(f"http://{home}/**", timeout=15_000)
        expect(page.get_by_role("heading", name="Trail Mug")).to_be_visible()
    finally:
        proxy.fraction = 0.0
        context.close()
    pages = [v for v in visits if v != "/favicon.ico"]
    assert len(pages) == 1 and f"ref={offer['code']}" in pages[0]
    report = live.request("GET", f"/shops/{shop['shop_id']}/report", token=created.json()["api_key"]).json()
    assert report["funnel"]["clicks"]["total"] == 1
    assert report["funnel"]["clicks"]["by_channel"]["whatsapp"] == 1
