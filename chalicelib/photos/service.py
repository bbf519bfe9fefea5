"""Photos of a review: the presigned upload, their states, attaching them, processing, display, hiding.

Pillow is never imported here: only `process_due_photos` loads chalicelib.photos.imaging, in the due work.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.store import keys
from chalicelib.store import photos as records

if TYPE_CHECKING:
    from chalicelib.budget import Budget
    from chalicelib.storage.s3 import Storage
    from chalicelib.store.table import Table

MAX_PHOTOS = 5  # per review
MAX_UPLOADS = 12  # per review, refused ones included: a bound on what one link can make us process
MAX_BYTES = 10 * 1024 * 1024
UPLOAD_PREFIX = "uploads/"  # originals: private, deleted once processed (and by the bucket's 1-day lifecycle rule)
PHOTO_PREFIX = "photos/"  # re-encoded display images and thumbnails
CARD_PREFIX = "cards/"  # share cards (chalicelib/photos/cards.py)
# An upload that never arrived is given up after this long (its presigned POST expired long before).
UPLOAD_GRACE = timedelta(hours=1)
RECHECK_AFTER = timedelta(minutes=1)  # an upload not there yet is looked at again on a later run
# Processed photos never attached to a review are deleted after this long.
UNATTACHED_DAYS = 1
DUE_PAGE = 25


def _storage() -> Storage:
    from chalicelib.storage.s3 import get_storage

    return get_storage()


def new_photo_id() -> str:
    return "ph_" + secrets.token_hex(10)


def upload_key(shop_id: str, rid: str, photo_id: str) -> str:
    return f"{UPLOAD_PREFIX}{shop_id}/{rid}/{photo_id}"


def review_photos(table: Table, shop_id: str, rid: str) -> list[dict[str, Any]]:
    items, _ = table.query(
        keys.shop_partition(shop_id), sk_prefix=keys.review_photos_prefix(rid), limit=MAX_UPLOADS + 1, consistent=True
    )
    return items


def request_upload(
    table: Table, shop_id: str, order: dict[str, Any], product_id: str, content_type: str, size: int
) -> dict[str, Any]:
    """A photo id and the presigned POST that can store exactly its file; the review may not exist yet."""
    if size > MAX_BYTES:
        raise errors.PayloadTooLarge("a photo may be at most 10 MB", code="photo_too_large")
    rid = keys.review_id(shop_id, order["order_id"], product_id)
    if table.get(keys.review_key(shop_id, rid), consistent=True):
        raise errors.Conflict("this item is reviewed already; photos go with the review", code="review_exists")
    existing = review_photos(table, shop_id, rid)
    if len(existing) >= MAX_UPLOADS or sum(p.get("status") != "refused" for p in existing) >= MAX_PHOTOS:
        raise errors.Conflict(f"a review takes at most {MAX_PHOTOS} photos", code="too_many_photos")
    photo_id = new_photo_id()
    now = clock.iso()
    key = upload_key(shop_id, rid, photo_id)
    # The buyer's record names the reviews they uploaded photos for: erasure and data requests start there.
    records.remember_photo_review(table, shop_id, order["customer_id"], rid)
    upload = records.Upload(
        shop_id=shop_id,
        review_id=rid,
        photo_id=photo_id,
        order_id=order["order_id"],
        product_id=product_id,
        customer_id=order["customer_id"],
        content_type=content_type,
        declared_size=size,
        upload_key=key,
        created_at=now,
    )
    records.add_upload(table, upload)
    post = _storage().presigned_post(key, content_type, MAX_BYTES)
    return {
        "photo_id": photo_id,
        "status": "processing",
        "upload": {"url": post.url, "fields": post.fields},
        "max_bytes": MAX_BYTES,
    }


def photo_state(item: dict[str, Any], storage: Storage | None = None) -> dict[str, Any]:
    """What the buyer is told of one photo: processing, ready (with its thumbnail) or refused, and why."""
    status = item.get("status")
    state: dict[str, Any] = {
        "photo_id": item["photo_id"],
        "product_id": item["product_id"],
        "status": "ready" if status == "ready" else "refused" if status == "refused" else "processing",
    }
    if status == "refused":
        state["reason"] = item.get("reason")
        state["reason_code"] = item.get("reason_code")
    if status == "ready":
        state["thumbnail_url"] = (storage or _storage()).public_url(item["thumb_key"])
        state["width"], state["height"] = int(item["width"]), int(item["height"])
    return state


def order_photo_states(table: Table, shop_id: str, order_id: str, product_ids: tuple[str, ...]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for product_id in product_ids:
        found += review_photos(table, shop_id, keys.review_id(shop_id, order_id, product_id))
    return [photo_state(i) for i in sorted(found, key=lambda i: i["created_at"])]


def states_of(table: Table, shop_id: str, rid: str, photo_ids: list[str]) -> list[dict[str, Any]]:
    """The states of a review's photos, in its order."""
    if not photo_ids:
        return []
    found = {i["photo_id"]: i for i in table.get_many([keys.photo_key(shop_id, rid, p) for p in photo_ids])}
    return [photo_state(found[p]) for p in photo_ids if p in found]


def photos_to_attach(table: Table, shop_id: str, rid: str, photo_ids: list[str]) -> list[dict[str, Any]]:
    """The photos a submission names, each one of this review's own and not refused; else a 422."""
    if len(set(photo_ids)) != len(photo_ids):
        raise errors.ValidationFailed("a photo is named twice", code="duplicate_photo")
    if len(photo_ids) > MAX_PHOTOS:
        raise errors.ValidationFailed(f"a review takes at most {MAX_PHOTOS} photos", code="too_many_photos")
    found = {
        i["photo_id"]: i for i in table.get_many([keys.photo_key(shop_id, rid, p) for p in photo_ids], consistent=True)
    }
    for photo_id in photo_ids:
        item = found.get(photo_id)
        if item is None:
            raise errors.ValidationFailed(
                f"photo {photo_id!r} was not uploaded for this review", code="photo_not_found"
            )
        if item.get("status") == "refused":
            raise errors.ValidationFailed(f"photo {photo_id!r} was refused: {item.get('reason')}", code="photo_refused")
    return [found[p] for p in photo_ids]


def attach_ops(table: Table, shop_id: str, rid: str, photo_ids: list[str]) -> list[dict[str, Any]]:
    """Each photo goes with the review, in the review's transaction: refused there if it was refused meanwhile."""
    return [records.attach_op(table, shop_id, rid, p) for p in photo_ids]


def display_photos(
    table: Table, reviews: list[dict[str, Any]], storage: Storage | None = None
) -> dict[str, list[dict[str, Any]]]:
    """review id -> its published photos ({url, thumbnail_url, width, height}), in the order the buyer chose.

    One BatchGetItem for the page, and only when a review on it has photos."""
    wanted = [keys.photo_key(r["shop_id"], r["review_id"], p) for r in reviews for p in (r.get("photo_ids") or [])]
    if not wanted:
        return {}
    store = storage or _storage()
    found = {(i["review_id"], i["photo_id"]): i for i in table.get_many(wanted)}
    shown: dict[str, list[dict[str, Any]]] = {}
    for review in reviews:
        for photo_id in review.get("photo_ids") or []:
            item = found.get((review["review_id"], photo_id))
            if item and item.get("status") == "ready" and not item.get("hidden"):
                shown.setdefault(review["review_id"], []).append(
                    {
                        "url": store.public_url(item["display_key"]),
                        "thumbnail_url": store.public_url(item["thumb_key"]),
                        "width": int(item["width"]),
                        "height": int(item["height"]),
                    }
                )
    return shown


def owner_photos(table: Table, review: dict[str, Any]) -> list[dict[str, Any]]:
    """Every photo of a review as the owner moderates it: its state, whether hidden, where to see it."""
    if not review.get("photo_ids"):
        return []
    storage = _storage()
    items = {i["photo_id"]: i for i in review_photos(table, review["shop_id"], review["review_id"])}
    out = []
    for photo_id in review["photo_ids"]:
        item = items.get(photo_id)
        if item is None:
            continue
        state = photo_state(item, storage)
        state["hidden"] = bool(item.get("hidden"))
        if item.get("status") == "ready":
            state["url"] = storage.public_url(item["display_key"])
        out.append(state)
    return out


def set_hidden(table: Table, shop_id: str, rid: str, photo_id: str, hidden: bool) -> dict[str, Any]:
    """The owner hides (or shows again) one photo of a review; the share card follows."""
    item = records.set_hidden(table, shop_id, rid, photo_id, hidden)
    if item is None:
        raise errors.NotFound(f"photo {photo_id!r} of review {rid!r} does not exist", code="photo_not_found")
    mark_card_due(table, shop_id, item.get("customer_id", ""), rid)
    state = photo_state(item)
    state["hidden"] = hidden
    return state


def mark_card_due(table: Table, shop_id: str, customer_id: str, rid: str) -> None:
    """The customer's share card shows this review: a new card, drawn on its first request or by the due work."""
    from chalicelib.sharing.codes import card_mark

    customer = table.get(keys.customer_key(shop_id, customer_id), consistent=True) if customer_id else None
    code = (customer or {}).get("share_code")
    if not code:
        return
    # Not marked when the code shows another review of theirs, not this one.
    records.mark_card(table, code, card_mark(code), rid)


def card_object_key(shop_id: str, code: str, version: str) -> str:
    """Where a code's card of one version is stored: one object a version, whoever draws it."""
    return f"{CARD_PREFIX}{shop_id}/{code}/{version}.png"


def _derived_keys(shop_id: str, rid: str, photo_id: str, version: str) -> tuple[str, str]:
    base = f"{PHOTO_PREFIX}{shop_id}/{rid}/{photo_id}-{version}"
    return f"{base}.jpg", f"{base}-thumb.jpg"


def _refuse(table: Table, item: dict[str, Any], code: str, message: str) -> None:
    records.refuse(table, item["shop_id"], item["review_id"], item["photo_id"], code, message, clock.iso())


def process_photo(table: Table, storage: Storage, item: dict[str, Any], now_iso: str) -> str:
    """Process one upload; returns what happened: ready, refused, waiting or expired."""
    from chalicelib.photos.imaging import PhotoRefused, process

    size = storage.size_of(item["upload_key"])
    if size is None:
        created = clock.parse(item["created_at"])
        if clock.parse(now_iso) - created < UPLOAD_GRACE:
            return "waiting"
        _refuse(table, item, "not_uploaded", "no file arrived for this photo; attach it again")
        return "expired"
    if size > MAX_BYTES:
        storage.delete([item["upload_key"]])
        _refuse(table, item, "too_large", "this file is over 10 MB; choose a smaller photo")
        return "refused"
    data = storage.read(item["upload_key"]) or b""
    try:
        photo = process(data, item["content_type"])
    except PhotoRefused as refused:
        storage.delete([item["upload_key"]])
        _refuse(table, item, refused.code, refused.message)
        return "refused"
    display_key, thumb_key = _derived_keys(item["shop_id"], item["review_id"], item["photo_id"], secrets.token_hex(4))
    storage.put(display_key, photo.display.data, "image/jpeg")
    storage.put(thumb_key, photo.thumbnail.data, "image/jpeg")
    processed = records.Processed(
        display_key=display_key,
        thumb_key=thumb_key,
        width=photo.display.width,
        height=photo.display.height,
        thumb_width=photo.thumbnail.width,
        thumb_height=photo.thumbnail.height,
    )
    records.ready(table, item["shop_id"], item["review_id"], item["photo_id"], processed, clock.iso())
    storage.delete([item["upload_key"]])  # the original, EXIF and all, is kept no longer than this
    mark_card_due(table, item["shop_id"], item["customer_id"], item["review_id"])
    return "ready"


def process_due_photos(
    table: Table, budget: Budget | None = None, storage: Storage | None = None, now: datetime | None = None
) -> int:
    """The due work's photo job: every upload waiting, oldest first, within the budget."""
    moment = now or clock.now()
    now_iso = clock.iso(moment)
    items, _ = table.query(
        keys.PHOTO_DUE_PARTITION,
        index=keys.GSI1,
        sk_between=("0", now_iso + "~"),  # created before now (an ISO time sorts after "0")
        limit=DUE_PAGE,
    )
    if not items:
        return 0
    store = storage or _storage()
    done = 0
    for item in items:
        if budget is not None and budget.spent():
            break
        full = table.get(keys.photo_key(item["shop_id"], item["review_id"], item["photo_id"]), consistent=True)
        if full is None or full.get("status") != "uploading":
            continue
        try:
            outcome = process_photo(table, store, full, now_iso)
        except Exception as exc:  # noqa: BLE001 - this photo failed: put off (or parked), the run goes on
            from chalicelib.observability import logger

            logger.exception("photo not processed", extra={"photo_id": full["photo_id"]})
            _failed(table, item, full, moment, exc)
            continue
        if outcome == "waiting":  # looked at again soon, and once more when its grace ends
            _defer(table, item, min(moment + RECHECK_AFTER, clock.parse(full["created_at"]) + UPLOAD_GRACE))
        else:
            done += 1
    return done


def _defer(table: Table, due: dict[str, Any], later: datetime) -> None:
    """Look at this upload again at `later`, behind what is due now (not a failure: its file is not there yet).

    Without it, slots asked for and never filled (kept for UPLOAD_GRACE) would hold the front of the due page,
    and a run that reads DUE_PAGE of them would never reach a photo that did arrive."""
    records.defer_upload(table, due, clock.iso(later))


def _failed(table: Table, due: dict[str, Any], item: dict[str, Any], moment: datetime, exc: Exception) -> None:
    """A photo whose processing failed (storage, an image our decoder chokes on): tried again with the backoff,
    then parked for the owner, so that it never holds the front of the due page."""
    from chalicelib.backoff import PHOTOS
    from chalicelib.parked import JOB_PHOTOS, counted_parked, failure_reason
    from chalicelib.store.due import ATTEMPTS, Failure

    attempts = int(item.get(ATTEMPTS, 0)) + 1
    failure = Failure(attempts, failure_reason("processing the photo", attempts, exc), clock.iso(moment))
    wait = PHOTOS.wait_after(attempts)
    if wait is not None:
        records.put_off_upload(table, due, failure, clock.iso(moment + wait))
        return
    ref = f"{item['review_id']}/{item['photo_id']}"
    if records.park_upload(table, due, failure, JOB_PHOTOS, ref, clock.stamp(moment)):
        counted_parked(JOB_PHOTOS, item["shop_id"], ref, failure.reason)


def process_uploaded(table: Table, message: str, storage: Storage | None = None) -> int:
    """An object-created notification of the uploads queue: process the uploads it names at once.

    The due work would find them too; this only makes "processing" last seconds, not a schedule's interval.
    A message that is not a notification of ours is logged and dropped (a retry would not make it one)."""
    from urllib.parse import unquote_plus

    from pydantic import ValidationError

    from chalicelib.photos.models import S3Notification

    try:
        notification = S3Notification.model_validate_json(message)
    except ValidationError:
        from chalicelib.observability import logger

        logger.warning("not an S3 notification; dropped")
        return 0
    done = 0
    now = clock.iso()
    for record in notification.Records:
        key = unquote_plus(record.s3.object.key)
        parts = key.split("/")
        if not record.eventName.startswith("ObjectCreated") or len(parts) != 4 or f"{parts[0]}/" != UPLOAD_PREFIX:
            continue
        _, shop_id, rid, photo_id = parts
        item = table.get(keys.photo_key(shop_id, rid, photo_id), consistent=True)
        if item is None or item.get("status") != "uploading" or item.get("upload_key") != key:
            continue  # processed already (by the due work or a repeated message), or not one of ours
        if process_photo(table, storage or _storage(), item, now) != "waiting":
            done += 1
    return done


def delete_review_photos(table: Table, shop_id: str, rid: str, storage: Storage | None = None) -> int:
    """Erase every photo of a review: its objects (original, display, thumbnail) and its items."""
    items = review_photos(table, shop_id, rid)
    if not items:
        return 0
    objects = [k for i in items for k in (i.get("upload_key"), i.get("display_key"), i.get("thumb_key")) if k]
    (storage or _storage()).delete(objects)
    for item in items:
        table.delete(keys.photo_key(shop_id, rid, item["photo_id"]))
    return len(items)


def erase_customer_photos(table: Table, shop_id: str, review_ids: set[str], code: dict[str, Any] | None) -> int:
    """Erasure: every photo of these reviews (attached or not) and the share card go, objects and items."""
    storage = _storage()
    erased = 0
    for rid in sorted(review_ids):
        removed = delete_review_photos(table, shop_id, rid, storage)
        if removed:
            erased += removed
            records.forget_review_photos(table, shop_id, rid)  # unless not reviewed, or its review named none
    if code is not None and records.has_card(code):
        # The card's mark and version go first: a card being drawn from the erased photo right now (by the due
        # work or a crawler's request) then fails to save, its write being conditioned on the mark or version it
        # read, and deletes what it stored. Then the cards the code named go: the one read before and the one
        # it held when its version was removed (a draw may have named one in between).
        old = records.take_card_away(table, code["code"]) or {}
        cards = {str(k) for k in (code.get("card_key"), old.get("card_key")) if k}
        if cards:
            erased += 1
        if old.get("card_version"):
            # and the object of the version it had, which a draw may have stored without getting to name it
            cards.add(card_object_key(shop_id, code["code"], str(old["card_version"])))
        storage.delete(sorted(cards))
    return erased


def customer_photos(table: Table, shop_id: str, review_ids: set[str]) -> list[dict[str, Any]]:
    """A data request's photos: each one uploaded for the customer's reviews, with its state and where it is."""
    storage = _storage()
    out = []
    for rid in sorted(review_ids):
        for item in review_photos(table, shop_id, rid):
            state = photo_state(item, storage)
            state.update(review_id=rid, created_at=item.get("created_at"), hidden=bool(item.get("hidden")))
            if item.get("status") == "ready":
                state["url"] = storage.public_url(item["display_key"])
            out.append(state)
    return out
