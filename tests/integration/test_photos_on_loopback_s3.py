"""Photo reviews end to end over HTTP: the presigned POST to the loopback S3 endpoint, processing in the due
work, publication in the API, the widget's data and JSON-LD, and the share card as the link's og:image."""

from __future__ import annotations

import re
from typing import Any

import requests

from chalicelib.reviews.tokens import review_token
from tests import photo_files
from tests.conftest import ADMIN_TOKEN
from tests.integration.support import deliver

CRAWLER = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"


def post_photo(live: Any, token: str, data: bytes, content_type: str = "image/jpeg", name: str = "photo.jpg") -> Any:
    """Ask for an upload, then post the file to storage as the review form's script does."""
    asked = live.request(
        "POST", f"/r/{token}/photos", {"product_id": "p-100", "content_type": content_type, "size": len(data)}
    )
    assert asked.status_code == 201, asked.text
    upload = asked.json()["upload"]
    stored = requests.post(upload["url"], data=upload["fields"], files={"file": (name, data, content_type)}, timeout=10)
    assert stored.status_code in (200, 201, 204), stored.text
    return asked.json()["photo_id"]


def run_due(live: Any) -> dict[str, int]:
    answer = live.request("POST", "/admin/run-due", token=ADMIN_TOKEN)
    assert answer.status_code == 200, answer.text
    ran: dict[str, int] = answer.json()["ran"]
    return ran


def test_a_photo_review_from_upload_to_widget_json_ld_and_share_card(live, new_shop, s3_local):
    # Given a fulfilled order and its review link
    shop, _ = new_shop()
    deliver(live, shop, "order.created", "ph-1", customer_id="ph-buyer")
    token = review_token(shop["shop_id"], "ph-1", ["p-100"])
    # When the buyer uploads two photos straight to storage (one with a GPS position) and submits the review
    first = post_photo(live, token, photo_files.jpeg(1600, 1200, gps=True))
    second = post_photo(live, token, photo_files.png(), "image/png", "photo.png")
    created = live.request(
        "POST",
        "/reviews",
        {
            "token": token,
            "product_id": "p-100",
            "rating": 5,
            "title": "Love it",
            "body": "Warm tea all day.",
            "photo_ids": [first, second],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "published"
    code = created.json()["share"]["code"]
    # And the due work processes them and builds the share card (run until nothing is left: the shared server's
    # other shops, the load test's among them, may have photos and cards due too)
    done = {"photos": 0, "share_cards": 0}
    for _ in range(10):
        ran = run_due(live)
        if not ran["photos"] and not ran["share_cards"]:
            break
        done = {name: done[name] + ran[name] for name in done}
    assert done["photos"] >= 2 and done["share_cards"] >= 1, done
    # Then the public API, which the widget renders, shows both photos with their sizes; so does the JSON-LD
    listing = live.request("GET", f"/shops/{shop['shop_id']}/products/p-100/reviews").json()
    photos = listing["reviews"][0]["photos"]
    assert [(p["width"], p["height"]) for p in photos] == [(1200, 1600), (640, 480)]
    assert listing["json_ld"]["review"][0]["image"] == [p["url"] for p in photos]
    # And each is readable from storage, re-encoded, with no GPS position left
    for photo in photos:
        for url in (photo["url"], photo["thumbnail_url"]):
            got = requests.get(url, timeout=10)
            assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
            assert photo_files.gps_of(got.content) == {}
    # And the share link's preview shows the card: a 1200x630 PNG
    preview = live.request("GET", f"/s/{code}", headers={"User-Agent": CRAWLER})
    assert preview.status_code == 200
    assert '<meta name="twitter:card" content="summary_large_image">' in preview.text
    card_url = re.search(r'<meta property="og:image" content="([^"]+)"', preview.text).group(1).replace("&amp;", "&")
    card = requests.get(card_url, timeout=10)
    assert card.status_code == 200 and card.headers["Content-Type"] == "image/png"
    assert photo_files.format_of(card.content) == "PNG" and photo_files.size_of(card.content) == (1200, 630)
    assert "max-age=31536000" in card.headers.get("Cache-Control", "")


def test_the_first_scrape_right_after_a_review_shows_its_card(live, new_shop, s3_local):
    # Given a happy review just submitted, with no due run since
    shop, _ = new_shop()
    deliver(live, shop, "order.created", "ph-4", customer_id="ph-first-scrape")
    token = review_token(shop["shop_id"], "ph-4", ["p-100"])
    review = {"token": token, "product_id": "p-100", "rating": 5, "title": "Warm", "body": "Tea stays hot."}
    created = live.request("POST", "/reviews", review)
    assert created.status_code == 201, created.text
    code = created.json()["share"]["code"]
    # When Facebook's crawler fetches the preview at once, then the picture it names (following its redirect)
    preview = live.request("GET", f"/s/{code}", headers={"User-Agent": CRAWLER})
    address = re.search(r'<meta property="og:image" content="([^"]+)"', preview.text).group(1)
    card = requests.get(address, headers={"User-Agent": CRAWLER}, timeout=30)
    # Then it is the review's card, from our own address for it, served by storage with a year's cache
    assert address.startswith(f"{live.url}/s/{code}/card/")
    assert card.status_code == 200 and card.headers["Content-Type"] == "image/png"
    assert photo_files.format_of(card.content) == "PNG" and photo_files.size_of(card.content) == (1200, 630)
    assert "max-age=31536000" in card.headers.get("Cache-Control", "")
    assert card.history and card.history[0].status_code == 302


def test_refused_files_are_reported_to_the_buyer(live, new_shop):
    shop, _ = new_shop()
    deliver(live, shop, "order.created", "ph-2", customer_id="ph-refused")
    token = review_token(shop["shop_id"], "ph-2", ["p-100"])
    sent = {
        post_photo(live, token, photo_files.png(), "image/jpeg", "renamed.jpg"): "type_mismatch",
        post_photo(live, token, photo_files.HTML, "image/jpeg", "photo.jpg"): "not_an_image",
        post_photo(live, token, photo_files.bomb_png(), "image/png", "bomb.png"): "too_many_pixels",
        post_photo(live, token, photo_files.truncated_jpeg(), "image/jpeg", "cut.jpg"): "damaged",
    }
    run_due(live)
    states = {p["photo_id"]: p for p in live.request("GET", f"/r/{token}/photos").json()["photos"]}
    assert {pid: states[pid]["reason_code"] for pid in sent} == sent
    assert all(states[pid]["status"] == "refused" and states[pid]["reason"] for pid in sent)


def test_an_oversized_file_and_another_orders_link_are_refused(live, new_shop):
    shop, _ = new_shop()
    deliver(live, shop, "order.created", "ph-3", customer_id="ph-limits")
    deliver(live, shop, "order.created", "ph-4", customer_id="ph-limits")
    token = review_token(shop["shop_id"], "ph-3", ["p-100"])
    other = review_token(shop["shop_id"], "ph-4", ["p-100"])
    # A declared size over 10 MB is refused before anything is signed
    asked = live.request(
        "POST", f"/r/{token}/photos", {"product_id": "p-100", "content_type": "image/jpeg", "size": 10 * 2**20 + 1}
    )
    assert asked.status_code == 422 and asked.json()["error"]["code"] == "validation_failed"
    # A file that is larger than it was declared (S3 holds the POST to its range; this server does not) is
    # refused when it is processed
    big = live.request(
        "POST", f"/r/{token}/photos", {"product_id": "p-100", "content_type": "image/jpeg", "size": 5000}
    )
    upload = big.json()["upload"]
    data = photo_files.jpeg() + b"\0" * (10 * 2**20)
    assert requests.post(upload["url"], data=upload["fields"], files={"file": ("big.jpg", data)}, timeout=30).ok
    # And a photo of this order cannot be attached to another order's review
    mine = post_photo(live, token, photo_files.jpeg())
    run_due(live)
    states = {p["photo_id"]: p for p in live.request("GET", f"/r/{token}/photos").json()["photos"]}
    assert states[big.json()["photo_id"]]["reason_code"] == "too_large"
    assert states[mine]["status"] == "ready"
    stolen = live.request(
        "POST",
        "/reviews",
        {"token": other, "product_id": "p-100", "rating": 5, "title": "", "body": "Mine now.", "photo_ids": [mine]},
    )
    assert stolen.status_code == 422 and stolen.json()["error"]["code"] == "photo_not_found"
