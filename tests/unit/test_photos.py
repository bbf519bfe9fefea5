"""Photos on reviews: presigned uploads pinned to one key, type and size; processing by content; display.

Storage is moto's S3 (mock_aws, started by the `table` fixture); a test stores the upload with the S3
client itself, as the browser's presigned POST would (the loopback tiers post it for real).
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from PIL import Image

from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys
from tests import photo_files
from tests.unit.review_support import ReviewShop

BUCKET = "proofloop-photos-dev"  # the dev stage's, as tests/conftest.py sets it
CRAWLER = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"


@pytest.fixture
def storage(table: Any) -> Any:
    from chalicelib.storage.s3 import get_storage

    return get_storage()  # the bucket the table fixture made


@pytest.fixture
def shop(api, outbox, storage):
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order()
    return shop


@pytest.fixture
def token(shop):
    return review_token(shop.shop_id, "o-1", ["p-mug", "p-cap"])


def ask(api: Any, token: str, content_type: str = "image/jpeg", size: int = 1000, product_id: str = "p-mug") -> Any:
    return api.request(
        "POST", f"/r/{token}/photos", {"product_id": product_id, "content_type": content_type, "size": size}
    )


def upload(
    api: Any, storage: Any, token: str, data: bytes, content_type: str = "image/jpeg", declared: int = 0, **kw: Any
) -> str:
    """Ask for an upload and store the file where its presigned POST would; returns the photo id."""
    answer = ask(api, token, content_type, declared or len(data), **kw)
    assert answer.status_code == 201, answer.body
    fields = answer.json["upload"]["fields"]
    storage.client.put_object(Bucket=BUCKET, Key=fields["key"], Body=data, ContentType=fields["Content-Type"])
    return str(answer.json["photo_id"])


def process(table: Any) -> int:
    from chalicelib.photos.service import process_due_photos

    return process_due_photos(table)


def states(api: Any, token: str) -> dict[str, dict[str, Any]]:
    response = api.request("GET", f"/r/{token}/photos")
    assert response.status_code == 200, response.body
    return {p["photo_id"]: p for p in response.json["photos"]}


def submit(api: Any, token: str, photo_ids: list[str], product_id: str = "p-mug", rating: int = 5) -> Any:
    body = {"token": token, "product_id": product_id, "rating": rating, "title": "Lovely", "body": "Keeps it hot."}
    return api.request("POST", "/reviews", {**body, "photo_ids": photo_ids})


# --- the presigned upload -----------------------------------------------------------------------------
def test_the_presigned_post_pins_the_key_the_content_type_and_the_size_range(shop, token):
    # When the buyer asks to upload a JPEG
    answer = ask(shop.api, token)
    # Then the POST's policy allows exactly one key, that type, and 1 byte to 10 MB
    assert answer.status_code == 201, answer.body
    assert answer.json["status"] == "processing" and answer.json["photo_id"].startswith("ph_")
    fields = answer.json["upload"]["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert ["eq", "$key", fields["key"]] in conditions and fields["key"].startswith("uploads/")
    assert ["eq", "$Content-Type", "image/jpeg"] in conditions
    assert ["content-length-range", 1, 10 * 1024 * 1024] in conditions


def test_an_upload_over_ten_megabytes_is_refused_before_and_after_it_is_stored(shop, token, storage, table):
    # Given a declared size over the limit: refused at once
    too_big = ask(shop.api, token, size=10 * 1024 * 1024 + 1)
    assert too_big.status_code == 422 and too_big.json["error"]["code"] == "validation_failed"
    # And a file that grew past it after it was declared (S3 holds the POST to the range; this store is checked too)
    photo_id = upload(shop.api, storage, token, photo_files.jpeg() + b"\0" * (10 * 1024 * 1024), declared=5000)
    process(table)
    state = states(shop.api, token)[photo_id]
    assert state["status"] == "refused" and state["reason_code"] == "too_large" and "10 MB" in state["reason"]


def test_a_type_other_than_jpeg_png_or_webp_is_refused(shop, token):
    answer = ask(shop.api, token, content_type="image/gif")
    assert answer.status_code == 422 and answer.json["error"]["code"] == "validation_failed"


def test_a_product_the_link_does_not_cover_is_refused(shop, token):
    answer = ask(shop.api, token, product_id="p-other")
    assert answer.status_code == 403 and answer.json["error"]["code"] == "product_not_in_order"


def test_a_review_takes_at_most_five_photos(shop, token):
    for _ in range(5):
        assert ask(shop.api, token).status_code == 201
    sixth = ask(shop.api, token)
    assert sixth.status_code == 409 and sixth.json["error"]["code"] == "too_many_photos"


# --- processing by content ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data", "content_type", "reason"),
    [
        ("a PNG renamed .jpg", photo_files.png(), "image/jpeg", "type_mismatch"),
        ("an HTML file called photo.jpg", photo_files.HTML, "image/jpeg", "not_an_image"),
        ("a 20,000 x 20,000 pixel bomb", photo_files.bomb_png(), "image/png", "too_many_pixels"),
        ("a truncated JPEG", photo_files.truncated_jpeg(), "image/jpeg", "damaged"),
    ],
)
def test_a_file_that_is_not_the_photo_it_claims_is_refused_with_a_reason(
    shop, token, storage, table, name, data, content_type, reason
):
    # Given the file uploaded as a photo
    photo_id = upload(shop.api, storage, token, data, content_type)
    # When the due work processes it
    process(table)
    # Then it is refused, the buyer told why, and nothing of it is kept in storage
    state = states(shop.api, token)[photo_id]
    assert state["status"] == "refused" and state["reason_code"] == reason, name
    assert state["reason"]
    assert storage.client.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0


def test_a_refused_photo_cannot_be_attached(shop, token, storage, table):
    photo_id = upload(shop.api, storage, token, photo_files.HTML)
    process(table)
    answer = submit(shop.api, token, [photo_id])
    assert answer.status_code == 422 and answer.json["error"]["code"] == "photo_refused"


def test_a_processed_photo_is_upright_resized_and_carries_no_exif_gps(shop, token, storage, table):
    # Given a 4000x3000 JPEG with a GPS position, taken rotated (EXIF orientation 6)
    original = photo_files.jpeg(4000, 3000, gps=True)
    assert photo_files.gps_of(original)
    photo_id = upload(shop.api, storage, token, original)
    # When it is processed
    assert process(table) == 1
    # Then the display image and thumbnail stand upright, within their sizes, with no EXIF at all
    item = table.get(keys.photo_key(shop.shop_id, keys.review_id(shop.shop_id, "o-1", "p-mug"), photo_id))
    display = storage.read(item["display_key"])
    thumbnail = storage.read(item["thumb_key"])
    assert photo_files.size_of(display) == (1200, 1600) and (item["width"], item["height"]) == (1200, 1600)
    assert photo_files.size_of(thumbnail) == (240, 320)
    for data in (display, thumbnail):
        assert photo_files.gps_of(data) == {}
        with Image.open(io.BytesIO(data)) as image:
            assert "exif" not in image.info and not image.getexif()
    # And the original is gone from storage
    assert storage.size_of(item["upload_key"]) is None


def test_an_upload_that_never_arrives_is_given_up_after_an_hour(shop, token, storage, table):
    from datetime import timedelta

    from chalicelib import clock

    photo_id = ask(shop.api, token).json["photo_id"]
    assert process(table) == 0  # still waiting for its file
    clock.run_from(clock.now() + timedelta(hours=2))
    try:
        process(table)
    finally:
        clock.run_from(None)
    assert states(shop.api, token)[photo_id]["reason_code"] == "not_uploaded"


# --- attaching, display, moderation -------------------------------------------------------------------
def test_another_orders_link_cannot_attach_this_orders_photo(shop, token, storage, table):
    # Given a photo uploaded with one order's link, and another order of the same buyer
    photo_id = upload(shop.api, storage, token, photo_files.jpeg())
    shop.fulfilled_order("o-2")
    other = review_token(shop.shop_id, "o-2", ["p-mug", "p-cap"])
    # When the other order's review names it
    answer = submit(shop.api, other, [photo_id])
    # Then it is refused, and the other review is not stored
    assert answer.status_code == 422 and answer.json["error"]["code"] == "photo_not_found"
    assert table.get(keys.review_key(shop.shop_id, keys.review_id(shop.shop_id, "o-2", "p-mug"))) is None


def test_published_photos_appear_in_the_api_and_json_ld_and_a_hidden_one_does_not(shop, token, storage, table):
    # Given a published review with two processed photos
    first = upload(shop.api, storage, token, photo_files.jpeg(gps=True))
    second = upload(shop.api, storage, token, photo_files.png(), "image/png")
    created = submit(shop.api, token, [first, second])
    assert created.status_code == 201, created.body
    assert [p["status"] for p in created.json["photos"]] == ["processing", "processing"]
    assert process(table) == 2
    # When the product's reviews are read
    listing = shop.api.request("GET", f"/shops/{shop.shop_id}/products/p-mug/reviews").json
    # Then the review carries both, with their sizes, and so does its JSON-LD
    photos = listing["reviews"][0]["photos"]
    assert [(p["width"], p["height"]) for p in photos] == [(600, 800), (640, 480)]
    assert all(p["url"] and p["thumbnail_url"] for p in photos)
    assert listing["json_ld"]["review"][0]["image"] == [p["url"] for p in photos]
    # When the owner hides the first
    rid = created.json["review_id"]
    hidden = shop.owner("POST", f"/reviews/{rid}/photos/{first}/hide")
    assert hidden.status_code == 200 and hidden.json["hidden"] is True
    # Then only the second is shown
    listing = shop.api.request("GET", f"/shops/{shop.shop_id}/products/p-mug/reviews").json
    assert [(p["width"], p["height"]) for p in listing["reviews"][0]["photos"]] == [(640, 480)]


def test_hiding_a_photo_of_another_review_is_404(shop, token, storage):
    photo_id = upload(shop.api, storage, token, photo_files.jpeg())
    answer = shop.owner("POST", f"/reviews/rv_nope/photos/{photo_id}/hide")
    assert answer.status_code == 404 and answer.json["error"]["code"] == "photo_not_found"


def test_the_moderation_queue_shows_a_pending_reviews_photos(shop, token, storage, table):
    photo_id = upload(shop.api, storage, token, photo_files.jpeg())
    assert submit(shop.api, token, [photo_id], rating=2).json["status"] == "pending"
    process(table)
    queue = shop.owner("GET", "/reviews").json["reviews"]
    (photo,) = queue[0]["photos"]
    assert photo["photo_id"] == photo_id and photo["status"] == "ready" and photo["thumbnail_url"]
    assert photo["hidden"] is False


# --- share cards --------------------------------------------------------------------------------------
def test_a_happy_reviews_share_card_is_a_1200x630_png_shown_as_og_image(shop, token, storage, table):
    from chalicelib.photos.cards import build_due_cards

    # Given a happy review with a photo, processed
    photo_id = upload(shop.api, storage, token, photo_files.jpeg())
    code = submit(shop.api, token, [photo_id]).json["share"]["code"]
    process(table)
    # When the due work builds the cards
    assert build_due_cards(table) == 1
    # Then the link's preview shows the card, a 1200x630 PNG served with a long cache
    item = table.get(keys.code_key(code))
    png = storage.read(item["card_key"])
    assert photo_files.format_of(png) == "PNG" and photo_files.size_of(png) == (1200, 630)
    head = storage.client.head_object(Bucket=BUCKET, Key=item["card_key"])
    assert "max-age=31536000" in head["CacheControl"] and head["ContentType"] == "image/png"
    page = shop.api.request("GET", f"/s/{code}", headers={"User-Agent": CRAWLER}).body.decode()
    address = f"/s/{code}/card/{item['card_version']}.png"
    assert f'<meta property="og:image" content="http://127.0.0.1:8000{address}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    # And that address leads to the card the due work stored, without drawing it again
    answer = shop.api.request("GET", address, headers={"User-Agent": CRAWLER})
    assert answer.status_code == 302 and f"/{item['card_key']}?" in answer.headers["Location"]
    assert build_due_cards(table) == 0  # built once


def test_rejecting_the_review_deletes_its_card(shop, token, storage, table):
    from chalicelib.photos.cards import build_due_cards

    code = submit(shop.api, token, []).json["share"]["code"]
    build_due_cards(table)
    card = table.get(keys.code_key(code))["card_key"]  # the shop's name stands in for a photo
    rid = keys.review_id(shop.shop_id, "o-1", "p-mug")
    assert shop.owner("POST", f"/reviews/{rid}/reject").status_code == 200
    build_due_cards(table)
    assert "card_key" not in table.get(keys.code_key(code))
    assert storage.size_of(card) is None


# --- erasure and export -------------------------------------------------------------------------------
def redact(shop: ReviewShop, customer_id: str = "c-1") -> Any:
    from tests import signers

    payload = {"type": "customer.redact", "timestamp": "2026-11-20T10:00:00Z", "data": {"customer_id": customer_id}}
    raw = json.dumps(payload).encode()
    headers = signers.standard_headers(shop.shop["webhook_secret"], raw)
    return shop.api.request("POST", f"/webhooks/generic/{shop.shop_id}", raw=raw, headers=headers)


def test_the_data_export_lists_photos_and_erasure_deletes_them_and_the_card(shop, token, storage, table):
    from chalicelib.photos.cards import build_due_cards

    # Given a happy review with a processed photo, a photo uploaded but never attached, and a built card
    attached = upload(shop.api, storage, token, photo_files.jpeg())
    loose = upload(shop.api, storage, token, photo_files.png(), "image/png", product_id="p-cap")
    code = submit(shop.api, token, [attached]).json["share"]["code"]
    process(table)
    build_due_cards(table)
    assert table.get(keys.code_key(code))["card_key"]
    # When the owner exports the customer's data
    export = shop.owner("GET", "/customers/c-1/data").json
    # Then both photos are listed
    assert {p["photo_id"] for p in export["photos"]} == {attached, loose}
    # When the customer is erased
    assert redact(shop).status_code == 200
    # Then no object is left in the bucket, no photo item, and the review and code forget theirs
    assert storage.client.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
    assert shop.owner("GET", "/customers/c-1/data").json["photos"] == []
    review = table.get(keys.review_key(shop.shop_id, keys.review_id(shop.shop_id, "o-1", "p-mug")))
    assert "photo_ids" not in review and "card_key" not in table.get(keys.code_key(code))
    listing = shop.api.request("GET", f"/shops/{shop.shop_id}/products/p-mug/reviews").json
    assert listing["reviews"][0]["photos"] == []


def test_the_console_shows_a_pending_reviews_photos_and_hides_one(shop, token, storage, table):
    import re
    from urllib.parse import urlencode

    # Given a pending review with a processed photo, and the owner signed in to the console
    photo_id = upload(shop.api, storage, token, photo_files.jpeg())
    rid = submit(shop.api, token, [photo_id], rating=2).json["review_id"]
    process(table)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    signed = shop.api.request(
        "POST",
        f"/shops/{shop.shop_id}/dashboard/session",
        raw=urlencode({"api_key": shop.api_key}).encode(),
        headers=form,
    )
    header = signed.headers["Set-Cookie"]
    cookie = (header[0] if isinstance(header, list) else header).split(";")[0]
    # When the console opens
    page = shop.api.request("GET", f"/shops/{shop.shop_id}/dashboard", headers={"Cookie": cookie})
    html = page.body.decode()
    # Then the queue shows the photo's thumbnail, which its CSP lets load, and a button to hide it
    assert 'alt="Photo 1"' in html and "Hide photo 1" in html
    assert f"https://{BUCKET}.s3.amazonaws.com" in page.headers["Content-Security-Policy"]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)
    hide = urlencode({"csrf": csrf, "photo_id": photo_id}).encode()
    path = f"/shops/{shop.shop_id}/dashboard/forms/reviews/{rid}/hide-photo"
    assert shop.api.request("POST", path, raw=hide, headers={**form, "Cookie": cookie}).status_code == 303
    # And the photo is hidden; the console offers to show it again
    assert table.get(keys.photo_key(shop.shop_id, rid, photo_id))["hidden"] is True
    html = shop.api.request("GET", f"/shops/{shop.shop_id}/dashboard", headers={"Cookie": cookie}).body.decode()
    assert "Show photo 1" in html


def test_without_a_buyer_photo_the_card_shows_the_products_own_picture(api, outbox, storage, table):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from chalicelib.photos.cards import PANEL, build_due_cards

    picture = photo_files.png(800, 800)

    class ProductPage(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(picture)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), ProductPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # Given a product whose picture is on the shop's site (here on loopback, which a local run may fetch)
        shop = ReviewShop(api, outbox)
        shop.fulfilled_order()
        url = f"http://127.0.0.1:{server.server_address[1]}/mug.png"
        table.put(
            {**keys.product_key(shop.shop_id, "p-mug"), "type": "product", "product_id": "p-mug", "image_url": url}
        )
        token = review_token(shop.shop_id, "o-1", ["p-mug", "p-cap"])
        # When a happy review without photos gets its card
        code = submit(shop.api, token, []).json["share"]["code"]
        assert build_due_cards(table) == 1
    finally:
        server.shutdown()
    # Then the card's left part is the product's picture, not the plain panel with the shop's name
    card = storage.read(table.get(keys.code_key(code))["card_key"])
    with Image.open(io.BytesIO(card)) as image:
        left = image.convert("RGB").getpixel((300, 315))
    assert left != PANEL and abs(left[2] - 160) < 12 and abs(left[0] - 30) < 12


def test_a_local_run_never_looks_beyond_loopback_for_a_product_picture(table, monkeypatch):
    from chalicelib import safe_http
    from chalicelib.photos import cards

    asked: list[str] = []
    monkeypatch.setattr(safe_http, "resolve_destination", lambda url, loopback=False: asked.append(url))
    table.put(
        {
            **keys.product_key("s", "p"),
            "type": "product",
            "product_id": "p",
            "image_url": "https://shop.example.com/p.jpg",
        }
    )
    assert cards._product_picture(table, {"shop_id": "s", "product_id": "p"}) is None
    assert asked == []  # no name was even looked up


def test_a_product_picture_is_never_fetched_from_a_private_address():
    from chalicelib.safe_http import fetch_public

    assert fetch_public("https://10.0.0.8/mug.png", 1000) is None
    assert fetch_public("http://169.254.169.254/latest/meta-data/", 1000, allow_loopback=True) is None


def test_the_uploads_queue_processes_a_photo_as_soon_as_s3_stores_it(shop, token, storage, table):
    from chalice.test import Client

    import app

    # Given a photo stored by its presigned POST, and S3's object-created notification of it
    photo_id = upload(shop.api, storage, token, photo_files.jpeg())
    rid = keys.review_id(shop.shop_id, "o-1", "p-mug")
    key = table.get(keys.photo_key(shop.shop_id, rid, photo_id))["upload_key"]
    created = {"eventName": "ObjectCreated:Post", "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}}}
    notification = json.dumps({"Records": [created]})
    test_event = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET})
    with Client(app.app) as client:
        # When the queue's function receives it (and, later, the same message again, and S3's test message)
        event = client.events.generate_sqs_event(message_bodies=[notification], queue_name="uploads")
        first = client.lambda_.invoke("process_uploads", event).payload
        again = client.lambda_.invoke("process_uploads", event).payload
        tested = client.lambda_.invoke(
            "process_uploads", client.events.generate_sqs_event(message_bodies=[test_event], queue_name="uploads")
        ).payload
    # Then the photo is ready at once, once
    assert (first, again, tested) == ({"processed": 1}, {"processed": 0}, {"processed": 0})
    assert states(shop.api, token)[photo_id]["status"] == "ready"
    assert process(table) == 0  # nothing left for the due work


# --- the due work keeps moving ------------------------------------------------------------------------
def test_upload_slots_never_filled_do_not_hold_back_a_photo_that_arrived(shop, token, storage, table, monkeypatch):
    from chalicelib.photos import service

    monkeypatch.setattr(service, "DUE_PAGE", 3)  # a due page is 25 in production: 3 slots stand for a page
    # Given three upload slots asked for first and never filled, then a photo that did arrive
    from datetime import timedelta

    from chalicelib import clock

    abandoned = [ask(shop.api, token).json["photo_id"] for _ in range(3)]
    clock.run_from(clock.now() + timedelta(seconds=2))  # the due page is in order of creation, to the second
    try:
        arrived = upload(shop.api, storage, token, photo_files.jpeg(), product_id="p-cap")
        # When the due work runs twice
        first, second = process(table), process(table)
    finally:
        clock.run_from(None)
    # Then the second run reached the photo: the first put the empty slots off, behind what is due now
    assert (first, second) == (0, 1)
    assert states(shop.api, token)[arrived]["status"] == "ready"
    assert {states(shop.api, token)[p]["status"] for p in abandoned} == {"processing"}


def test_a_slot_filled_after_it_was_put_off_is_processed_and_an_empty_one_expires(shop, token, storage, table):
    from datetime import timedelta

    from chalicelib import clock

    answer = ask(shop.api, token).json
    never = ask(shop.api, token).json["photo_id"]
    asked_at = clock.now()
    assert process(table) == 0  # both put off a minute
    for photo_id in (answer["photo_id"], never):
        item = table.get(keys.photo_key(shop.shop_id, keys.review_id(shop.shop_id, "o-1", "p-mug"), photo_id))
        assert clock.parse(item[keys.GSI1SK].split("#")[0]) - asked_at >= timedelta(seconds=59)
    fields = answer["upload"]["fields"]
    storage.client.put_object(Bucket=BUCKET, Key=fields["key"], Body=photo_files.jpeg(), ContentType="image/jpeg")
    assert process(table) == 0  # the file is there, but the slot is not due again yet
    clock.run_from(clock.now() + timedelta(minutes=2))
    try:
        assert process(table) == 1  # the file arrived: processed on the next run
        assert states(shop.api, token)[never]["status"] == "processing"
        clock.run_from(clock.now() + timedelta(hours=1))
        assert process(table) == 1  # the other's hour is over: given up
    finally:
        clock.run_from(None)
    assert states(shop.api, token)[answer["photo_id"]]["status"] == "ready"
    assert states(shop.api, token)[never]["reason_code"] == "not_uploaded"


def test_a_card_that_keeps_failing_is_put_off_and_does_not_hold_back_the_others(
    shop, api, token, storage, table, monkeypatch
):
    from datetime import timedelta

    from chalicelib import clock
    from chalicelib.photos import cards

    # Given two buyers' happy reviews, each with a share link whose card is due
    first = submit(shop.api, token, []).json["share"]["code"]
    shop.fulfilled_order("o-2", customer_id="c-2")
    second = submit(shop.api, review_token(shop.shop_id, "o-2", ["p-mug"]), []).json["share"]["code"]
    monkeypatch.setattr(cards, "DUE_PAGE", 1)  # one card a run, so the first stands at the front
    real = cards.build_card

    def failing_for_first(table: Any, storage: Any, code: dict[str, Any]) -> Any:
        if code["code"] == first:
            raise OSError("storage refused the card")
        return real(table, storage, code)

    monkeypatch.setattr(cards, "build_card", failing_for_first)
    # When the due work runs twice
    assert cards.build_due_cards(table) == 0  # the first failed: put off five minutes
    assert table.get(keys.code_key(first))["card_failures"] == 1
    assert cards.build_due_cards(table) == 1  # so the second is built, not the first tried again
    assert "card_key" in table.get(keys.code_key(second))
    assert cards.build_due_cards(table) == 0  # nothing else is due yet
    # And once its time comes it is tried again, put off twice as long if it fails again, built when it can be
    clock.run_from(clock.now() + timedelta(minutes=6))
    try:
        assert cards.build_due_cards(table) == 0
        assert table.get(keys.code_key(first))["card_failures"] == 2
        clock.run_from(clock.now() + timedelta(minutes=6))
        assert cards.build_due_cards(table) == 0  # ten minutes this time: not tried yet
        assert table.get(keys.code_key(first))["card_failures"] == 2
        monkeypatch.setattr(cards, "build_card", real)
        clock.run_from(clock.now() + timedelta(minutes=6))
        assert cards.build_due_cards(table) == 1
    finally:
        clock.run_from(None)
    built = table.get(keys.code_key(first))
    assert "card_key" in built and "card_failures" not in built and keys.GSI1PK not in built


def test_a_card_failing_again_and_again_waits_at_most_six_hours_and_a_new_mark_starts_afresh(
    shop, token, table, monkeypatch
):
    from datetime import timedelta

    from chalicelib import clock
    from chalicelib.photos import cards

    code = submit(shop.api, token, []).json["share"]["code"]
    table.update(keys.code_key(code), "SET card_failures = :n", values={":n": 12})
    monkeypatch.setattr(cards, "build_card", lambda *_: (_ for _ in ()).throw(OSError("storage refused")))
    before = clock.now()
    assert cards.build_due_cards(table) == 0
    item = table.get(keys.code_key(code))
    assert item["card_failures"] == 13
    wait = clock.parse(item[keys.GSI1SK].split("#")[0]) - before
    assert timedelta(hours=6) <= wait < timedelta(hours=6, seconds=5)
    # A change of the review marks the card again: due now, with a fresh run of retries
    from chalicelib.photos.service import mark_card_due

    mark_card_due(table, shop.shop_id, "c-1", keys.review_id(shop.shop_id, "o-1", "p-mug"))
    item = table.get(keys.code_key(code))
    assert "card_failures" not in item and clock.parse(item[keys.GSI1SK].split("#")[0]) <= clock.now()


def test_a_photo_whose_processing_fails_is_put_off_and_the_run_goes_on(shop, token, storage, table, monkeypatch):
    from datetime import timedelta

    from chalicelib import clock
    from chalicelib.photos import service

    failing = upload(shop.api, storage, token, photo_files.jpeg())
    clock.run_from(clock.now() + timedelta(seconds=2))
    try:
        fine = upload(shop.api, storage, token, photo_files.jpeg(), product_id="p-cap")
        real = service.process_photo

        def broken_for_one(table: Any, store: Any, item: dict[str, Any], now: str) -> str:
            if item["photo_id"] == failing:
                raise OSError("storage did not answer")
            return real(table, store, item, now)

        monkeypatch.setattr(service, "process_photo", broken_for_one)
        monkeypatch.setattr(service, "DUE_PAGE", 1)
        assert process(table) == 0  # the first failed and was put off
        assert process(table) == 1  # so the next run reaches the other
        assert states(shop.api, token)[fine]["status"] == "ready"
        monkeypatch.setattr(service, "process_photo", real)
        clock.run_from(clock.now() + timedelta(minutes=2))
        assert process(table) == 1  # and the first is processed once storage answers
    finally:
        clock.run_from(None)
    assert states(shop.api, token)[failing]["status"] == "ready"


def test_a_card_built_while_the_customer_is_erased_is_not_kept(shop, token, storage, table, monkeypatch):
    from chalicelib.photos import cards

    # Given a happy review with a processed photo, whose card the due work is building
    photo_id = upload(shop.api, storage, token, photo_files.jpeg())
    code = submit(shop.api, token, [photo_id]).json["share"]["code"]
    process(table)
    real = cards.build_card

    def erased_meanwhile(table: Any, storage: Any, item: dict[str, Any]) -> Any:
        key = real(table, storage, item)  # the card is drawn from the photo and stored...
        assert redact(shop).status_code == 200  # ...and the customer is erased before it is saved on the code
        return key

    monkeypatch.setattr(cards, "build_card", erased_meanwhile)
    # When that build finishes
    assert cards.build_due_cards(table) == 0
    # Then nothing drawn from the erased photo is left: no object in the bucket, no card on the code, no mark
    assert storage.client.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
    item = table.get(keys.code_key(code))
    assert "card_key" not in item and keys.GSI1PK not in item
    monkeypatch.setattr(cards, "build_card", real)
    assert cards.build_due_cards(table) == 0
