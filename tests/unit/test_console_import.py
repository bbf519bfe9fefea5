"""The console's import and export section: the upload pinned to one key, type and size; the dry run; the import
in chunks that resume and never store a review twice; the due work for a page left closed; the downloads.

Storage is moto's S3 (started by the `table` fixture); a test stores the file with the S3 client itself, where
the page's presigned POST would put it (the browser tier posts it for real).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.auth.csrf import csrf_token
from chalicelib.console.imports import job_view
from chalicelib.imports import job as import_job
from chalicelib.imports.reader import Lines
from chalicelib.imports.runner import advance_due_imports
from chalicelib.privacy import DATA_REQUEST_COLUMNS
from chalicelib.reports.service import ADVOCATE_COLUMNS
from chalicelib.store import keys
from tests.signers import FIXTURES
from tests.unit.test_console import FORM, Owner

BUCKET = "proofloop-photos-dev"  # the dev stage's, as tests/conftest.py sets it
JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}
HEADER = "title,body,rating,review_date,curated,reviewer_name,product_id\n"


@pytest.fixture
def storage(table: Any) -> Any:
    from chalicelib.storage.s3 import get_storage

    return get_storage()


@pytest.fixture
def owner(api, storage) -> Owner:
    return Owner(api)


@pytest.fixture
def small_chunks(monkeypatch):
    """Two rows a chunk and one chunk a poll: a few rows cross several chunks, and each poll is one step."""
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    monkeypatch.setattr(import_job, "STEP_SECONDS", 0.0)


def row(n: int, rating: Any = 5, product: str = "p-1", body: str | None = None, date: str = "2025-06-01") -> str:
    return f"T{n},{body or f'Review {n}'},{rating},{date} 10:00:00 UTC,ok,Buyer {n},{product}\n"


def upload_fields(owner: Owner) -> dict[str, str]:
    """The hidden fields of the section's upload form."""
    page = owner.get("import")
    assert page.status_code == 200, page.body[:500]
    html = page.body.decode()
    form = re.search(r"<form[^>]*data-import-upload.*?</form>", html, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))


def upload(owner: Owner, storage: Any, data: bytes, fmt: str = "auto") -> str:
    """Store a file where the page's form would post it; the import's id."""
    key = upload_fields(owner)["key"]
    storage.client.put_object(Bucket=BUCKET, Key=key, Body=data, ContentType="text/csv", Metadata={"format": fmt})
    return key.rsplit("/", 1)[1].removesuffix(".csv")


def look(owner: Owner, job_id: str, headers: dict[str, str] = JSON, shop_id: str | None = None) -> Any:
    return owner.api.request(
        "GET", f"/shops/{shop_id or owner.shop_id}/dashboard/import/{job_id}", headers={**headers, **owner.cookie}
    )


def view(owner: Owner, job_id: str) -> dict[str, Any]:
    response = look(owner, job_id)
    assert response.status_code == 200, response.body[:500]
    return dict(response.json)


def until(owner: Owner, job_id: str, *statuses: str, polls: int = 50) -> dict[str, Any]:
    for _ in range(polls):
        seen = view(owner, job_id)
        if seen["status"] in statuses:
            return seen
    raise AssertionError(f"still {seen['status']} after {polls} polls")


def act(owner: Owner, job_id: str, action: str, csrf: str | None = None) -> Any:
    return owner.post(f"import/{job_id}/{action}", {}, csrf=csrf)


def stored_reviews(table: Any, shop_id: str) -> list[dict[str, Any]]:
    found, cursor = [], None
    while True:
        items, cursor = table.query(keys.shop_partition(shop_id), sk_prefix=keys.REVIEW_PREFIX, cursor=cursor)
        found += items
        if cursor is None:
            return found


def stored_job(table: Any, owner: Owner, job_id: str) -> dict[str, Any]:
    return table.get(keys.import_key(owner.shop_id, job_id), consistent=True)


def file_exists(storage: Any, owner: Owner, job_id: str) -> bool:
    return storage.head(import_job.upload_key(owner.shop_id, job_id)) is not None


# --- the section and its upload ---------------------------------------------------------------------------------
def test_the_section_is_in_the_nav_with_its_own_script_and_may_post_to_storage(owner):
    response = owner.get("import")
    html = response.body.decode()
    assert response.status_code == 200
    assert re.search(r'/dashboard/import" aria-current="page">Import &amp; export</a>', html)
    assert "/assets/console_import.js" in html and "/assets/console.js" in html
    csp = response.headers["Content-Security-Policy"]
    storage_origin = re.search(r'action="(https?://[^/"]+)/?" enctype="multipart/form-data"', html).group(1)
    assert "s3" in storage_origin  # the bucket's own address, not this site's
    assert f"form-action 'self' {storage_origin}" in csp and f"connect-src 'self' {storage_origin}" in csp
    assert "unsafe-inline" not in csp


def test_the_upload_is_pinned_to_one_key_of_the_shop_csv_and_twenty_megabytes(owner):
    # When the owner opens the section
    fields = upload_fields(owner)
    # Then its form may store one file under imports/<shop>/, as text/csv, of 1 byte to 20 MB
    conditions = json.loads(base64.b64decode(fields["policy"]))["conditions"]
    key = fields["key"]
    assert key.startswith(f"imports/{owner.shop_id}/imp-") and key.endswith(".csv")
    assert ["eq", "$key", key] in conditions
    assert ["eq", "$Content-Type", "text/csv"] in conditions and fields["Content-Type"] == "text/csv"
    assert ["content-length-range", 1, 20 * 1024 * 1024] in conditions
    # And storage sends the browser on to the import's own page; the format chosen is the file's metadata
    job_id = key.rsplit("/", 1)[1].removesuffix(".csv")
    back = f"http://127.0.0.1:8000/shops/{owner.shop_id}/dashboard/import/{job_id}"
    assert fields["success_action_redirect"] == back
    assert ["eq", "$success_action_redirect", back] in conditions
    assert ["starts-with", "$x-amz-meta-format", ""] in conditions
    # And every visit has a key of its own
    assert upload_fields(owner)["key"] != key


# --- the dry run -------------------------------------------------------------------------------------------------
def test_the_dry_run_of_a_judgeme_export_counts_and_explains_every_row_and_stores_nothing(owner, storage, table):
    # Given the Judge.me fixture uploaded without a format chosen
    job_id = upload(owner, storage, (FIXTURES / "judgeme_export.csv").read_bytes())
    # When the owner lands on the import's page
    page = look(owner, job_id, HTML)
    # Then the whole file is checked: the format found, the counts, each rejected row and why
    assert page.status_code == 200
    html = page.body.decode()
    assert "Judge.me export" in html and "Import 4 reviews" in html
    seen = view(owner, job_id)
    assert seen["status"] == "checked" and seen["format"] == "judgeme"
    assert (seen["rows"], seen["accepted"], seen["rejected"], seen["already_stored"]) == (6, 4, 2, 0)
    assert seen["rejections"] == [
        {"row": 5, "reason": "rating '' is not a number"},
        {"row": 6, "reason": "unreadable date 'last tuesday'"},
    ]
    assert "unreadable date &#39;last tuesday&#39;" in html
    # And nothing is stored until the owner confirms
    assert stored_reviews(table, owner.shop_id) == []


def test_a_yotpo_export_is_detected_by_its_columns(owner, storage):
    job_id = upload(owner, storage, (FIXTURES / "yotpo_export.csv").read_bytes())
    seen = view(owner, job_id)
    assert (seen["status"], seen["format"], seen["accepted"]) == ("checked", "yotpo", 2)
    assert seen["rejections"] == [{"row": 4, "reason": "rating 6 is not between 1 and 5"}]


def test_the_dry_run_counts_reviews_stored_before(owner, storage):
    # Given the fixture imported once already
    first = upload(owner, storage, (FIXTURES / "judgeme_export.csv").read_bytes(), "judgeme")
    assert view(owner, first)["status"] == "checked"
    assert act(owner, first, "commit").status_code == 303
    assert until(owner, first, "done")["imported"] == 4
    # When the same file is uploaded again
    again = upload(owner, storage, (FIXTURES / "judgeme_export.csv").read_bytes())
    # Then the dry run says all four are there already
    assert view(owner, again)["already_stored"] == 4


def test_a_bad_file_read_in_chunks_numbers_its_rejected_rows_and_shows_its_progress(owner, storage, small_chunks):
    # Given seven rows, two bad, read two rows a poll
    body = HEADER + row(1) + row(2, rating="x") + row(3) + row(4) + row(5, date="soon") + row(6) + row(7)
    job_id = upload(owner, storage, body.encode())
    # When the page is polled
    seen = [view(owner, job_id) for _ in range(4)]
    # Then the check moves on chunk by chunk, and says how far it is
    assert [s["status"] for s in seen] == ["checking", "checking", "checking", "checked"]
    assert [s["rows"] for s in seen] == [2, 4, 6, 7]
    assert seen[0]["progress"]["done"] < seen[1]["progress"]["done"] < seen[2]["progress"]["done"]
    assert seen[2]["progress"]["total"] == len(body)
    # And the rejected rows keep their row numbers in the file (the header is row 1)
    assert seen[-1]["rejections"] == [
        {"row": 3, "reason": "rating 'x' is not a number"},
        {"row": 6, "reason": "unreadable date 'soon 10:00:00 UTC'"},
    ]
    assert (seen[-1]["accepted"], seen[-1]["rejected"]) == (5, 2)


def test_only_the_first_rejections_are_listed_and_all_are_counted(owner, storage, monkeypatch):
    monkeypatch.setattr(import_job, "SHOWN_REJECTIONS", 3)
    body = HEADER + "".join(row(n, rating=9) for n in range(10)) + row(11)
    job_id = upload(owner, storage, body.encode())
    seen = view(owner, job_id)
    assert seen["rejected"] == 10 and [r["row"] for r in seen["rejections"]] == [2, 3, 4]
    assert "The first 3 of 10." in look(owner, job_id, HTML).body.decode()


def test_a_field_spanning_lines_is_one_row_and_chunks_end_between_rows(owner, storage, small_chunks):
    quoted = 'T2,"Two lines,\nstill one review",4,2025-06-01 10:00:00 UTC,ok,Buyer 2,p-1\n'
    body = "\ufeff" + HEADER + row(1) + quoted + row(3) + "\n\n"  # a byte order mark, blank lines at the end
    job_id = upload(owner, storage, body.encode())
    checked = until(owner, job_id, "checked")
    assert (checked["rows"], checked["accepted"], checked["rejected"]) == (3, 3, 0)
    assert act(owner, job_id, "commit").status_code == 303
    assert until(owner, job_id, "done")["imported"] == 3


@pytest.mark.parametrize(
    ("data", "fmt", "reason"),
    [
        ((HEADER + row(1, body="Très bien")).encode("cp1252"), "auto", f"not UTF-8 text (byte {len(HEADER) + 6})"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "auto", "not UTF-8 text (byte 1)"),
        ("title,body\n".encode("utf-16-le"), "auto", "not UTF-8 text (a NUL byte at byte 2)"),
        (b'{"reviews": [1, 2, 3]}\n', "auto", "neither a Judge.me nor a Yotpo export"),
        (b"\n\n", "auto", "the file is empty"),
        (b"a," * 30_000 + b"\n", "auto", "no review export's header"),
        (HEADER.encode() + b'T1,"open\n' + b"x,y\n" * 40000, "auto", "not a readable CSV: field larger than"),
        ((FIXTURES / "yotpo_export.csv").read_bytes(), "judgeme", "no column for body, rating, date, product_id"),
    ],
    ids=["latin-1", "png", "utf-16", "json", "empty", "huge-header", "runaway-quote", "wrong-format"],
)
def test_a_file_that_is_not_a_utf8_csv_export_is_refused_with_its_reason(owner, storage, table, data, fmt, reason):
    # Given a file that is no Judge.me or Yotpo CSV in UTF-8 (or not the format chosen)
    job_id = upload(owner, storage, data, fmt)
    # When it is checked
    seen = view(owner, job_id)
    # Then it is refused, saying why, and its file is deleted
    assert seen["status"] == "refused" and reason in seen["refusal"], seen["refusal"]
    assert "cannot be imported" in look(owner, job_id, HTML).body.decode()
    assert not file_exists(storage, owner, job_id)
    assert keys.GSI1PK not in stored_job(table, owner, job_id)
    # And it cannot be confirmed
    refused = act(owner, job_id, "commit")
    assert refused.status_code == 409 and "not waiting to be confirmed" in refused.body.decode()


def test_a_file_over_the_bound_is_refused_even_if_storage_took_it(owner, storage, monkeypatch):
    monkeypatch.setattr(import_job, "MAX_BYTES", 50)
    job_id = upload(owner, storage, (FIXTURES / "judgeme_export.csv").read_bytes())
    seen = view(owner, job_id)
    assert seen["status"] == "refused" and "over" in seen["refusal"]


# --- the import ----------------------------------------------------------------------------------------------
def generated(rows: int, repeat_of: int | None = None) -> str:
    """Rows over two products, every rating, one bad; with `repeat_of`, that row again at the end."""
    lines = [HEADER] + [row(n, rating=n % 5 + 1, product=f"p-{n % 2}") for n in range(rows)]
    lines.insert(4, row(99, rating="none"))
    if repeat_of is not None:
        lines.append(lines[repeat_of + 1])
    return "".join(lines)


def test_a_confirmed_import_runs_chunk_by_chunk_and_stores_every_row_once(owner, storage, table, small_chunks):
    # Given nine good rows (one of them twice, in another chunk) and one bad row, checked
    job_id = upload(owner, storage, generated(9, repeat_of=0).encode())
    checked = until(owner, job_id, "checked")
    assert (checked["rows"], checked["accepted"], checked["rejected"]) == (11, 10, 1)
    # When the owner confirms and the page is polled
    confirmed = act(owner, job_id, "commit")
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"].endswith(f"/dashboard/import/{job_id}")
    seen = [view(owner, job_id) for _ in range(6)]
    # Then it runs a chunk a poll, with its progress, and ends done
    assert [s["status"] for s in seen] == ["importing"] * 5 + ["done"]
    assert [s["rows_done"] for s in seen] == [2, 4, 6, 8, 10, 11]
    assert seen[2]["progress"] == {"done": 6, "total": 11, "percent": 55}
    assert (seen[-1]["imported"], seen[-1]["duplicates"]) == (9, 1)
    # And each review is stored once, counted once in its product's aggregate
    reviews = stored_reviews(table, owner.shop_id)
    assert len(reviews) == 9 and all(r["source"] == "judgeme" and r["imported"] for r in reviews)
    stats = [table.get(keys.product_stats_key(owner.shop_id, p)) for p in ("p-0", "p-1")]
    assert sorted(int(s["review_count"]) for s in stats) == [4, 5]
    # And the job leaves the due index, and its file is deleted
    job = stored_job(table, owner, job_id)
    assert keys.GSI1PK not in job and "lease_id" not in job
    assert not file_exists(storage, owner, job_id)
    html = look(owner, job_id, HTML).body.decode()
    assert "Done: 9 reviews imported." in html


def test_a_chunk_run_again_after_its_worker_died_stores_nothing_twice(owner, storage, table, small_chunks):
    # Given an import whose second chunk was written by a worker that died before it could record it
    job_id = upload(owner, storage, generated(6).encode())
    until(owner, job_id, "checked")
    act(owner, job_id, "commit")
    assert view(owner, job_id)["rows_done"] == 2
    from chalicelib.store.shop_records import get_shop

    shop = get_shop(table, owner.shop_id)
    job = stored_job(table, owner, job_id)
    lost = import_job._import_chunk(table, storage, shop, job)
    assert lost["imported"] == 3 and len(stored_reviews(table, owner.shop_id)) == 3  # r2 (the bad row is 4th)
    # When the next polls run that chunk again and go on
    done = until(owner, job_id, "done")
    # Then every review is stored once, and the counts say what was stored, not duplicates
    assert len(stored_reviews(table, owner.shop_id)) == 6
    assert (done["imported"], done["duplicates"], done["rows_done"]) == (6, 0, 7)
    stats = [table.get(keys.product_stats_key(owner.shop_id, p)) for p in ("p-0", "p-1")]
    assert sum(int(s["review_count"]) for s in stats) == 6


def test_a_poll_while_another_holds_the_job_waits_for_it(owner, storage, table, small_chunks, monkeypatch):
    # Given a checked import, confirmed
    job_id = upload(owner, storage, generated(4).encode())
    until(owner, job_id, "checked")
    act(owner, job_id, "commit")
    racing: list[dict[str, Any]] = []
    real = import_job._step

    def step_with_a_second_poll(*args: Any) -> dict[str, Any]:
        if not racing:  # while the first poll holds the job, a second one comes
            racing.append(view(owner, job_id))
        return real(*args)

    monkeypatch.setattr(import_job, "_step", step_with_a_second_poll)
    # When the first poll runs its chunk
    first = view(owner, job_id)
    # Then the second found it held and moved nothing; the first moved it one chunk
    assert racing[0]["rows_done"] == 0 and racing[0]["status"] == "importing"
    assert first["rows_done"] == 2
    done = until(owner, job_id, "done")
    assert (done["imported"], done["duplicates"]) == (4, 0) and len(stored_reviews(table, owner.shop_id)) == 4


def test_a_worker_whose_lease_ran_out_records_nothing_and_the_chunk_counts_once(
    owner, storage, table, small_chunks, monkeypatch
):
    # Given a confirmed import whose first poll takes longer than its lease
    from chalicelib import clock

    job_id = upload(owner, storage, generated(4).encode())
    until(owner, job_id, "checked")
    act(owner, job_id, "commit")
    real = import_job._step
    took_over: list[dict[str, Any]] = []
    slow: list[bool] = []

    def slow_step(*args: Any) -> dict[str, Any]:
        changes = real(*args)  # the slow worker writes its chunk...
        if not slow:
            slow.append(True)
            clock.run_from(clock.now() + timedelta(seconds=import_job.LEASE_SECONDS + 5))
            took_over.append(view(owner, job_id))  # ...and meanwhile another poll takes the job over
        return changes

    monkeypatch.setattr(import_job, "_step", slow_step)
    try:
        late = view(owner, job_id)
    finally:
        clock.run_from(None)
    # Then the poll that took over ran the same chunk again and recorded it; the slow one recorded nothing
    assert took_over[0]["rows_done"] == 2 and took_over[0]["imported"] == 2
    assert late["rows_done"] == 2
    monkeypatch.setattr(import_job, "_step", real)
    done = until(owner, job_id, "done")
    assert (done["imported"], done["duplicates"]) == (4, 0) and len(stored_reviews(table, owner.shop_id)) == 4


def test_the_due_work_finishes_an_import_whose_page_was_closed(owner, storage, table, small_chunks):
    from chalicelib.budget import Budget
    from chalicelib.jobs import run_due_work

    # Given an upload left checking after one poll
    job_id = upload(owner, storage, generated(5).encode())
    assert view(owner, job_id)["status"] == "checking"
    # When the due work runs: the check is finished, and it waits for the owner
    assert run_due_work(Budget.unlimited()).ran["imports"] == 1
    assert stored_job(table, owner, job_id)["status"] == "checked"
    assert run_due_work(Budget.unlimited()).ran["imports"] == 0  # nothing due while it waits
    # And once confirmed and left after one chunk, the due work imports the rest
    act(owner, job_id, "commit")
    assert view(owner, job_id)["rows_done"] == 2
    assert run_due_work(Budget.unlimited()).ran["imports"] == 1
    job = stored_job(table, owner, job_id)
    assert job["status"] == "done" and int(job["imported"]) == 5 and keys.GSI1PK not in job
    assert len(stored_reviews(table, owner.shop_id)) == 5


def test_a_spent_budget_leaves_the_rest_for_the_next_run(owner, storage, table, small_chunks):
    from chalicelib.budget import Budget

    job_id = upload(owner, storage, generated(5).encode())
    view(owner, job_id)
    assert advance_due_imports(table, Budget(0)) == 0  # spent before it began
    assert stored_job(table, owner, job_id)["rows"] == 2


def test_cancelling_stops_the_import_deletes_the_file_and_keeps_what_was_stored(owner, storage, table, small_chunks):
    job_id = upload(owner, storage, generated(6).encode())
    until(owner, job_id, "checked")
    act(owner, job_id, "commit")
    view(owner, job_id)
    cancelled = act(owner, job_id, "cancel")
    assert cancelled.status_code == 303 and cancelled.headers["Location"].endswith("?done=cancelled")
    seen = view(owner, job_id)
    assert seen["status"] == "cancelled" and seen["imported"] == 2
    assert view(owner, job_id)["imported"] == 2  # a cancelled job moves no more
    assert len(stored_reviews(table, owner.shop_id)) == 2 and not file_exists(storage, owner, job_id)
    again = act(owner, job_id, "cancel")
    assert again.status_code == 409 and "nothing to cancel" in again.body.decode()


def test_a_file_written_again_after_its_check_is_not_imported(owner, storage, table):
    # Given a checked import whose file is then replaced (the page's form posted again to the same key)
    job_id = upload(owner, storage, (FIXTURES / "judgeme_export.csv").read_bytes())
    view(owner, job_id)
    act(owner, job_id, "commit")
    key = import_job.upload_key(owner.shop_id, job_id)
    storage.client.put_object(Bucket=BUCKET, Key=key, Body=generated(3).encode(), ContentType="text/csv")
    # When the import runs, it stops rather than read rows at offsets of another file
    seen = view(owner, job_id)
    assert seen["status"] == "failed" and "replaced after it was checked" in seen["refusal"]
    assert stored_reviews(table, owner.shop_id) == []


def test_confirming_twice_is_one_import(owner, storage, table):
    job_id = upload(owner, storage, (FIXTURES / "judgeme_export.csv").read_bytes())
    view(owner, job_id)
    assert act(owner, job_id, "commit").status_code == 303
    assert act(owner, job_id, "commit").status_code == 303
    assert until(owner, job_id, "done")["imported"] == 4
    assert act(owner, job_id, "commit").status_code == 303
    assert len(stored_reviews(table, owner.shop_id)) == 4


def test_a_file_without_a_good_row_cannot_be_confirmed(owner, storage):
    job_id = upload(owner, storage, (HEADER + row(1, rating=0)).encode())
    assert view(owner, job_id)["accepted"] == 0
    assert "no row that can be imported" in look(owner, job_id, HTML).body.decode()
    refused = act(owner, job_id, "commit")
    assert refused.status_code == 409 and "no row to import" in refused.body.decode()


def test_the_recent_imports_are_listed_newest_first(owner, storage):
    first = upload(owner, storage, (FIXTURES / "judgeme_export.csv").read_bytes())
    view(owner, first)
    second = upload(owner, storage, b"nonsense\n")
    view(owner, second)
    html = owner.get("import").body.decode()
    recent = re.search(r'<section class="card" aria-labelledby="recent-title">.*?</section>', html, re.S).group(0)
    listed = re.findall(r"/dashboard/import/(imp-[0-9a-f t-]+)\"", recent)
    assert listed == sorted([first, second], reverse=True)
    assert "Checked: waiting for you" in html and "Refused" in html


# --- the progress JSON and its page ---------------------------------------------------------------------------
def test_the_progress_is_json_for_its_script_and_a_page_with_a_refresh_link(owner, storage, small_chunks):
    job_id = upload(owner, storage, generated(5).encode())
    answer = look(owner, job_id)
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.headers["Cache-Control"] == "no-store"
    assert set(answer.json) >= {"job_id", "status", "progress", "rows", "accepted", "rejected", "imported"}
    page = look(owner, job_id, HTML)
    html = page.body.decode()
    assert page.headers["Content-Type"].startswith("text/html")
    assert re.search(r'<progress id="import-progress"[^>]*max="\d+" value="\d+"', html)
    assert f'href="http://127.0.0.1:8000/shops/{owner.shop_id}/dashboard/import/{job_id}" data-refresh>Refresh</a>' in (
        html
    )
    assert 'http-equiv="refresh"' not in html
    assert "connect-src 'self'" in page.headers["Content-Security-Policy"]


def test_a_look_at_the_page_moves_one_chunk_and_a_poll_of_its_json_several(owner, storage, monkeypatch):
    # Given a file of five chunks, and polls with time for all of them
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    job_id = upload(owner, storage, generated(9).encode())
    # When the page is opened, it shows at once after one chunk
    look(owner, job_id, HTML)
    assert view_of_store(owner, job_id)["rows"] == 2
    # And one poll of its JSON runs the rest while its time lasts
    assert view(owner, job_id)["status"] == "checked"


def view_of_store(owner: Owner, job_id: str) -> dict[str, Any]:
    from chalicelib.store.table import get_table

    return job_view(stored_job(get_table(), owner, job_id))


def test_a_job_that_does_not_exist_is_not_found(owner):
    never = import_job.new_job_id()
    assert look(owner, never).status_code == 404
    assert look(owner, never).json["error"]["code"] == "no_import"
    assert look(owner, "nonsense", HTML).status_code == 404
    assert act(owner, never, "commit").status_code == 404


# --- who may ------------------------------------------------------------------------------------------------------
def test_a_stale_csrf_token_confirms_nothing(owner, storage):
    job_id = upload(owner, storage, (FIXTURES / "judgeme_export.csv").read_bytes())
    view(owner, job_id)
    for action in ("commit", "cancel"):
        refused = act(owner, job_id, action, csrf=csrf_token("old" + owner.session))
        assert refused.status_code == 403
    assert view(owner, job_id)["status"] == "checked"


def test_another_shops_session_sees_no_import_of_this_shop(api, owner, storage):
    job_id = upload(owner, storage, (FIXTURES / "judgeme_export.csv").read_bytes())
    view(owner, job_id)
    other = Owner(api)
    # On this shop's addresses: the sign-in page, and a refused form
    page = look(other, job_id, HTML, shop_id=owner.shop_id)
    assert 'name="api_key"' in page.body.decode() and "Judge.me" not in page.body.decode()
    body = urlencode({"csrf": csrf_token(other.session)}).encode()
    posted = api.request(
        "POST",
        f"/shops/{owner.shop_id}/dashboard/forms/import/{job_id}/commit",
        raw=body,
        headers={**FORM, **other.cookie},
    )
    assert posted.status_code == 401
    # On its own shop's addresses: no such import (the id names a file of this shop only)
    assert look(other, job_id).status_code == 404
    assert act(other, job_id, "commit").status_code == 404
    assert view(owner, job_id)["status"] == "checked"


# --- downloads -------------------------------------------------------------------------------------------------
def download(owner: Owner, name: str, query: str = "", headers: dict[str, str] = HTML) -> Any:
    return owner.api.request(
        "GET", f"/shops/{owner.shop_id}/dashboard/import/{name}{query}", headers={**headers, **owner.cookie}
    )


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.body.decode())))


def test_the_session_downloads_every_review_as_csv(owner, storage):
    job_id = upload(owner, storage, (FIXTURES / "judgeme_export.csv").read_bytes())
    view(owner, job_id)
    act(owner, job_id, "commit")
    until(owner, job_id, "done")
    response = download(owner, "reviews.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="proofloop-{owner.shop_id}-')
    rows = csv_rows(response)
    assert rows[0][:4] == ["review_id", "product_id", "product_title", "rating"]
    assert {r[6] for r in rows[1:]} == {"Rachel P.", "Marco", "Bot", "Li Wei"}
    # The same file as the owner key's route
    keyed = owner.api.request("GET", f"/shops/{owner.shop_id}/reviews/export.csv", token=owner.key)
    assert sorted(csv_rows(keyed)) == sorted(rows)


def test_the_session_downloads_the_funnel_report_for_the_days_chosen(owner):
    response = download(owner, "report.csv", "?from=2025-01-01&to=2025-01-03")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f"proofloop-{owner.shop_id}-report-2025-01-01-2025-01-03.csv" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][0] == "date" and [r[0] for r in rows[1:]] == ["2025-01-01", "2025-01-02", "2025-01-03", "total"]
    default = csv_rows(download(owner, "report.csv"))
    assert len(default) == 32  # the header, the last 30 days, the totals
    bad = download(owner, "report.csv", "?from=yesterday")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.body.decode()


def test_the_session_downloads_the_advocates_and_the_data_requests(owner, table):
    advocates = download(owner, "advocates.csv")
    assert advocates.status_code == 200 and csv_rows(advocates) == [list(ADVOCATE_COLUMNS)]
    table.put(
        {
            **keys.data_request_key(owner.shop_id, "dr-1"),
            "type": "data_request",
            "request_id": "dr-1",
            "customer_id": "c-9",
            "order_ids": ["o-1", "o-2"],
            "requested_at": "2025-06-01T10:00:00Z",
        }
    )
    requests = csv_rows(download(owner, "data-requests.csv"))
    assert requests == [list(DATA_REQUEST_COLUMNS), ["dr-1", "c-9", "2025-06-01T10:00:00Z", "o-1 o-2"]]


def test_an_export_too_large_for_a_response_is_a_redirect_to_storage(owner, storage, monkeypatch):
    from chalicelib import spool

    monkeypatch.setattr(spool, "INLINE_LIMIT", 10)
    response = download(owner, "advocates.csv")
    assert response.status_code == 303
    location = response.headers["Location"]
    key = re.search(r"/(exports/[^?]+)", location).group(1)
    assert key.startswith(f"exports/{owner.shop_id}/") and key.endswith(".csv")
    assert storage.read(key).decode().startswith("customer,name,stage")


def test_the_downloads_need_this_shops_session(api, owner):
    other = Owner(api)
    for name in ("reviews.csv", "advocates.csv", "report.csv", "data-requests.csv"):
        anonymous = api.request("GET", f"/shops/{owner.shop_id}/dashboard/import/{name}", headers=HTML)
        assert 'name="api_key"' in anonymous.body.decode(), name
        theirs = api.request("GET", f"/shops/{owner.shop_id}/dashboard/import/{name}", headers={**HTML, **other.cookie})
        assert not theirs.headers["Content-Type"].startswith("text/csv"), name


# --- the domain -------------------------------------------------------------------------------------------------
def test_a_piece_imported_again_under_its_mark_counts_as_imported_and_under_another_as_duplicates(table, api):
    from chalicelib.reviews.importing import import_reviews
    from chalicelib.store.shop_records import get_shop

    body, _ = api.create_shop()
    shop = get_shop(table, body["shop_id"])
    lines = generated(4).splitlines(keepends=True)
    first = import_reviews(table, shop, lines, "judgeme", dry_run=False, mark="job#0")
    again = import_reviews(table, shop, lines, "judgeme", dry_run=False, mark="job#0")
    other = import_reviews(table, shop, lines, "judgeme", dry_run=False, mark="job#1")
    assert (first.imported, first.duplicates) == (4, 0)
    assert (again.imported, again.duplicates) == (4, 0)
    assert (other.imported, other.duplicates) == (0, 4)
    assert len(stored_reviews(table, shop.shop_id)) == 4


def test_the_line_reader_counts_bytes_so_a_chunk_ends_where_the_next_row_starts():
    raw = '\ufeffa,b\nx,"1\n2"\né,3'.encode()
    lines = Lines([raw[:5], raw[5:9], raw[9:]], 0)
    reader = csv.reader(lines)
    assert next(reader) == ["a", "b"] and lines.consumed == len("\ufeffa,b\n".encode())
    assert next(reader) == ["x", "1\n2"] and lines.consumed == len('\ufeffa,b\nx,"1\n2"\n'.encode())
    assert next(reader) == ["é", "3"] and lines.consumed == len(raw)


def test_a_format_is_detected_from_the_header_alone():
    from chalicelib.reviews.importing import detect_format

    judgeme = (FIXTURES / "judgeme_export.csv").read_text().splitlines()[0].split(",")
    yotpo = (FIXTURES / "yotpo_export.csv").read_text().splitlines()[0].split(",")
    assert detect_format(judgeme) == "judgeme" and detect_format(yotpo) == "yotpo"
    assert detect_format(["name", "email"]) is None


def test_a_chunk_lets_go_of_its_stream_when_it_stops_reading():
    closed: list[bool] = []

    def pieces():
        try:
            yield b"a,b\n"
            yield b"c,d\n"
        finally:
            closed.append(True)  # what the storage stream does: its connection goes back

    with Lines(pieces(), 0) as lines:
        assert next(lines) == "a,b\n"
    assert closed == [True]


def test_a_stored_objects_stream_reads_a_range_and_refuses_one_written_again(storage):
    from chalicelib import errors

    storage.put("imports/s/x.csv", b"0123456789", "text/csv")
    etag = storage.head("imports/s/x.csv").etag
    assert b"".join(storage.stream("imports/s/x.csv", 2, 5, if_match=etag)) == b"2345"
    storage.put("imports/s/x.csv", b"abcdefghij", "text/csv")
    with pytest.raises(errors.Conflict):
        storage.stream("imports/s/x.csv", 2, 5, if_match=etag)
    assert storage.stream("imports/s/missing.csv") is None
