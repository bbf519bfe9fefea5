"""Photos in a real browser: attached on the review form (uploaded straight to the loopback S3 endpoint),
then, once processed and published, shown by the widget on a storefront page with a keyboard viewer."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from chalicelib.reviews.tokens import review_token
from localdev.dynamodb import free_port
from tests import photo_files, signers
from tests.browser.conftest import screenshot
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body


def _storefront(port: int, api: str, shop_id: str) -> ThreadingHTTPServer:
    html = f"""<!doctype html><html lang="en"><head><title>Alpine Pack</title></head>
<body><h1>Alpine Pack</h1><div data-proofloop-product="p-pack"></div>
<script src="{api}/widget.js" data-shop="{shop_id}" defer></script></body></html>""".encode()

    class Storefront(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Storefront)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_two_photos_attached_on_the_form_appear_in_the_widget_once_published(page, live):
    # Given a shop with a storefront page, and a buyer's order
    port = free_port()
    shop = shop_body(domains=[f"127.0.0.1:{port}"])
    assert live.request("POST", "/shops", shop, token=ADMIN_TOKEN).status_code == 201
    items = [{"product_id": "p-pack", "title": "Alpine Pack", "quantity": 1, "price": "129"}]
    raw = json.dumps(signers.generic_event("order.created", "ph-b1", "ph-buyer", items=items)).encode()
    headers = signers.standard_headers(shop["webhook_secret"], raw)
    assert live.request("POST", f"/webhooks/generic/{shop['shop_id']}", data=raw, headers=headers).status_code == 200
    token = review_token(shop["shop_id"], "ph-b1", ["p-pack"])
    # When the buyer attaches two photos on the form and sends the review
    page.goto(f"{live.url}/r/{token}")
    form = page.locator("form").first
    form.locator("input[type=file]").set_input_files(
        [
            {"name": "summit.jpg", "mimeType": "image/jpeg", "buffer": photo_files.jpeg(1600, 1200, gps=True)},
            {"name": "camp.png", "mimeType": "image/png", "buffer": photo_files.png(800, 600)},
        ]
    )
    attached = form.locator(".photo-list .photo-ready")
    attached.nth(1).wait_for(timeout=15000)
    assert attached.all_inner_texts() == ["summit.jpg: attached", "camp.png: attached"]
    form.locator("label[title='5 stars out of 5']").click()
    form.get_by_label("Your review").fill("Carried it to the summit; both pockets fit a phone.")
    screenshot(page, "review-form-photos")
    form.get_by_role("button", name="Send review").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you for your review!"
    assert page.locator(".photo-states li").count() == 2
    # And the due work processes the photos (the review was published at once)
    ran = live.request("POST", "/admin/run-due", token=ADMIN_TOKEN).json()["ran"]
    assert ran["photos"] >= 2  # the shared server's other shops may have photos due too
    # Then the storefront's widget shows both, each with its size set before it loads
    storefront = _storefront(port, live.url, shop["shop_id"])
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        thumbs = page.locator(".plw-thumb img")
        thumbs.nth(1).wait_for(timeout=15000)
        assert [(t.get_attribute("width"), t.get_attribute("height")) for t in thumbs.all()] == [
            ("72", "96"),
            ("128", "96"),
        ]
        assert all(t.get_attribute("loading") == "lazy" for t in thumbs.all())
        page.wait_for_function(
            "() => [...document.querySelectorAll('.plw-thumb img')].every(i => i.complete && i.naturalWidth > 0)"
        )
        # And the viewer works from the keyboard: open, page through, close, focus back on the thumbnail
        first = page.locator(".plw-thumb").first
        first.focus()
        page.keyboard.press("Enter")
        viewer = page.locator("dialog.plw-viewer")
        assert viewer.is_visible()
        assert viewer.locator("img").get_attribute("alt") == "Photo 1 of 2 from Mia C."
        page.keyboard.press("ArrowRight")
        assert viewer.locator("img").get_attribute("alt") == "Photo 2 of 2 from Mia C."
        page.wait_for_function("() => document.querySelector('dialog.plw-viewer img').naturalWidth > 0")
        screenshot(page, "widget-photo-viewer")
        page.keyboard.press("Escape")
        viewer.wait_for(state="detached", timeout=5000)  # the dialog's close event removes it
        assert page.evaluate("document.activeElement.className") == "plw-thumb"
        assert page.console_errors == []
    finally:
        storefront.shutdown()
