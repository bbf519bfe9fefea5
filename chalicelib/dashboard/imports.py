"""The console's CSV imports: a file uploaded straight to storage, checked (a dry run), then imported chunk by chunk.

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
import io
import re
import secrets
from collections.abc import Generator, Iterable, Iterator
from contextlib import suppress
from itertools import chain
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.budget import Budget
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from datetime import datetime

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
FORMAT_NAMES = {"judgeme": "Judge.me", "yotpo": "Yotpo", "proofloop": "proofloop"}
CHUNK_ROWS = 500  # rows per chunk: an import chunk is about 20 transactions, well inside a request's time
STEP_SECONDS = 4.0  # a poll runs chunks for this long, then answers (one chunk at least)
LEASE_SECONDS = 120  # a claim lasts this long; a worker that died lets the next poll go on after it
SHOWN_REJECTIONS = 200  # rejected rows listed with their reason (all are counted)
MAX_COLUMNS, MAX_HEADER_BYTES = 200, 20_000  # an export's header has a few dozen columns at most
REASON_CHARS = 200
JOB_DAYS = 30  # a job's record is kept this long (TTL)
DUE_PAGE = 10
RECENT = 10

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


class FileRefused(Exception):
    """The stored file cannot be imported at all (not UTF-8, not a CSV, no known layout); the reason says why."""


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


# --- reading the stored file --------------------------------------------------------------------------------
class _Lines:
    """The lines of a stream of bytes as text, counting the bytes handed out: after the csv module returns a
    row, `consumed` is the offset where the next row starts (it reads no line ahead). One pass: the header's
    reader and the rows' reader take turns on the same lines."""

    def __init__(self, pieces: Iterable[bytes], start: int) -> None:
        self.consumed = start
        self._file_start = start == 0
        self._pieces = pieces
        self._lines = self._split(pieces)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._lines)

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading: the stream (an open connection to storage) is let go now, not when collected."""
        self._lines.close()
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()

    def _split(self, pieces: Iterable[bytes]) -> Generator[str]:
        buffer = bytearray()
        for piece in pieces:
            buffer += piece
            begin = 0
            while (newline := buffer.find(b"\n", begin)) >= 0:
                yield self._text(bytes(buffer[begin : newline + 1]))
                begin = newline + 1
            del buffer[:begin]
        if buffer:
            yield self._text(bytes(buffer))

    def _text(self, raw: bytes) -> str:
        at = self.consumed
        self.consumed += len(raw)
        if self._file_start:
            self._file_start = False
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # the byte order mark spreadsheets write
        nul = raw.find(0)
        if nul >= 0:  # text never holds NUL bytes; a binary file or UTF-16 text does
            raise FileRefused(
                f"the file is not UTF-8 text (a NUL byte at byte {at + nul + 1}): save it from your "
                "spreadsheet as “CSV UTF-8” and upload it again"
            )
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileRefused(
                f"the file is not UTF-8 text (byte {at + exc.start + 1}): save it from your spreadsheet as "
                "“CSV UTF-8” and upload it again"
            ) from None


def _header_line(header: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(header)
    return out.getvalue()


def _open(storage: Storage, job: dict[str, Any], start: int, end: int | None = None) -> _Lines:
    """The job's file from byte `start` (to `end`, exclusive), as it was when the job began."""
    if start >= int(job["size"]) or (end is not None and end <= start):
        return _Lines([], start)
    pieces = storage.stream(job["key"], start, None if end is None else end - 1, if_match=job.get("etag", ""))
    if pieces is None:
        raise FileRefused("the uploaded file is gone (uploads are kept for a day): upload it again")
    return _Lines(pieces, start)


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
    if stored.size > MAX_BYTES:  # storage holds the upload to the bound; this is the net
        job.update(_stopped(REFUSED, f"the file is over {MAX_BYTES // (1024 * 1024)} MB"))
    else:
        job.update(keys.import_due_keys(now, shop_id, job_id))
    try:
        table.put(job, "attribute_not_exists(PK)")
    except ConditionFailed:
        found = get_job(table, shop_id, job_id)  # opened twice at once: the first made it
        if found is None:
            raise errors.RetryLater("the import is being set up; try again") from None
        return found
    return job


def _stopped(status: str, reason: str) -> dict[str, Any]:
    return {"status": status, "refusal": _short(reason)}


def _check_chunk(table: Table, storage: Storage, shop_id: str, job: dict[str, Any]) -> dict[str, Any]:
    """The dry run of the next CHUNK_ROWS rows: what the chunk changes in the job."""
    with _open(storage, job, int(job["position"])) as lines:
        return _check_rows(table, shop_id, job, lines)


def _check_rows(table: Table, shop_id: str, job: dict[str, Any], lines: _Lines) -> dict[str, Any]:
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
    for number, parsed in parse(chain([_header_line(header)], lines), fmt):
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
    with _open(storage, job, boundaries[index], boundaries[index + 1]) as lines:
        report = import_reviews(
            table,
            shop,
            chain([_header_line(job["header"])], lines),
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
    table: Table, key: dict[str, str], lease: str, status: str, changes: dict[str, Any], release: bool
) -> dict[str, Any] | None:
    """Write what a chunk changed, if this worker still holds the job; None when it no longer does."""
    changes = {**changes, "updated_at": clock.iso()}
    names = {f"#{i}": name for i, name in enumerate(changes)}
    values: dict[str, Any] = {f":{i}": value for i, value in enumerate(changes.values())}
    sets = ", ".join(f"#{i} = :{i}" for i in range(len(changes)))
    removes = ["lease_id", "lease_until"] if release else []
    if changes.get("status", status) not in RUNNING:
        removes += [keys.GSI1PK, keys.GSI1SK]
    expression = f"SET {sets}" + (f" REMOVE {', '.join(removes)}" if removes else "")
    names["#status"], values[":lease"], values[":was"] = "status", lease, status
    try:
        return table.update(
            key,
            expression,
            names=names,
            values=values,
            condition="lease_id = :lease AND #status = :was",
            return_new=True,
        )
    except ConditionFailed:
        return None  # cancelled, or the lease ran out and another worker took the job on


def advance(
    table: Table, shop: Shop, job: dict[str, Any], budget: Budget | None = None, storage: Storage | None = None
) -> dict[str, Any]:
    """Move a checking or importing job on by whole chunks while `budget` lasts (one chunk at least), if no
    one else holds it; the job as it then stands."""
    if job["status"] not in RUNNING or int(job.get("lease_until", 0)) > clock.epoch():
        return job
    key = keys.import_key(shop.shop_id, job["job_id"])
    lease = secrets.token_hex(8)
    now = clock.epoch()
    try:
        claimed = table.update(
            key,
            "SET lease_id = :lease, lease_until = :until",
            names={"#status": "status"},
            values={":lease": lease, ":until": now + LEASE_SECONDS, ":now": now, ":was": job["status"]},
            condition="#status = :was AND (attribute_not_exists(lease_until) OR lease_until < :now)",
            return_new=True,
        )
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
            recorded = _record(table, key, lease, job["status"], changes, release=last)
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
                table.update(
                    key, "REMOVE lease_id, lease_until", values={":lease": lease}, condition="lease_id = :lease"
                )
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
    now = clock.iso()
    try:
        updated = table.update(
            keys.import_key(shop_id, job_id),
            "SET #status = :importing, #chunk = :zero, rows_done = :zero, imported = :zero, duplicates = :zero, "
            "updated_at = :now, committed_at = :now, GSI1PK = :pk, GSI1SK = :sk",
            names={"#status": "status", "#chunk": "chunk"},
            values={
                ":importing": IMPORTING,
                ":checked": CHECKED,
                ":zero": 0,
                ":now": now,
                ":pk": keys.import_due_keys(now, shop_id, job_id)[keys.GSI1PK],
                ":sk": keys.import_due_keys(now, shop_id, job_id)[keys.GSI1SK],
            },
            condition="#status = :checked",
            return_new=True,
        )
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
        updated = table.update(
            keys.import_key(shop_id, job_id),
            "SET #status = :cancelled, updated_at = :now REMOVE lease_id, lease_until, GSI1PK, GSI1SK",
            names={"#status": "status"},
            values={":cancelled": CANCELLED, ":now": clock.iso(), ":a": CHECKING, ":b": CHECKED, ":c": IMPORTING},
            condition="#status IN (:a, :b, :c)",
            return_new=True,
        )
    except ConditionFailed:
        raise errors.Conflict("this import is over already; there is nothing to cancel") from None
    assert updated is not None
    _forget_file(storage or _storage(), updated)
    return updated


def recent_jobs(table: Table, shop_id: str) -> list[dict[str, Any]]:
    items, _ = table.query(keys.shop_partition(shop_id), sk_prefix=keys.IMPORT_PREFIX, limit=RECENT, newest_first=True)
    return [job_view(i) for i in items]


def advance_due_imports(table: Table, budget: Budget | None = None, storage: Storage | None = None) -> int:
    """The due work's import job: every import left checking or importing (its page closed), chunk by chunk
    within the run's budget. Returns how many jobs it moved on."""
    from chalicelib.store.shop_records import get_shop

    now = clock.now()
    # Due by now: an import that failed is put off behind the others (its key's time moves on), then parked.
    items, _ = table.query(
        keys.IMPORT_DUE_PARTITION, index=keys.GSI1, sk_between=("0", clock.iso(now) + "~"), limit=DUE_PAGE
    )
    budget = budget or Budget.unlimited()
    moved = 0
    for item in items:
        if budget.spent():
            break
        shop = get_shop(table, item["shop_id"])
        if shop is None:  # the shop was erased: its imports go with it
            continue
        try:
            before = (item.get("position"), item.get("chunk"), item["status"])
            after = advance(table, shop, item, budget, storage)
        except Exception as exc:  # noqa: BLE001 - storage or the database failed: put off, the others go on
            from chalicelib.observability import logger

            logger.exception("import not advanced", extra={"job_id": item["job_id"]})
            _put_off(table, item, now, exc)
            continue
        moved += (after.get("position"), after.get("chunk"), after["status"]) != before
    return moved


def _put_off(table: Table, item: dict[str, Any], now: datetime, exc: Exception) -> None:
    """An import whose step failed waits with the backoff, behind the others, and is parked for its owner at the
    last attempt (its page still moves it on while the owner watches it)."""
    from chalicelib.backoff import IMPORTS
    from chalicelib.parked import JOB_IMPORTS, counted_parked, failure_reason
    from chalicelib.store.due import ATTEMPTS, Failure, apply, moved, park, put_off

    attempts = int(item.get(ATTEMPTS, 0)) + 1
    failure = Failure(attempts, failure_reason("a step of the import", attempts, exc), clock.iso(now))
    key = keys.import_key(item["shop_id"], item["job_id"])
    change = moved({}, item[keys.GSI1SK])
    wait = IMPORTS.wait_after(attempts)
    if wait is not None:
        later = keys.import_due_keys(clock.iso(now + wait), item["shop_id"], item["job_id"])
        apply(table, key, put_off(change, later, failure), {"job_id": item["job_id"]})
        return
    park(change, item["shop_id"], JOB_IMPORTS, item["job_id"], failure, clock.stamp(now))
    if apply(table, key, change, {"job_id": item["job_id"]}):
        counted_parked(JOB_IMPORTS, item["shop_id"], item["job_id"], failure.reason)


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """What the import's page and its JSON show: where it stands and its counts."""
    status = job["status"]
    if status == CHECKING:
        done, total = int(job.get("position", 0)), max(int(job.get("size", 0)), 1)
    elif status == IMPORTING:
        done, total = int(job.get("rows_done", 0)), max(int(job.get("rows", 0)), 1)
    else:
        done = total = 1
    return {
        "job_id": job["job_id"],
        "status": status,
        "status_label": STATUS_LABELS[status],
        "format": job.get("format") or job.get("format_asked", "auto"),
        "format_name": FORMAT_NAMES.get(job.get("format") or "", "not known yet"),
        "size": int(job.get("size", 0)),
        "created_at": job["created_at"],
        "updated_at": job.get("updated_at", job["created_at"]),
        "progress": {"done": min(done, total), "total": total, "percent": round(100 * min(done, total) / total)},
        "rows": int(job.get("rows", 0)),
        "accepted": int(job.get("accepted", 0)),
        "rejected": int(job.get("rejected", 0)),
        "already_stored": int(job.get("already_stored", 0)),
        "rows_done": int(job.get("rows_done", 0)),
        "imported": int(job.get("imported", 0)),
        "duplicates": int(job.get("duplicates", 0)),
        "refusal": job.get("refusal"),
        "rejections": [{"row": int(r["row"]), "reason": r["reason"]} for r in job.get("rejections", [])],
    }


# --- exports (written by chalicelib.exports) ----------------------------------------------------------------
# score, the four counts and referred_revenue are our own numbers and go to the writer as numbers; customer
# (the platform's id), name (the buyer's), stage and code are text, neutralised where they look like a formula.
ADVOCATE_COLUMNS = (
    "customer",
    "name",
    "stage",
    "score",
    "reviews",
    "shares",
    "clicks",
    "referred_orders",
    "referred_revenue",
    "code",
)
DATA_REQUEST_COLUMNS = ("request_id", "customer_id", "requested_at", "order_ids")  # all text, ids from the platform


def advocate_rows(table: Table, shop: Shop) -> Iterator[list[Any]]:
    """Every advocate of the shop, highest score first, as the leaderboard shows them (all pages)."""
    from chalicelib.reports.service import advocate_view

    yield list(ADVOCATE_COLUMNS)
    now = clock.now()
    for item in table.query_all(keys.leader_partition(shop.shop_id), index=keys.GSI2, newest_first=True):
        view = advocate_view(item, now)
        yield [view.get(column) if view.get(column) is not None else "" for column in ADVOCATE_COLUMNS]


def data_request_rows(table: Table, shop_id: str) -> Iterator[list[Any]]:
    """The customers' data requests the platform sent, oldest first."""
    yield list(DATA_REQUEST_COLUMNS)
    for item in table.query_all(keys.shop_partition(shop_id), sk_prefix=keys.DATA_REQUEST_PREFIX):
        yield [
            item["request_id"],
            item.get("customer_id") or "",
            item.get("requested_at", ""),
            " ".join(item.get("order_ids") or []),
        ]


def export_name(shop_id: str, what: str) -> str:
    """A download's file name: the shop, what it holds, the day it was made."""
    return f"proofloop-{shop_id}-{what}-{clock.now().strftime('%Y-%m-%d')}.csv"


def exported_file_key(shop_id: str, name: str) -> str:
    """Where an export too large for a response is stored for its redirect (the lifecycle rule deletes it)."""
    return f"exports/{shop_id}/{secrets.token_hex(8)}/{name}"
