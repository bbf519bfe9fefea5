"""The review widget on a storefront page of another loopback origin, in a real browser."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.reviews.tokens import review_token
from localdev.dynamodb import free_port
from tests import signers
from tests.browser.conftest import accessibility_violations
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body

XSS = '<img src=x onerror="alert(\'xss\')"><script>alert("xss")</script>Nice'


def serve_storefront(port: int, pages: dict[str, bytes]) -> ThreadingHTTPServer:
    """A loopback storefront serving `pages` by path (anything else, a browser's favicon.ico: 204)."""

    class Storefront(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path in pages else 204)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(pages.get(self.path, b""))

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Storefront)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bought_and_reviewed(live, shop, product: str, orders: list[tuple[str, str, str]]) -> list[str]:
    """Each (order id, title, body) bought one `product` through a signed webhook and reviewed it with 5 stars."""
    items = [{"product_id": product, "title": product, "quantity": 1, "price": "29"}]
    ids = []
    for order_id, title, body in orders:
        raw = json.dumps(signers.generic_event("order.created", order_id, f"c-{order_id}", items=items)).encode()
        live.request(
            "POST",
            f"/webhooks/generic/{shop['shop_id']}",
            data=raw,
            headers=signers.standard_headers(shop["webhook_secret"], raw),
        )
        review = {
            "token": review_token(shop["shop_id"], order_id, [product]),
            "product_id": product,
            "rating": 5,
            "title": title,
            "body": body,
        }
        response = live.request("POST", "/reviews", review)
        assert response.status_code == 201, response.text
        ids.append(response.json()["review_id"])
    return ids


@pytest.fixture(scope="module")
def storefront(live):
    """A shop whose home is a loopback storefront serving one product page with the widget pasted in."""
    port = free_port()
    shop = shop_body(domains=[f"127.0.0.1:{port}"])
    assert live.request("POST", "/shops", shop, token=ADMIN_TOKEN).status_code == 201
    page_html = f"""<!doctype html><html><head><title>Alpine Pack</title>
<style>:root {{ --proofloop-star: rgb(200, 30, 30); }}</style></head>
<body><h1>Alpine Pack</h1>
<div id="reviews" data-proofloop-product="p-pack" data-proofloop-limit="50"></div>
<script src="{live.url}/widget.js" data-shop="{shop["shop_id"]}" defer></script></body></html>""".encode()
    server = serve_storefront(port, {"/": page_html, "/products/p-pack": page_html})
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = [
        {
            "product_id": "p-pack",
            "title": "Alpine Pack",
            "quantity": 1,
            "price": "129",
            "url": f"http://127.0.0.1:{port}/products/p-pack",
        }
    ]
    for n in range(50):
        raw = json.dumps(
            signers.generic_event("order.created", f"w-{n}", f"wc-{n}", items=items, timestamp=now)
        ).encode()
        live.request(
            "POST",
            f"/webhooks/generic/{shop['shop_id']}",
            data=raw,
            headers=signers.standard_headers(shop["webhook_secret"], raw),
        )
        body = XSS if n == 7 else f"Review number {n}: comfortable and sturdy."
        response = live.request(
            "POST",
            "/reviews",
            {
                "token": review_token(shop["shop_id"], f"w-{n}", ["p-pack"]),
                "product_id": "p-pack",
                "rating": 5 if n % 3 else 4,
                "title": f"Pack review {n}",
                "body": body,
            },
        )
        assert response.status_code == 201, response.text
    yield f"http://127.0.0.1:{port}/products/p-pack", shop
    server.shutdown()


def test_widget_renders_fifty_reviews_with_stars_and_badges(page, storefront):
    url, _ = storefront
    page.goto(url)
    page.wait_for_selector(".plw-review")
    assert page.locator(".plw-review").count() == 50
    summary = page.locator(".plw-summary").inner_text()
    assert "out of 5" in summary and "50 reviews" in summary
    assert page.locator(".plw-badge").first.inner_text() == "Verified buyer"
    assert page.get_by_role("region", name="Customer reviews").is_visible()
    star_colour = page.locator(".plw-summary .plw-stars").evaluate("e => getComputedStyle(e).color")
    assert star_colour == "rgb(200, 30, 30)"  # themed by the store's CSS variable
    assert page.console_errors == []


def test_review_markup_never_runs_in_the_widget(page, storefront):
    url, _ = storefront
    page.goto(url)
    page.wait_for_selector(".plw-review")
    assert page.dialogs == []
    assert page.locator("#reviews img").count() == 0 and page.locator("#reviews script").count() == 0
    assert XSS in page.locator("#reviews").inner_text()


def test_widget_injects_valid_product_json_ld(page, storefront):
    import extruct

    url, _ = storefront
    page.goto(url)
    page.wait_for_selector("script[data-proofloop-jsonld]", state="attached")
    data = extruct.extract(page.content(), base_url=url, syntaxes=["json-ld"])["json-ld"]
    [product] = [d for d in data if d.get("@type") == "Product"]
    rating = product["aggregateRating"]
    assert rating["@type"] == "AggregateRating" and rating["reviewCount"] == 50
    assert {"ratingValue", "bestRating", "worstRating"} <= set(rating)
    assert 4 <= rating["ratingValue"] <= 5
    for review in product["review"]:
        assert review["@type"] == "Review" and review["author"]["name"]
        assert review["reviewRating"]["ratingValue"] in (4, 5) and review["datePublished"]
        assert "reviewBody" in review


def test_widget_shows_the_shops_answer_line_when_the_owner_turns_it_on(page, live):
    """Two reviews, one answered at once: "Answers 50% of reviews, usually within an hour", outside the JSON-LD."""
    port = free_port()
    shop = shop_body(domains=[f"127.0.0.1:{port}"], settings={"show_answer_rate": True})
    created = live.request("POST", "/shops", shop, token=ADMIN_TOKEN)
    assert created.status_code == 201
    key = created.json()["api_key"]
    page_html = f"""<!doctype html><html lang="en"><head><title>Trail Mug</title></head>
<body><h1>Trail Mug</h1><div data-proofloop-product="p-mug"></div>
<script src="{live.url}/widget.js" data-shop="{shop["shop_id"]}" defer></script></body></html>""".encode()
    server = serve_storefront(port, {"/": page_html})
    ids = bought_and_reviewed(live, shop, "p-mug", [(f"a-{n}", f"Mug {n}", "Keeps coffee hot.") for n in range(2)])
    replied = live.request(
        "POST", f"/shops/{shop['shop_id']}/reviews/{ids[0]}/reply", {"body": "Thank you!"}, token=key
    )
    assert replied.status_code == 200, replied.text
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector(".plw-answers")
        assert page.locator(".plw-answers").inner_text() == "Answers 50% of reviews, usually within an hour"
        page.wait_for_selector("script[data-proofloop-jsonld]", state="attached")
        block = page.locator("script[data-proofloop-jsonld]").text_content()
        assert "Answers" not in block and "median" not in block
        assert page.console_errors == []
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def multilingual_store(live):
    """A German-speaking shop showing its answers line, twelve reviews of one product (one answered, one with
    markup), and a storefront with the same product page in French (/fr), English (/en) and no language (/plain)."""
    port = free_port()
    shop = shop_body(domains=[f"127.0.0.1:{port}"], settings={"show_answer_rate": True, "language": "de"})
    created = live.request("POST", "/shops", shop, token=ADMIN_TOKEN)
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    pages = {
        f"/{name}": f"""<!doctype html><html{attribute}><head><title>Sac Alpin</title></head>
<body><main><h1>Sac Alpin</h1><div data-proofloop-product="p-sac"></div></main>
<script src="{live.url}/widget.js" data-shop="{shop["shop_id"]}" defer></script></body></html>""".encode()
        for name, attribute in (("fr", ' lang="fr"'), ("en", ' lang="en"'), ("plain", ""))
    }
    server = serve_storefront(port, pages)
    reviews = [(f"l-{n}", f"Sac {n}", XSS if n == 11 else f"Avis {n} : solide et confortable.") for n in range(12)]
    ids = bought_and_reviewed(live, shop, "p-sac", reviews)
    replied = live.request("POST", f"/shops/{shop['shop_id']}/reviews/{ids[-1]}/reply", {"body": "Merci !"}, token=key)
    assert replied.status_code == 200, replied.text
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def _text(page, selector):
    return page.locator(selector).first.inner_text().replace("\u00a0", " ").replace("\u202f", " ")


def test_a_french_page_shows_the_widget_in_french(page, multilingual_store):
    page.goto(f"{multilingual_store}/fr")
    page.wait_for_selector(".plw-review")
    assert page.get_by_role("region", name="Avis clients").is_visible()
    assert page.locator(".plw").get_attribute("lang") is None  # the page's own language
    summary = _text(page, ".plw-summary")
    assert "5,0 sur 5" in summary and "12 avis" in summary
    assert _text(page, ".plw-answers") == "Répond à 8 % des avis, généralement sous une heure"  # 1 of 12
    assert _text(page, ".plw-badge") == "Achat vérifié"
    assert _text(page, ".plw-reply .plw-muted") == "Réponse de la boutique"
    assert _text(page, ".plw-review .plw-sr") == "5 sur 5 étoiles"
    assert page.locator(".plw-review").count() == 10
    assert accessibility_violations(page) == []
    more = page.get_by_role("button", name="Plus d\u2019avis")
    more.click()
    page.wait_for_function("document.querySelectorAll('.plw-review').length === 12")
    assert page.locator(".plw-more").count() == 0
    assert XSS in page.locator(".plw").inner_text()  # review text stays text, in French pages too
    assert page.dialogs == [] and page.locator(".plw-review img, .plw-review script").count() == 0
    assert accessibility_violations(page) == []
    assert page.console_errors == []


def test_an_english_page_of_the_same_product_stays_english(page, multilingual_store):
    page.goto(f"{multilingual_store}/en")
    page.wait_for_selector(".plw-review")
    assert page.get_by_role("region", name="Customer reviews").is_visible()
    summary = _text(page, ".plw-summary")
    assert "5.0 out of 5" in summary and "12 reviews" in summary
    assert _text(page, ".plw-answers") == "Answers 8% of reviews, usually within an hour"
    assert page.get_by_role("button", name="More reviews").is_visible()
    assert _text(page, ".plw-badge") == "Verified buyer"
    assert accessibility_violations(page) == []
    assert page.console_errors == []


def test_a_page_without_a_language_shows_the_shops_and_says_which(page, multilingual_store):
    page.goto(f"{multilingual_store}/plain")
    page.wait_for_selector(".plw-review")
    assert page.get_by_role("region", name="Kundenbewertungen").is_visible()
    assert page.locator(".plw").get_attribute("lang") == "de"
    assert "12 Bewertungen" in _text(page, ".plw-summary")
    assert page.get_by_role("button", name="Weitere Bewertungen").is_visible()
    assert page.console_errors == []
