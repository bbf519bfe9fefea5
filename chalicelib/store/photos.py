"""A review's photos and its advocate's share card, as their records move: an upload asked for (on the photos'
due list), attached to its review, processed (ready or refused, off the due list), hidden or shown, put off or
parked when processing failed; a share code's card marked due, named once drawn, built by the due work, taken
away. The domain says what happened; the writes are built here, each conditioned on what it was read as, so a
change made meanwhile (a newer mark, an erasure) is left as that change left it.

The due work's moves (put off, parked) are store.due's, imported where used: the share card's route loads this
module to serve a card, and none of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.store.due import Failure
    from chalicelib.store.table import Operation, Table

CARD_FAILURES = "card_failures"  # a code's failed card builds in a row (its due work's attempts)


@dataclass(frozen=True)
class Upload:
    """A photo asked for: where its file will be uploaded, for which review of which order line, and when."""

    shop_id: str
    review_id: str
    photo_id: str
    order_id: str
    product_id: str
    customer_id: str
    content_type: str
    declared_size: int
    upload_key: str
    created_at: str


@dataclass(frozen=True)
class Processed:
    """A photo re-encoded: where its display image and thumbnail are stored, and their sizes in pixels."""

    display_key: str
    thumb_key: str
    width: int
    height: int
    thumb_width: int
    thumb_height: int


# A review's photos, each on the photos' due list until processed


def remember_photo_review(table: Table, shop_id: str, customer_id: str, review_id: str) -> None:
    """The buyer's record names the reviews they uploaded photos for: erasure and data requests start there.
    ConditionFailed when there is no such record."""
    table.update(
        keys.customer_key(shop_id, customer_id),
        "ADD photo_reviews :r",
        values={":r": {review_id}},
        condition="attribute_exists(PK)",
    )


def add_upload(table: Table, upload: Upload) -> None:
    """Store the photo asked for, `uploading` and due for processing as of its creation (ConditionFailed: the
    photo id is taken)."""
    table.put(
        {
            **keys.photo_key(upload.shop_id, upload.review_id, upload.photo_id),
            **keys.photo_due_keys(upload.created_at, upload.shop_id, upload.review_id, upload.photo_id),
            "type": "photo",
            "photo_id": upload.photo_id,
            "review_id": upload.review_id,
            "shop_id": upload.shop_id,
            "order_id": upload.order_id,
            "product_id": upload.product_id,
            "customer_id": upload.customer_id,
            "content_type": upload.content_type,
            "declared_size": upload.declared_size,
            "upload_key": upload.upload_key,
            "status": "uploading",
            "created_at": upload.created_at,
        },
        "attribute_not_exists(PK)",
    )


def attach_op(table: Table, shop_id: str, review_id: str, photo_id: str) -> Operation:
    """The photo goes with its review: it must exist and not have been refused."""
    return table.update_op(
        keys.photo_key(shop_id, review_id, photo_id),
        "SET attached = :t",
        values={":t": True, ":refused": "refused"},
        condition="attribute_exists(PK) AND #s <> :refused",
        names={"#s": "status"},
    )


def set_hidden(table: Table, shop_id: str, review_id: str, photo_id: str, hidden: bool) -> dict[str, Any] | None:
    """The owner hides (or shows again) one photo: the photo as it is now, or None when there is no such photo."""
    try:
        return table.update(
            keys.photo_key(shop_id, review_id, photo_id),
            "SET #h = :h",
            names={"#h": "hidden"},
            values={":h": hidden},
            condition="attribute_exists(PK)",
            return_new=True,
        )
    except ConditionFailed:
        return None


def refuse(table: Table, shop_id: str, review_id: str, photo_id: str, code: str, message: str, at: str) -> None:
    """The photo is refused (`code`, and why in words for the buyer) and leaves the due list."""
    table.update(
        keys.photo_key(shop_id, review_id, photo_id),
        "SET #s = :r, reason_code = :c, reason = :m, processed_at = :now REMOVE GSI1PK, GSI1SK",
        names={"#s": "status"},
        values={":r": "refused", ":c": code, ":m": message, ":now": at},
        condition="attribute_exists(PK)",
    )


def ready(table: Table, shop_id: str, review_id: str, photo_id: str, photo: Processed, at: str) -> None:
    """The photo is processed: ready to show, with its images, and off the due list."""
    table.update(
        keys.photo_key(shop_id, review_id, photo_id),
        "SET #s = :ready, display_key = :d, thumb_key = :t, width = :w, height = :h, thumb_width = :tw, "
        "thumb_height = :th, processed_at = :now REMOVE GSI1PK, GSI1SK",
        names={"#s": "status"},
        values={
            ":ready": "ready",
            ":d": photo.display_key,
            ":t": photo.thumb_key,
            ":w": photo.width,
            ":h": photo.height,
            ":tw": photo.thumb_width,
            ":th": photo.thumb_height,
            ":now": at,
        },
        condition="attribute_exists(PK)",
    )


def _upload_due(due: dict[str, Any], at: str) -> dict[str, str]:
    return keys.photo_due_keys(at, due["shop_id"], due["review_id"], due["photo_id"])


def _photo_key(due: dict[str, Any]) -> dict[str, str]:
    return keys.photo_key(due["shop_id"], due["review_id"], due["photo_id"])


def defer_upload(table: Table, due: dict[str, Any], at: str) -> bool:
    """An upload (as the due list read it) due again at `at`, not as a failure: its file is not there yet.
    False when it moved meanwhile or the write failed (logged)."""
    from chalicelib.store.due import apply, moved

    return apply(table, _photo_key(due), moved(_upload_due(due, at), due[keys.GSI1SK]), {"photo_id": due["photo_id"]})


def put_off_upload(table: Table, due: dict[str, Any], failure: Failure, at: str) -> bool:
    """An upload (as the due list read it) whose processing failed, due again at `at` with its failures counted.
    False when it moved meanwhile or the write failed (logged)."""
    from chalicelib.store.due import apply, moved, put_off

    change = put_off(moved({}, due[keys.GSI1SK]), _upload_due(due, at), failure)
    return apply(table, _photo_key(due), change, {"photo_id": due["photo_id"]})


def park_upload(table: Table, due: dict[str, Any], failure: Failure, job: str, ref: str, stamp: str) -> bool:
    """An upload (as the due list read it) that kept failing, off the due list onto its shop's parked list (as
    `job`'s `ref`, at `stamp`). False when it moved meanwhile or the write failed (logged)."""
    from chalicelib.store.due import apply, moved, park

    change = park(moved({}, due[keys.GSI1SK]), due["shop_id"], job, ref, failure, stamp)
    return apply(table, _photo_key(due), change, {"photo_id": due["photo_id"]})


def forget_review_photos(table: Table, shop_id: str, review_id: str) -> bool:
    """The review names no photos any more; False when it is not stored or named none."""
    try:
        table.update(keys.review_key(shop_id, review_id), "REMOVE photo_ids", condition="attribute_exists(photo_ids)")
    except ConditionFailed:
        return False
    return True


# A share code's card, on the cards' due list while marked


def has_card(code: dict[str, Any]) -> bool:
    """Whether a code names a card, or one is on its way (marked due, or a version to draw)."""
    return bool(code.get("card_key") or keys.GSI1PK in code or "card_version" in code)


def mark_card(table: Table, code: str, mark: dict[str, Any], review_id: str) -> bool:
    """The code's card is due again, as `mark` (its due keys and new card version), with a fresh run of
    retries, while the code still shows `review_id`. False when it shows another review (or is not stored)."""
    try:
        table.update(
            keys.code_key(code),
            # a new mark: a fresh run of retries
            "SET GSI1PK = :pk, GSI1SK = :sk, card_version = :version REMOVE card_failures",
            values={
                ":pk": mark[keys.GSI1PK],
                ":sk": mark[keys.GSI1SK],
                ":version": mark["card_version"],
                ":rid": review_id,
            },
            condition="attribute_exists(PK) AND review_id = :rid",
        )
    except ConditionFailed:
        return False
    return True


def take_card_away(table: Table, code: str) -> dict[str, Any] | None:
    """The code shows no card any more: its card, version, retries and due mark go at once, so that a card being
    drawn meanwhile fails to be named. The code as it was (ConditionFailed when it is not stored)."""
    return table.update(
        keys.code_key(code),
        "REMOVE card_key, card_version, card_failures, GSI1PK, GSI1SK",
        condition="attribute_exists(PK)",
        return_old=True,
    )


def drop_card(table: Table, code: str, version: str) -> dict[str, Any] | None:
    """No card to show for the code's `version`: the version and the card it named go. The code as it was;
    ConditionFailed when it is no longer at that version."""
    return table.update(
        keys.code_key(code),
        "REMOVE card_version, card_key",
        values={":v": version},
        condition="card_version = :v",
        return_old=True,
    )


def name_card(table: Table, code: str, version: str, card_key: str) -> dict[str, Any] | None:
    """The card drawn for the code's `version` is the one stored at `card_key`. The code as it was;
    ConditionFailed when it is no longer at that version, or was erased meanwhile."""
    return table.update(
        keys.code_key(code),
        "SET card_key = :k",
        values={":k": card_key, ":v": version},
        # Still this version, and not erased meanwhile (erasure removes the version first, then the card)
        condition="card_version = :v AND attribute_not_exists(redacted)",
        return_old=True,
    )


def card_built(table: Table, code: dict[str, Any], card_key: str | None) -> None:
    """The due work built the card of `code` (as read): named at `card_key`, or none to show (its version goes
    too); either way off the due list with no failures. ConditionFailed when it was marked again meanwhile."""
    expression = (
        "SET card_key = :k REMOVE GSI1PK, GSI1SK, card_failures"
        if card_key
        else "REMOVE card_key, card_version, GSI1PK, GSI1SK, card_failures"
    )
    values: dict[str, Any] = {":seen": code.get(keys.GSI1SK, "")}
    if card_key:
        values[":k"] = card_key
    table.update(keys.code_key(code["code"]), expression, values=values, condition="GSI1SK = :seen")


def put_off_card(table: Table, code: dict[str, Any], failure: Failure, later: datetime) -> bool:
    """A card (its code as read) that failed to build, due again at `later` with its failures counted. False when
    it was marked again meanwhile (the newer mark is due now) or the write failed (logged)."""
    from chalicelib.store.due import apply, moved, put_off

    change = moved({}, code.get(keys.GSI1SK, ""))
    put_off(change, keys.card_due_keys(code["code"], later), failure, attempts_name=CARD_FAILURES)
    return apply(table, keys.code_key(code["code"]), change, {"code": code["code"]})


def park_card(table: Table, code: dict[str, Any], failure: Failure, job: str, stamp: str) -> bool:
    """A card (its code as read) that kept failing, off the due list onto its shop's parked list (as `job`'s,
    at `stamp`). False when it was marked again meanwhile or the write failed (logged)."""
    from chalicelib.store.due import apply, moved, park

    change = moved({}, code.get(keys.GSI1SK, ""))
    park(change, str(code["shop_id"]), job, code["code"], failure, stamp, CARD_FAILURES)
    return apply(table, keys.code_key(code["code"]), change, {"code": code["code"]})
