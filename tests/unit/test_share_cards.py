"""The share card from the first scrape: a link's preview names its card's own address, drawn on the first request.

The reviewer shares from the thank-you page at once, and the networks fetch the preview then and keep it for
days. No due run happens in these tests: the card exists because a crawler asked for it. Storage is moto's S3.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from PIL import Image

from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys
from tests import photo_files
from tests.unit.review_support import ReviewShop

BUCKET = "proofloop-photos-dev"  # the dev stage's, as tests/conftest.py sets it
FACEBOOK = "facebookexternalhit/1.1"
CARD_ADDRESS = re.compile(
    r'<meta property="og:image" content="(http://127\.0\.0\.1:8000/s/[^/"]+/card/[0-9a-f]{16}\.png)">'
)


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


@pytest.fixture
def draws(monkeypatch) -> list[int]:
    """Every card drawn (a rating each), wherever it was asked for."""
    from chalicelib.photos import cards

    drawn: list[int] = []
    real = cards.render_card

    def counted(rating: int, *args: Any, **kwargs: Any) -> bytes:
        drawn.append(rating)
        return real(rating, *args, **kwargs)

    monkeypatch.setattr(cards, "render_card", counted)
    return drawn


def review(api: Any, token: str, photo_ids: list[str] | None = None, product_id: str = "p-mug") -> str:
    """A happy review, as the thank-you page submits it; returns the share code it offers."""
    body = {"token": token, "product_id": product_id, "rating": 5, "title": "Lovely", "body": "Keeps it hot."}
    answer = api.request("POST", "/reviews", {**body, "photo_ids": photo_ids or []})
    assert answer.status_code == 201, answer.body
    return str(answer.json["share"]["code"])


def preview(api: Any, code: str) -> str:
    answer = api.request("GET", f"/s/{code}", headers={"User-Agent": FACEBOOK})
    assert answer.status_code == 200, answer.body
    return str(answer.body.decode())


def card_address(page: str) -> str:
    """The preview's og:image, which must be the card's own address; twitter:image names the same."""
    found = CARD_ADDRESS.search(page)
    assert found, page
    assert f'<meta name="twitter:image" content="{found.group(1)}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    return found.group(1)


def fetch_card(api: Any, address: str) -> Any:
    """The crawler fetches og:image through the API."""
    return api.request("GET", urlsplit(address).path, headers={"User-Agent": FACEBOOK})


def stored_key(answer: Any) -> str:
    """The object a card's redirect leads to (a presigned GET of the bucket)."""
    assert answer.status_code == 302, answer.body
    location = urlsplit(answer.headers["Location"])
    assert location.hostname == f"{BUCKET}.s3.amazonaws.com" and "X-Amz-Signature=" in location.query
    return unquote(location.path.lstrip("/"))


def card_png(storage: Any, answer: Any) -> bytes:
    png: bytes = storage.read(stored_key(answer))
    return png


def stored_cards(storage: Any) -> list[str]:
    listing = storage.client.list_objects_v2(Bucket=BUCKET, Prefix="cards/")
    return [o["Key"] for o in listing.get("Contents", [])]


def redact(shop: ReviewShop, customer_id: str = "c-1") -> Any:
    from tests import signers

    payload = {"type": "customer.redact", "timestamp": "2026-11-20T10:00:00Z", "data": {"customer_id": customer_id}}
    raw = json.dumps(payload).encode()
    headers = signers.standard_headers(shop.shop["webhook_secret"], raw)
    return shop.api.request("POST", f"/webhooks/generic/{shop.shop_id}", raw=raw, headers=headers)


def test_the_first_scrape_after_a_review_gets_its_1200x630_card(shop, token, storage, table, draws):
    # Given a happy review, and no due run since
    code = review(shop.api, token)
    assert keys.GSI1PK in table.get(keys.code_key(code))  # its card is still due: nobody has built it
    # When Facebook's crawler fetches the link's preview at once, then the picture the preview names
    answer = fetch_card(shop.api, card_address(preview(shop.api, code)))
    # Then the picture is the review's card: a 1200x630 PNG, stored with a year's cache
    with Image.open(io.BytesIO(card_png(storage, answer))) as card:
        assert card.format == "PNG" and card.size == (1200, 630)
    head = storage.client.head_object(Bucket=BUCKET, Key=stored_key(answer))
    assert head["ContentType"] == "image/png" and "max-age=31536000" in head["CacheControl"]
    assert draws == [5]


def test_a_second_fetch_serves_the_stored_card_without_drawing_it_again(shop, token, storage, table, draws):
    # Given a card drawn by a crawler's first fetch
    code = review(shop.api, token)
    address = card_address(preview(shop.api, code))
    first = stored_key(fetch_card(shop.api, address))
    # When another network's crawler fetches the same preview and picture
    again = stored_key(fetch_card(shop.api, card_address(preview(shop.api, code))))
    # Then it is led to the same stored card, drawn once, and the due work keeps it as it is
    from chalicelib.photos.cards import build_due_cards

    assert again == first and draws == [5] and stored_cards(storage) == [first]
    assert build_due_cards(table) == 1 and draws == [5]
    assert stored_key(fetch_card(shop.api, address)) == first and stored_cards(storage) == [first]


def test_a_card_the_due_work_built_first_is_served_without_drawing(shop, token, storage, table, draws):
    from chalicelib.photos.cards import build_due_cards

    # Given a review whose card the due work built before any crawler came
    code = review(shop.api, token)
    assert build_due_cards(table) == 1 and draws == [5]
    # When a crawler fetches the preview's picture
    key = stored_key(fetch_card(shop.api, card_address(preview(shop.api, code))))
    # Then it gets that card, and nothing is drawn again
    assert key == table.get(keys.code_key(code))["card_key"] and draws == [5] and stored_cards(storage) == [key]


def test_a_photo_processed_after_the_first_scrape_makes_a_new_card_at_a_new_address(shop, token, storage, table):
    from chalicelib.photos.cards import PANEL
    from tests.unit.test_photos import process, upload

    # Given a review whose photo was still being processed when the first crawler drew its card
    photo_id = upload(shop.api, storage, token, photo_files.jpeg())
    code = review(shop.api, token, [photo_id])
    before = card_address(preview(shop.api, code))
    first = stored_key(fetch_card(shop.api, before))
    # When the photo is ready
    assert process(table) == 1
    # Then the preview names a new address, whose card shows the photo, and the old card is gone
    after = card_address(preview(shop.api, code))
    assert after != before
    answer = fetch_card(shop.api, after)
    with Image.open(io.BytesIO(card_png(storage, answer))) as card:
        assert card.size == (1200, 630) and card.convert("RGB").getpixel((200, 315)) != PANEL
    assert stored_cards(storage) == [stored_key(answer)] and first not in stored_cards(storage)
    # And a preview cached with the old address is led to the new card
    moved = fetch_card(shop.api, before)
    assert moved.status_code == 302 and moved.headers["Location"] == after


def test_another_happy_review_makes_a_new_card_at_a_new_address(shop, token, storage, table, draws):
    # Given the card of a first happy review, drawn by a crawler
    code = review(shop.api, token)
    before = card_address(preview(shop.api, code))
    stored_key(fetch_card(shop.api, before))
    # When the buyer reviews another item of the order (the share link now shows that review)
    assert review(shop.api, token, product_id="p-cap") == code
    # Then the preview names a new card, drawn from the new review on its first request
    after = card_address(preview(shop.api, code))
    assert after != before
    stored_key(fetch_card(shop.api, after))
    assert draws == [5, 5] and len(stored_cards(storage)) == 1


def test_an_erased_customers_card_is_deleted_and_refused(shop, token, storage, table, draws):
    # Given a card drawn by a crawler
    code = review(shop.api, token)
    address = card_address(preview(shop.api, code))
    stored_key(fetch_card(shop.api, address))
    # When the customer is erased
    assert redact(shop).status_code == 200
    # Then the card is gone from the bucket, its address is refused, and the preview names no card any more
    assert stored_cards(storage) == []
    refused = fetch_card(shop.api, address)
    assert refused.status_code == 404 and refused.json["error"]["code"] == "no_card"
    assert "/card/" not in preview(shop.api, code)
    assert draws == [5] and stored_cards(storage) == []


def test_a_card_drawn_while_the_customer_is_erased_is_not_kept(shop, token, storage, table, monkeypatch):
    from chalicelib.photos import cards

    # Given a review with a processed photo, whose card a crawler's first fetch is drawing
    from tests.unit.test_photos import process, upload

    photo_id = upload(shop.api, storage, token, photo_files.jpeg())
    code = review(shop.api, token, [photo_id])
    process(table)
    address = card_address(preview(shop.api, code))
    real = cards.render_card

    def erased_meanwhile(*args: Any, **kwargs: Any) -> bytes:
        png = real(*args, **kwargs)  # the card is drawn from the photo...
        assert redact(shop).status_code == 200  # ...and the customer is erased before it is stored and named
        return png

    monkeypatch.setattr(cards, "render_card", erased_meanwhile)
    # When that fetch finishes
    answer = fetch_card(shop.api, address)
    # Then it is refused, and nothing drawn from the erased photo is left: no object, no card on the code
    assert answer.status_code == 404 and answer.json["error"]["code"] == "no_card"
    assert storage.client.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
    item = table.get(keys.code_key(code))
    assert "card_key" not in item and "card_version" not in item


def test_two_first_fetches_at_once_leave_one_whole_card(shop, token, storage, table, monkeypatch):
    from chalicelib.photos import cards

    # Given a review, and two crawlers whose first fetches of its card overlap
    code = review(shop.api, token)
    address = card_address(preview(shop.api, code))
    real = cards.render_card
    overlapping: list[Any] = []

    def second_crawler_meanwhile(*args: Any, **kwargs: Any) -> bytes:
        if not overlapping:
            overlapping.append(None)
            overlapping[0] = fetch_card(shop.api, address)  # the second arrives while the first draws
        return real(*args, **kwargs)

    monkeypatch.setattr(cards, "render_card", second_crawler_meanwhile)
    # When both finish
    first = fetch_card(shop.api, address)
    # Then both lead to the one stored card, a whole PNG, and the code names it
    assert stored_key(first) == stored_key(overlapping[0])
    assert stored_cards(storage) == [stored_key(first)] == [table.get(keys.code_key(code))["card_key"]]
    with Image.open(io.BytesIO(card_png(storage, first))) as card:
        card.load()
        assert card.size == (1200, 630)


def test_a_rejected_reviews_card_is_refused_and_deleted(shop, token, storage, table):
    # Given a card drawn by a crawler
    code = review(shop.api, token)
    stored_key(fetch_card(shop.api, card_address(preview(shop.api, code))))
    # When the owner rejects the review
    rid = keys.review_id(shop.shop_id, "o-1", "p-mug")
    assert shop.owner("POST", f"/reviews/{rid}/reject").status_code == 200
    # Then its card's address is refused and the card deleted, and the preview names no card any more
    refused = fetch_card(shop.api, card_address(preview(shop.api, code)))
    assert refused.status_code == 404 and refused.json["error"]["code"] == "no_card"
    assert stored_cards(storage) == [] and "/card/" not in preview(shop.api, code)


def test_a_card_that_cannot_be_drawn_now_is_a_503_and_the_next_fetch_draws_it(shop, token, storage, monkeypatch):
    from chalicelib.photos import cards

    # Given a review, and storage that refuses the first card
    code = review(shop.api, token)
    address = card_address(preview(shop.api, code))
    real = cards.render_card
    monkeypatch.setattr(cards, "render_card", lambda *_, **__: (_ for _ in ()).throw(OSError("storage refused")))
    # When a crawler fetches the card, then fetches it again once storage answers
    failed = fetch_card(shop.api, address)
    monkeypatch.setattr(cards, "render_card", real)
    again = fetch_card(shop.api, address)
    # Then the first is told to retry (nothing stored), and the second gets the card
    assert failed.status_code == 503 and failed.json["error"]["code"] == "retry_later"
    assert stored_cards(storage) == [stored_key(again)]


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/s/pl-AAAAAAAAA/card/0123456789abcdef.png", "unknown_code"),  # a code that could exist, but does not
        ("/s/not-a-code/card/0123456789abcdef.png", "unknown_code"),
        ("/s/{code}/card/..%2F..%2Fphotos.png", "unknown_card"),
        ("/s/{code}/card/0123456789ABCDEF.png", "unknown_card"),
        ("/s/{code}/card/0123456789abcdef.jpg", "unknown_card"),
    ],
)
def test_an_unknown_code_or_card_is_a_json_404(shop, token, storage, draws, path, error):
    code = review(shop.api, token)
    answer = shop.api.request("GET", path.format(code=code), headers={"User-Agent": FACEBOOK})
    assert answer.status_code == 404 and answer.json["error"]["code"] == error
    assert draws == [] and stored_cards(storage) == []
