"""An import job: a CSV uploaded straight to storage, checked (a dry run), then imported chunk by chunk.

A job (SHOP#<shop>/IMPORT#<job>) is made when the owner first opens the import's page after the upload. It
moves on only while someone holds its lease: each poll of its page, and the due work for a page left
closed, claims it with a conditional update, runs whole chunks of rows while its time budget lasts, and
records each one conditioned on still holding the lease. The check reads the file from where the last
chunk ended (a byte offset, so a 20 MB file is never read whole into memory) and notes where every chunk
of CHUNK_ROWS rows starts; the import then reads exactly those byte ranges again. Every review is stored
by a conditional Put, so a chunk run twice (its worker died before recording it) stores nothing twice,
and the chunk's mark on the reviews it stored keeps its counts right.
"""

from __future__ import annotations

import csv
import re
import secrets
from contextlib import suppress
from itertools import chain
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.budget import Budget
from chalicelib.imports.reader import FileRefused, Lines, header_line, open_range
from chalicelib.store import jobs, keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.storage.s3 import Storage, Upload
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

MAX_BYTES = 20 * 1024 * 1024  # the upload's bound, pinned in its presigned POST
UPLOAD_PREFIX = "imports/"  # the bucket's lifecycle rule deletes what is left here after a day
UPLOAD_SECONDS = 3600  # how long the import page's upload form stays valid
CONTENT_TYPE = "text/csv"
FORMAT_CHOICES = {
    "auto": "Detect from the columns",
    "judgeme": "Judge.me",
    "yotpo": "Yotpo",
    "proofloop": "proofloop (this console's review export)",
}
CHUNK_ROWS = 500  # rows per chunk: an import chunk is about 20 transactions, well inside a request's time
STEP_SECONDS = 4.0  # a poll runs chunks for this long, then answers (one chunk at least)
LEASE_SECONDS = 120  # a claim lasts this long; a worker that died lets the next poll go on after it
SHOWN_REJECTIONS = 200  # rejected rows listed with their reason (all are counted)
MAX_COLUMNS, MAX_HEADER_BYTES = 200, 20_000  # an export's header has a few dozen columns at most
REASON_CHARS = 200
JOB_DAYS = 30  # a job's record is kept this long (TTL)

CHECKING, CHECKED, IMPORTING, DONE = "checking", "checked", "importing", "done"
REFUSED, FAILED, CANCELLED = "refused", "failed", "cancelled"
RUNNING = (CHECKING, IMPORTING)
STATUS_LABELS = {
    CHECKING: "Checking the file",
    CHECKED: "Checked: waiting for you",
    IMPORTING: "Importing",
    DONE: "Imported",
    REFUSED: "Refused",
    FAILED: "Stopped",
    CANCELLED: "Cancelled",
}
_JOB_ID = re.compile(r"^imp-\d{8}t\d{12}-[0-9a-f]{16}$")


def _storage() -> Storage:
    from chalicelib.storage.s3 import get_storage

    return get_storage()


# --- the upload ---------------------------------------------------------------------------------------------
def new_job_id() -> str:
    """A job id that sorts by its UTC time (the recent imports list newest first) and cannot be guessed."""
    return f"imp-{clock.now().strftime('%Y%m%dt%H%M%S%f')}-{secrets.token_hex(8)}"


def is_job_id(text: str) -> bool:
    return bool(_JOB_ID.match(text))


def upload_key(shop_id: str, job_id: str) -> str:
    return f"{UPLOAD_PREFIX}{shop_id}/{job_id}.csv"


def job_address(base_url: str, shop_id: str, job_id: str) -> str:
    return f"{base_url}/shops/{shop_id}/dashboard/import/{job_id}"


def upload_form(shop_id: str, job_id: str, storage: Storage | None = None) -> Upload:
    """The presigned POST of the import page's form: exactly one key of this shop, text/csv, 1 B to 20 MB.

    Storage answers a stored file with a redirect to the import's own page (success_action_redirect), so the
    form works without script; the format chosen on the form travels as the object's metadata."""
    from chalicelib.config import get_settings

    return (storage or _storage()).presigned_post(
        upload_key(shop_id, job_id),
        CONTENT_TYPE,
        MAX_BYTES,
        seconds=UPLOAD_SECONDS,
        fields={"success_action_redirect": job_address(get_settings().base_url, shop_id, job_id)},
        conditions=[["starts-with", "$x-amz-meta-format", ""]],
    )


def _short(reason: str) -> str:
    return reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"


# --- the job ------------------------------------------------------------------------------------------------
def get_job(table: Table, shop_id: str, job_id: str) -> dict[str, Any] | None:
    if not is_job_id(job_id):
        return None
    return table.get(keys.import_key(shop_id, job_id), consistent=True)


def start_job(table: Table, shop_id: str, job_id: str, storage: Storage | None = None) -> dict[str, Any]:
    """The job of a file just uploaded for this shop: made once (the first visit of its page after the
    upload), checking. 404 when nothing was uploaded under the id."""
    if not is_job_id(job_id):
        raise errors.NotFound("no such import", code="no_import")
    key = upload_key(shop_id, job_id)
    stored = (storage or _storage()).head(key)
    if stored is None:
        raise errors.NotFound("no such import: its file was never uploaded, or was deleted", code="no_import")
    now = clock.iso()
    asked = stored.metadata.get("format", "auto")
    job: dict[str, Any] = {
        **keys.import_key(shop_id, job_id),
        "type": "import",
        "job_id": job_id,
        "shop_id": shop_id,
        "key": key,
        "size": stored.size,
        "etag": stored.etag,
        "format_asked": asked if asked in FORMAT_CHOICES else "auto",
        "status": CHECKING,
        "created_at": now,
        "updated_at": now,
        "position": 0,
        "rows": 0,
        "accepted": 0,
        "rejected": 0,
        "already_stored": 0,
        "rejections": [],
        "boundaries": [],
        "expires_at": clock.epoch() + JOB_DAYS * 86400,
    }
    due_at: str | None = now  # checking: due for the due work at once
    if stored.size > MAX_BYTES:  # storage holds the upload to the bound; this is the net
        job.update(_stopped(REFUSED, f"the file is over {MAX_BYTES // (1024 * 1024)} MB"))
        due_at = None
    try:
        return jobs.create_import(table, job, due_at)
    except ConditionFailed:
        found = get_job(table, shop_id, job_id)  # opened twice at once: the first made it
        if found is None:
            raise errors.RetryLater("the import is being set up; try again") from None
        return found


def _stopped(status: str, reason: str) -> dict[str, Any]:
    return {"status": status, "refusal": _short(reason)}


def _check_chunk(table: Table, storage: Storage, shop_id: str, job: dict[str, Any]) -> dict[str, Any]:
    """The dry run of the next CHUNK_ROWS rows: what the chunk changes in the job."""
    with open_range(storage, job, int(job["position"])) as lines:
        return _check_rows(table, shop_id, job, lines)


def _check_rows(table: Table, shop_id: str, job: dict[str, Any], lines: Lines) -> dict[str, Any]:
    from chalicelib.reviews.importing import detect_format, imported_review_id, parse

    changes: dict[str, Any] = {}
    header = job.get("header")
    if header is None:  # the first chunk reads the header and settles the layout
        header = next(csv.reader(lines), None)
        if not header or not any(h.strip() for h in header):
            raise FileRefused("the file is empty")
        if len(header) > MAX_COLUMNS or lines.consumed > MAX_HEADER_BYTES:  # it is kept on the job's item
            raise FileRefused("the first row is no review export's header (it is far too long)")
        fmt = job["format_asked"] if job["format_asked"] != "auto" else detect_format(header)
        if fmt is None:
            columns = ", ".join(h.strip() for h in header[:6])
            raise FileRefused(
                f"the columns ({columns}) are neither a Judge.me nor a Yotpo export's (nor proofloop's own); "
                "choose the format if it is one"
            )
        changes.update(header=header, format=fmt, data_start=lines.consumed, boundaries=[lines.consumed])
    fmt = changes.get("format") or job["format"]
    boundaries = list(changes.get("boundaries") or job["boundaries"])
    rows_before = int(job["rows"])
    rows = accepted = 0
    rejections: list[dict[str, Any]] = []
    ids: set[str] = set()
    for number, parsed in parse(chain([header_line(header)], lines), fmt):
        rows += 1
        if isinstance(parsed, str):
            rejections.append({"row": rows_before + number, "reason": _short(parsed)})
        else:
            accepted += 1
            ids.add(imported_review_id(shop_id, fmt, parsed))
        if rows == CHUNK_ROWS:
            break
    stored = table.get_many([keys.review_key(shop_id, rid) for rid in ids]) if ids else []
    shown = list(job["rejections"])
    shown += rejections[: max(SHOWN_REJECTIONS - len(shown), 0)]
    if rows:
        boundaries.append(lines.consumed)
    changes.update(
        position=lines.consumed,
        boundaries=boundaries,
        rows=rows_before + rows,
        accepted=int(job["accepted"]) + accepted,
        rejected=int(job["rejected"]) + len(rejections),
        already_stored=int(job["already_stored"]) + len(stored),
        rejections=shown,
    )
    if rows < CHUNK_ROWS:  # the file ended
        changes["status"] = CHECKED
    return changes


def _import_chunk(table: Table, storage: Storage, shop: Shop, job: dict[str, Any]) -> dict[str, Any]:
    """Import the next chunk of rows, exactly the byte range the check noted: what it changes in the job."""
    from chalicelib.reviews.importing import import_reviews

    index = int(job["chunk"])
    boundaries = [int(b) for b in job["boundaries"]]
    with open_range(storage, job, boundaries[index], boundaries[index + 1]) as lines:
        report = import_reviews(
            table,
            shop,
            chain([header_line(job["header"])], lines),
            job["format"],
            dry_run=False,
            chunk=CHUNK_ROWS + 1,  # the chunk in one write: repeats inside it are found before anything is stored
            mark=f"{job['job_id']}#{index}",
        )
    changes: dict[str, Any] = {
        "chunk": index + 1,
        "rows_done": int(job["rows_done"]) + report.rows,
        "imported": int(job["imported"]) + report.imported,
        "duplicates": int(job["duplicates"]) + report.duplicates,
    }
    if index + 1 >= len(boundaries) - 1:
        changes["status"] = DONE
    return changes


def _step(table: Table, storage: Storage, shop: Shop, job: dict[str, Any]) -> dict[str, Any]:
    """One chunk of whichever phase the job is in; a file that cannot be read stops the job with its reason."""
    stop = REFUSED if job["status"] == CHECKING else FAILED
    try:
        if job["status"] == CHECKING:
            return _check_chunk(table, storage, shop.shop_id, job)
        return _import_chunk(table, storage, shop, job)
    except FileRefused as exc:
        return _stopped(stop, str(exc))
    except errors.Conflict as exc:
        if exc.code != "object_changed":
            raise
        return _stopped(FAILED, "the file was replaced after it was checked: upload it again")
    except csv.Error as exc:
        return _stopped(stop, f"the file is not a readable CSV: {exc}")
    except (errors.ValidationFailed, errors.BadRequest) as exc:  # the layout chosen does not fit, or no header
        return _stopped(stop, exc.message)


def _record(
    table: Table, shop_id: str, job_id: str, lease: str, status: str, changes: dict[str, Any], release: bool
) -> dict[str, Any] | None:
    """Write what a chunk changed, if this worker still holds the job; None when it no longer does."""
    changes = {**changes, "updated_at": clock.iso()}
    running = changes.get("status", status) in RUNNING
    try:
        return jobs.record_import_step(table, shop_id, job_id, lease, status, changes, release, running)
    except ConditionFailed:
        return None  # cancelled, or the lease ran out and another worker took the job on


def advance(
    table: Table, shop: Shop, job: dict[str, Any], budget: Budget | None = None, storage: Storage | None = None
) -> dict[str, Any]:
    """Move a checking or importing job on by whole chunks while `budget` lasts (one chunk at least), if no
    one else holds it; the job as it then stands."""
    if job["status"] not in RUNNING or int(job.get("lease_until", 0)) > clock.epoch():
        return job
    job_id = str(job["job_id"])
    lease = secrets.token_hex(8)
    now = clock.epoch()
    try:
        claimed = jobs.lease_import(table, shop.shop_id, job_id, lease, now + LEASE_SECONDS, now, job["status"])
    except ConditionFailed:
        return get_job(table, shop.shop_id, job["job_id"]) or job  # another poll has it, or it moved on
    assert claimed is not None
    job, budget, storage = claimed, budget or Budget(STEP_SECONDS), storage or _storage()
    held = True
    try:
        while True:
            changes = _step(table, storage, shop, job)
            running = changes.get("status", job["status"]) in RUNNING
            last = not running or budget.spent()
            recorded = _record(table, shop.shop_id, job_id, lease, job["status"], changes, release=last)
            if recorded is None:
                held = False
                return get_job(table, shop.shop_id, job["job_id"]) or job
            job = recorded
            if last:
                held = False
                break
    finally:
        if held:  # the step failed (storage or the database did not answer): let the next poll try at once
            with suppress(ConditionFailed):
                jobs.release_import(table, shop.shop_id, job_id, lease)
    if job["status"] in (DONE, CANCELLED, REFUSED, FAILED):
        _forget_file(storage, job)
    return job


def _forget_file(storage: Storage, job: dict[str, Any]) -> None:
    """The uploaded file holds reviewers' emails: it goes once the job is over (the lifecycle rule is the net)."""
    try:
        storage.delete([job["key"]])
    except Exception:  # noqa: BLE001 - the bucket's lifecycle rule deletes it within a day anyway
        from chalicelib.observability import logger

        logger.warning("import file not deleted", extra={"job_id": job["job_id"]})


def commit(table: Table, shop_id: str, job_id: str) -> dict[str, Any]:
    """The owner confirms a checked file: its import starts (and moves on with each poll and the due work)."""
    job = get_job(table, shop_id, job_id)
    if job is None:
        raise errors.NotFound("no such import", code="no_import")
    if job["status"] != CHECKED:
        raise errors.Conflict(f"this import is {STATUS_LABELS[job['status']].lower()}, not waiting to be confirmed")
    if not int(job["accepted"]):
        raise errors.Conflict("the file has no row to import", code="nothing_to_import")
    try:
        updated = jobs.start_import(table, shop_id, job_id, clock.iso(), IMPORTING, CHECKED)
    except ConditionFailed:
        raise errors.Conflict("this import was confirmed or cancelled already") from None
    assert updated is not None
    return updated


def cancel(table: Table, shop_id: str, job_id: str, storage: Storage | None = None) -> dict[str, Any]:
    """Stop an import before or while it runs; what it stored so far stays."""
    job = get_job(table, shop_id, job_id)
    if job is None:
        raise errors.NotFound("no such import", code="no_import")
    try:
        updated = jobs.cancel_import(table, shop_id, job_id, clock.iso(), CANCELLED, (CHECKING, CHECKED, IMPORTING))
    except ConditionFailed:
        raise errors.Conflict("this import is over already; there is nothing to cancel") from None
    assert updated is not None
    _forget_file(storage or _storage(), updated)
    return updated
