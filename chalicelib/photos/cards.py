"""Share cards: the 1200x630 PNG a share link's preview shows (og:image), one per review, built by the due work.

The card shows the buyer's photo (else the shop's name on a plain panel), the stars, a short quote and
the shop's name. It is stored once under a key of its own content and served from storage with a year's
cache; a change of the review (a photo processed or hidden, another happy review) builds a new one and
deletes the old; a rejected or erased review loses its card.
"""

from __future__ import annotations

import hashlib
import io
import math
import textwrap
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.budget import Budget
    from chalicelib.storage.s3 import Storage
    from chalicelib.store.table import Table

WIDTH, HEIGHT = 1200, 630
CARD_PREFIX = "cards/"
INK = (28, 28, 30)
MUTED = (95, 99, 104)
GOLD = (245, 166, 35)
PAPER = (255, 255, 255)
PANEL = (36, 52, 71)
DUE_PAGE = 20
RETRY_AFTER = timedelta(minutes=5)  # a card that failed is tried again after this, doubled each time
RETRY_AT_MOST = timedelta(hours=6)


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * 0.45
    return [
        (
            cx + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
            cy - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]


def render_card(rating: int, quote: str, shop_name: str, photo: bytes | None = None) -> bytes:
    """The card as PNG bytes. `photo` is a display JPEG of our own re-encoding, never bytes from outside."""
    from PIL import Image, ImageDraw, ImageFont, ImageOps

    card = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(card)
    left = 0
    if photo:
        with Image.open(io.BytesIO(photo)) as picture:
            fitted = ImageOps.fit(picture.convert("RGB"), (HEIGHT, HEIGHT), Image.Resampling.LANCZOS)
        card.paste(fitted, (0, 0))
        left = HEIGHT
    else:
        draw.rectangle((0, 0, 420, HEIGHT), fill=PANEL)
        name_font = ImageFont.load_default(size=44)
        lines = textwrap.wrap(shop_name, 14)[:4] or [""]
        y = HEIGHT / 2 - len(lines) * 27
        for line in lines:
            draw.text((210, y), line, font=name_font, fill=PAPER, anchor="ma")
            y += 54
        left = 420
    x = left + 50
    for i in range(5):
        draw.polygon(_star(x + 28 + i * 64, 110, 28), fill=GOLD if i < rating else (220, 220, 220))
    quote_font = ImageFont.load_default(size=38 if left == HEIGHT else 42)
    width_chars = 24 if left == HEIGHT else 30
    lines = textwrap.wrap(f"“{quote.strip()}”", width_chars)
    if len(lines) > 6:
        lines = [*lines[:5], lines[5].rstrip(" .,;") + "…"]
    y = 180
    for line in lines:
        draw.text((x, y), line, font=quote_font, fill=INK)
        y += 52
    draw.text((x, HEIGHT - 70), shop_name[:40], font=ImageFont.load_default(size=30), fill=MUTED)
    out = io.BytesIO()
    card.save(out, "PNG", compress_level=6)
    return out.getvalue()


def _first_photo(table: Table, storage: Storage, review: dict[str, Any]) -> bytes | None:
    from chalicelib.photos.service import review_photos

    if not review.get("photo_ids"):
        return None
    items = {i["photo_id"]: i for i in review_photos(table, review["shop_id"], review["review_id"])}
    for photo_id in review["photo_ids"]:
        item = items.get(photo_id)
        if item and item.get("status") == "ready" and not item.get("hidden"):
            return storage.read(item["display_key"])
    return None


PRODUCT_PICTURE_BYTES = 10 * 1024 * 1024


def _on_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def _product_picture(table: Table, code: dict[str, Any]) -> bytes | None:
    """The product's own picture (from the shop's product webhooks), fetched as an outbound delivery is
    (public addresses only, no redirects), checked and re-encoded; None when there is none to use."""
    from chalicelib.config import get_settings
    from chalicelib.outbound import fetch_public
    from chalicelib.photos.imaging import reencoded_picture

    product = table.get(keys.product_key(code["shop_id"], code.get("product_id", "")))
    url = (product or {}).get("image_url")
    if not url:
        return None
    local = get_settings().is_dev
    if local and not _on_loopback(str(url)):
        return None  # a local run (make run, the tests) reaches loopback only: not even a name is looked up
    data = fetch_public(str(url), PRODUCT_PICTURE_BYTES, allow_loopback=local)
    return reencoded_picture(data) if data else None


def build_card(table: Table, storage: Storage, code: dict[str, Any]) -> str | None:
    """Build (or delete) the card of one code's review; returns its storage key, None when it has none."""
    from chalicelib.store.shop_records import Shop

    found = table.get_many(
        [keys.shop_key(code["shop_id"]), keys.review_key(code["shop_id"], code.get("review_id", ""))], consistent=True
    )
    shop = next((i for i in found if i.get("type") == "shop"), None)
    review = next((i for i in found if i.get("type") == "review"), None)
    if shop is None or review is None or review.get("status") == "rejected" or review.get("redacted"):
        return None
    name = Shop.from_item(shop).name
    quote = str(review.get("title") or review.get("body") or "")[:160]
    picture = _first_photo(table, storage, review) or _product_picture(table, code)
    png = render_card(int(review["rating"]), quote, name, picture)
    key = f"{CARD_PREFIX}{code['shop_id']}/{code['code']}/{hashlib.sha256(png).hexdigest()[:16]}.png"
    if key != code.get("card_key"):
        storage.put(key, png, "image/png")
    return key


def build_due_cards(table: Table, budget: Budget | None = None, storage: Storage | None = None) -> int:
    """The due work's card job: each code marked since its card was last built."""
    # Due now: a card that failed is put off until its retry time (its mark's stamp), behind the others
    items, _ = table.query(
        keys.CARD_DUE_PARTITION, index=keys.GSI1, sk_between=("0", clock.stamp() + "~"), limit=DUE_PAGE
    )
    if not items:
        return 0
    if storage is None:
        from chalicelib.storage.s3 import get_storage

        storage = get_storage()
    done = 0
    for marked in items:
        if budget is not None and budget.spent():
            break
        code = table.get(keys.code_key(marked["code"]), consistent=True)
        if code is None:
            continue
        try:
            key = build_card(table, storage, code)
        except Exception as exc:  # noqa: BLE001 - storage failed: the code stays due, the next run tries again
            from chalicelib.observability import logger

            logger.exception("share card not built", extra={"code": code["code"]})
            _retry_later(table, code, exc)
            continue
        old = code.get("card_key")
        expression = (
            "SET card_key = :k REMOVE GSI1PK, GSI1SK, card_failures"
            if key
            else "REMOVE card_key, GSI1PK, GSI1SK, card_failures"
        )
        values: dict[str, Any] = {":seen": code.get(keys.GSI1SK, "")}
        if key:
            values[":k"] = key
        try:
            table.update(keys.code_key(code["code"]), expression, values=values, condition="GSI1SK = :seen")
        except ConditionFailed:
            # Marked again while this one was built (the next run builds the newer one), or erased: what was
            # stored for this build is not kept.
            if key and key != old:
                storage.delete([key])
            continue
        if old and old != key:
            storage.delete([old])
        done += 1
    return done


def _retry_later(table: Table, code: dict[str, Any], exc: Exception | None = None) -> None:
    """Put a card that failed off, 5 minutes then twice as long each time up to 6 hours, so that a card that
    keeps failing never holds the front of the due page; at the last attempt of its backoff it is parked for
    the owner (a new mark of its review starts a fresh run)."""
    from chalicelib.backoff import SHARE_CARDS
    from chalicelib.parked import JOB_SHARE_CARDS, counted_parked, failure_reason
    from chalicelib.store.due import Failure, apply, moved, park, put_off

    failures = int(code.get("card_failures", 0)) + 1
    now = clock.now()
    reason = failure_reason("building the card", failures, exc)
    failure = Failure(failures, reason, clock.iso(now))
    change = moved({}, code.get(keys.GSI1SK, ""))  # marked again meanwhile: the newer mark is due now, left alone
    wait = SHARE_CARDS.wait_after(failures)
    if wait is not None:
        put_off(change, keys.card_due_keys(code["code"], now + wait), failure, attempts_name="card_failures")
        apply(table, keys.code_key(code["code"]), change, {"code": code["code"]})
        return
    park(change, str(code["shop_id"]), JOB_SHARE_CARDS, code["code"], failure, clock.stamp(now), "card_failures")
    if apply(table, keys.code_key(code["code"]), change, {"code": code["code"]}):
        counted_parked(JOB_SHARE_CARDS, str(code["shop_id"]), code["code"], reason)
