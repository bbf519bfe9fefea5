"""Share cards: the 1200x630 PNG a share link's preview shows (og:image), one per review.

The card shows the buyer's photo (else the product's picture, else the shop's name on a plain panel), the
stars, a short quote and the shop's name. Each change of the review (a photo processed or hidden, another
happy review) gives the code a new card version (sharing.codes.card_mark), which names the card's address on
the preview. The card of a version is drawn by whichever comes first: a crawler's first request for that
address (`card_for_request`, the moment the reviewer shares) or the due work (`build_due_cards`). Both store
it under the version's one key (photos.service.card_object_key), so racing draws leave one object (S3 puts are
whole), and it is served from storage with a year's cache; the old card is deleted. A rejected or erased
review loses its card, and a draw that loses a race with a change or an erasure deletes what it stored.
"""

from __future__ import annotations

import hashlib
import io
import math
import textwrap
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.photos.service import CARD_PREFIX, card_object_key
from chalicelib.store import keys
from chalicelib.store import photos as records
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.budget import Budget
    from chalicelib.storage.s3 import Storage
    from chalicelib.store.table import Table

WIDTH, HEIGHT = 1200, 630
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
    """The product's own picture (from the shop's product webhooks), fetched through safe_http
    (public addresses only, no redirects), checked and re-encoded; None when there is none to use."""
    from chalicelib.config import get_settings
    from chalicelib.photos.imaging import reencoded_picture
    from chalicelib.safe_http import fetch_public

    product = table.get(keys.product_key(code["shop_id"], code.get("product_id", "")))
    url = (product or {}).get("image_url")
    if not url:
        return None
    local = get_settings().is_dev
    if local and not _on_loopback(str(url)):
        return None  # a local run (make run, the tests) reaches loopback only: not even a name is looked up
    data = fetch_public(str(url), PRODUCT_PICTURE_BYTES, allow_loopback=local)
    return reencoded_picture(data) if data else None


def _version_key(code: dict[str, Any]) -> str | None:
    """The storage key of the card of the code's version; None for a code marked before cards had versions."""
    version = code.get("card_version")
    return card_object_key(code["shop_id"], code["code"], str(version)) if version else None


def build_card(table: Table, storage: Storage, code: dict[str, Any]) -> str | None:
    """Build (or delete) the card of one code's review; returns its storage key, None when it has none."""
    from chalicelib.store.shop_records import Shop

    if code.get("redacted"):
        return None  # its customer was erased: their card is never drawn again
    found = table.get_many(
        [keys.shop_key(code["shop_id"]), keys.review_key(code["shop_id"], code.get("review_id", ""))], consistent=True
    )
    shop = next((i for i in found if i.get("type") == "shop"), None)
    review = next((i for i in found if i.get("type") == "review"), None)
    if shop is None or review is None or review.get("status") == "rejected" or review.get("redacted"):
        return None
    versioned = _version_key(code)
    if versioned and versioned == code.get("card_key"):
        return versioned  # drawn already, on a crawler's first request for it
    name = Shop.from_item(shop).name
    quote = str(review.get("title") or review.get("body") or "")[:160]
    picture = _first_photo(table, storage, review) or _product_picture(table, code)
    png = render_card(int(review["rating"]), quote, name, picture)
    key = versioned or f"{CARD_PREFIX}{code['shop_id']}/{code['code']}/{hashlib.sha256(png).hexdigest()[:16]}.png"
    if key != code.get("card_key"):
        storage.put(key, png, "image/png")
    return key


@dataclass(frozen=True)
class CardLookup:
    """What a request for one version of a code's card finds: the stored card, or the version to ask for now."""

    key: str | None = None  # the stored card of the version asked for
    version: str | None = None  # else, the code's version now, when it has another and the code has a card


def card_for_request(table: Table, storage: Storage, code: dict[str, Any], version: str) -> CardLookup:
    """The code's card of `version`, drawn and stored on the first request for it. Neither a key nor a version
    when the code has no card: its customer erased, its review rejected."""
    if code.get("card_version") != version:
        # The code may have been read before the change that made this version (the preview was quicker)
        code = table.get(keys.code_key(code["code"]), consistent=True) or {}
    if code.get("redacted") or not code.get("card_version"):
        return CardLookup()
    if code["card_version"] != version:
        return CardLookup(version=str(code["card_version"]))
    key = _version_key(code)
    if key is not None and code.get("card_key") == key:
        return CardLookup(key=key)
    try:
        key = _draw_and_keep(table, storage, code, version)
    except errors.ProofloopError:
        raise
    except Exception as exc:  # drawing or storage failed: the crawler is told to come again
        from chalicelib.observability import logger

        logger.exception("share card not drawn", extra={"code": code["code"]})
        raise errors.RetryLater("the card could not be drawn just now; try again") from exc
    if key is not None:
        return CardLookup(key=key)
    # Not kept: the code lost its card (erased, its review rejected), or changed while it was drawn, and then
    # the new version's card is the one to show
    now = table.get(keys.code_key(code["code"]), consistent=True) or {}
    changed = not now.get("redacted") and now.get("card_version") not in (None, version)
    return CardLookup(version=str(now["card_version"])) if changed else CardLookup()


def _draw_and_keep(table: Table, storage: Storage, code: dict[str, Any], version: str) -> str | None:
    """Draw the card of the code's version, store it, and name it on the code if the code is still at that
    version and not erased; otherwise delete what was stored."""
    from chalicelib.observability import logger

    key = build_card(table, storage, code)
    if key is None:
        # No card to show now (rejected, erased): the preview stops naming one, and the last card goes
        try:
            before = records.drop_card(table, code["code"], version)
        except ConditionFailed:
            return None  # changed meanwhile: the change decides
        last = (before or {}).get("card_key")
        if last:
            storage.delete([str(last)])
        return None
    try:
        # Still this version, and not erased meanwhile (erasure removes the version first, then the card)
        before = records.name_card(table, code["code"], version, key)
    except ConditionFailed:
        storage.delete([key])  # drawn for a version that is no longer the code's: not kept
        return None
    old = (before or {}).get("card_key")
    if old and old != key:
        storage.delete([str(old)])
    logger.info("share card drawn on its first request", extra={"code": code["code"]})
    return key


def _still_the_card(table: Table, code: dict[str, Any], key: str) -> bool:
    """Whether `key` is still the card of the code's version (drawn meanwhile by a crawler's request or another
    run), which a build that lost its mark must not delete."""
    if not code.get("card_version"):
        return False
    now = table.get(keys.code_key(code["code"]), consistent=True) or {}
    return not now.get("redacted") and _version_key(now) == key


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
        try:
            records.card_built(table, code, key)
        except ConditionFailed:
            # Marked again while this one was built (the next run builds the newer one), or erased: what was
            # stored for this build is not kept, unless it is still the card of the code's version.
            if key and key != old and not _still_the_card(table, code, key):
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
    from chalicelib.store.due import Failure

    failures = int(code.get(records.CARD_FAILURES, 0)) + 1
    now = clock.now()
    reason = failure_reason("building the card", failures, exc)
    failure = Failure(failures, reason, clock.iso(now))
    # Either way left alone when marked again meanwhile: the newer mark is due now.
    wait = SHARE_CARDS.wait_after(failures)
    if wait is not None:
        records.put_off_card(table, code, failure, now + wait)
        return
    if records.park_card(table, code, failure, JOB_SHARE_CARDS, clock.stamp(now)):
        counted_parked(JOB_SHARE_CARDS, str(code["shop_id"]), code["code"], reason)
