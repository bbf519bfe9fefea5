"""No CSV we write can run in a spreadsheet: every download neutralises formula-looking text (OWASP's rule, a
leading '), keeps our own numbers numbers, and our own review export imports back exactly as it was written."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.exports import FORMULA_STARTS, csv_document, csv_lines, neutralise, restore
from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys
from tests.unit.test_console import Owner
from tests.unit.test_console_import import HTML, act, csv_rows, download, stored_reviews, until, upload, view

HYPERLINK = '=HYPERLINK("https://evil.example";"x")'
FORMULAS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1", HYPERLINK]
# Text a spreadsheet shows as it is: written unchanged, even the one that begins with ' before a letter.
HARMLESS = [
    "Great mug, keeps coffee hot",
    "Line one\u2028line two",
    "'Tis the season for this mug",
    "1+2 is what I paid, roughly",
]
# Text that itself begins with ' before a formula character: written with a second ', read back with one.
QUOTED = "'=not a formula, just my opinion"
TEXT_COLUMNS = ("title", "body", "author", "product_title")  # what the buyer and the platform wrote


# --- the writer -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        (HYPERLINK, "'" + HYPERLINK),
        ("-12.50", "'-12.50"),  # text from outside that looks like a number is still text
        ("'=1", "''=1"),
        ("''+1", "'''+1"),
        ("Great mug", "Great mug"),
        ("'Tis the season", "'Tis the season"),
        ("a=b", "a=b"),
        (" =1", " =1"),  # OWASP's list: a space is not on it
        ("'", "'"),
        ("", ""),
    ],
)
def test_text_that_a_spreadsheet_would_run_is_written_with_a_leading_quote(cell, written):
    assert neutralise(cell) == written


@pytest.mark.parametrize("number", [0, 7, -3, 4.5, -12.5, Decimal("-12.50"), Decimal("1E+3"), True, False], ids=repr)
def test_our_numbers_stay_numbers_whatever_their_sign(number):
    assert neutralise(number) is number


@pytest.mark.parametrize(
    ("value", "written"),
    [(float("-inf"), "'-inf"), (Decimal("-Infinity"), "'-Infinity"), (float("nan"), "nan"), (None, None)],
    ids=repr,
)
def test_a_value_that_is_no_numeral_is_text_and_none_an_empty_cell(value, written):
    assert neutralise(value) == written


@pytest.mark.parametrize("cell", [*FORMULAS, *HARMLESS, QUOTED, "''+1", "'''", "'", ""], ids=repr)
def test_restoring_a_written_cell_gives_back_the_text(cell):
    assert restore(neutralise(cell)) == cell


@pytest.mark.parametrize("cell", ["'Tis the season", "'hello", "'", "'1+2", "''"], ids=repr)
def test_restoring_leaves_a_quote_before_ordinary_text(cell):
    assert restore(cell) == cell


def test_rows_are_written_one_line_each_and_read_back_cell_for_cell():
    # Given a header, a row of formula-looking text with our numbers, and a row with a lone carriage return
    rows = [
        ["name", "count", "revenue", "note"],
        ["=1+2", 3, -12.5, "fine"],
        ["a\rb", Decimal("2"), Decimal("-0.50"), "\r=1"],
    ]
    # When they are written
    lines = list(csv_lines(rows))
    # Then each row is one line ending in \n, the header as it was, the numbers as numerals
    assert len(lines) == 3 and all(line.endswith("\n") and not line.endswith("\r\n") for line in lines)
    assert lines[0] == "name,count,revenue,note\n"
    assert lines[1] == "'=1+2,3,-12.5,fine\n"
    # And a cell with a carriage return is quoted, so nothing after it starts a row (or a formula) of its own
    assert list(csv.reader(io.StringIO("".join(lines), newline=""))) == [
        ["name", "count", "revenue", "note"],
        ["'=1+2", "3", "-12.5", "fine"],
        ["a\rb", "2", "-0.50", "'\r=1"],
    ]
    assert csv_document(rows) == "".join(lines)


# --- the downloads ----------------------------------------------------------------------------------------------
def _set(table: Any, key: dict[str, str], **fields: str) -> None:
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values = {f":v{i}": value for i, value in enumerate(fields.values())}
    table.update(key, "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))), names=names, values=values)


class Store:
    """A shop whose buyers left reviews with the given texts: one order, buyer and product per text, the buyer's
    name, the product's title and the review's title, body and author all equal to the text."""

    def __init__(self, api: Any, table: Any, texts: list[str]) -> None:
        self.owner = Owner(api)
        self.api, self.table, self.texts = api, table, texts
        self.review_ids: dict[str, str] = {}
        now = clock.now()
        for n, text in enumerate(texts):
            order, customer, product = f"o-{n}", f"c-{n}", f"p-{n}"
            self.owner.deliver(
                {
                    "type": "order.created",
                    "timestamp": clock.iso(now - timedelta(minutes=5)),
                    "data": {
                        "order_id": order,
                        "customer_id": customer,
                        "email": f"buyer{n}@example.com",
                        "name": text,
                        "currency": "USD",
                        "total": "29.50",
                        "created_at": clock.iso(now - timedelta(days=3)),
                        "items": [{"product_id": product, "title": text, "quantity": 1, "price": "29.50"}],
                    },
                }
            )
            answer = api.request(
                "POST",
                "/reviews",
                {
                    "token": review_token(self.owner.shop_id, order, [product]),
                    "product_id": product,
                    "rating": 5,
                    "title": text,
                    "body": text,
                },
            )
            assert answer.status_code == 201, answer.body
            rid = answer.json["review_id"]
            self.review_ids[rid] = text
            # The API strips the whitespace around what it is sent, so text beginning with a tab or a carriage
            # return (as an older record or another writer may hold it) is put in the store as it would be.
            _set(table, keys.review_key(self.owner.shop_id, rid), **dict.fromkeys(TEXT_COLUMNS, text))
            _set(table, keys.customer_key(self.owner.shop_id, customer), name=text)

    def reviews_csv(self) -> list[dict[str, str]]:
        response = self.api.request("GET", f"/shops/{self.owner.shop_id}/reviews/export.csv", token=self.owner.key)
        assert response.status_code == 200, response.body
        return list(csv.DictReader(io.StringIO(response.body.decode(), newline="")))


@pytest.fixture
def store(api, table) -> Store:
    return Store(api, table, [*FORMULAS, *HARMLESS, QUOTED])


def _no_live_formula(rows: list[list[str]]) -> None:
    """What a spreadsheet sees: no cell begins with a formula character, unless it is a plain number."""
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                float(cell)  # raises for anything but a numeral


def test_the_reviews_export_writes_every_formula_looking_text_with_a_leading_quote(store):
    # Given reviews whose title, body, author and product title look like formulas, and harmless ones
    # When the owner downloads every review, with the key and from the console
    by_key = store.reviews_csv()
    by_session = download(store.owner, "reviews.csv")
    # Then each formula-looking cell begins with ', each harmless one is unchanged, and our numbers are numbers
    assert {r["review_id"] for r in by_key} == set(store.review_ids)
    for row in by_key:
        text = store.review_ids[row["review_id"]]
        expected = text if text in HARMLESS else "'" + text
        assert [row[c] for c in TEXT_COLUMNS] == [expected] * len(TEXT_COLUMNS), text
        assert (row["rating"], row["verified"]) == ("5", "True")
        assert row["status"] == ("pending" if "https://" in text else "published")  # a link waits for the owner
    _no_live_formula([list(r.values()) for r in by_key])
    # And the console's download is the same file, spooled a row at a time
    assert by_session.status_code == 200
    assert sorted(csv_rows(by_session)[1:]) == sorted([list(r.values()) for r in by_key])


def test_the_advocates_export_writes_a_formula_looking_name_with_a_leading_quote(store):
    # Given buyers named like formulas who reviewed (each is on the leaderboard)
    # When the owner downloads the advocates
    rows = csv_rows(download(store.owner, "advocates.csv"))
    # Then each name begins with ', and the counts and revenue are numerals
    header, body = rows[0], rows[1:]
    named = {row[header.index("customer")]: row for row in body}
    assert len(named) == len(store.texts)
    for n, text in enumerate(store.texts):
        row = named[f"c-{n}"]
        assert row[header.index("name")] == (text if text in HARMLESS else "'" + text), text
        assert row[header.index("reviews")] == "1" and row[header.index("referred_revenue")] == "0"
        assert float(row[header.index("score")]) > 0
    _no_live_formula(rows)


def test_the_data_requests_export_writes_formula_looking_ids_with_a_leading_quote(api, table):
    # Given a data request whose customer and order ids (the platform's text) look like formulas
    owner = Owner(api)
    requested = clock.iso()
    table.put(
        {
            **keys.data_request_key(owner.shop_id, "dr-1"),
            "type": "data_request",
            "request_id": "dr-1",
            "customer_id": HYPERLINK,
            "order_ids": ["-2+3", "o-2"],
            "requested_at": requested,
        }
    )
    # When the owner downloads the data requests
    rows = csv_rows(download(owner, "data-requests.csv"))
    # Then those cells begin with ', and the rest are as stored
    assert rows[1] == ["dr-1", "'" + HYPERLINK, requested, "'-2+3 o-2"]
    _no_live_formula(rows)


def test_the_funnel_report_keeps_a_revenue_below_zero_a_number(api, table):
    # Given a day of the report whose counters hold a revenue taken back below zero
    owner = Owner(api)
    today = clock.today()
    table.put(
        {
            "PK": keys.aggregate_partition(owner.shop_id, 0),
            "SK": keys.day_sort_key(today),
            "orders": Decimal(2),
            "referred_revenue_USD": Decimal("-12.50"),
        }
    )
    # When the owner downloads the report, with the key and from the console
    by_key = owner.api.request("GET", f"/shops/{owner.shop_id}/report.csv", token=owner.key)
    by_session = download(owner, "report.csv")
    for response in (by_key, by_session):
        assert response.status_code == 200, response.body
        rows = csv_rows(response)
        # Then today's row and the totals carry the numbers themselves, none of them marked as text
        header = rows[0]
        day = next(r for r in rows if r[0] == today)
        total = rows[-1]
        for row in (day, total):
            assert row[header.index("orders")] == "2" and row[header.index("referred_revenue_USD")] == "-12.5"
        assert not any(cell.startswith("'") for row in rows for cell in row)


# --- our export, imported back -----------------------------------------------------------------------------------
def _texts_of(reviews: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {r["review_id"]: [r[c] for c in TEXT_COLUMNS] for r in reviews}


def test_our_reviews_export_imported_into_another_shop_gives_back_the_original_text(store, api, table):
    # Given the reviews export of a shop with formula-looking and harmless reviews
    exported = store.api.request("GET", f"/shops/{store.owner.shop_id}/reviews/export.csv", token=store.owner.key)
    # When another shop imports it through the API
    other = Owner(api)
    answer = api.request(
        "POST",
        f"/shops/{other.shop_id}/reviews/import?format=proofloop",
        raw=exported.body,
        headers={"Content-Type": "text/csv"},
        token=other.key,
    )
    # Then every review is stored with its title, body, author and product title exactly as the buyer wrote them
    assert answer.status_code == 200, answer.body
    assert (answer.json["imported"], answer.json["rejected"]) == (len(store.texts), [])
    imported = stored_reviews(table, other.shop_id)
    assert _texts_of(imported) == {rid: [text] * len(TEXT_COLUMNS) for rid, text in store.review_ids.items()}
    assert all(r["source"] == "proofloop" and r["imported"] and not r["verified"] for r in imported)
    # And importing the export again, or into the shop it came from, stores nothing twice
    for shop in (other, store.owner):
        again = api.request(
            "POST",
            f"/shops/{shop.shop_id}/reviews/import?format=proofloop",
            raw=exported.body,
            headers={"Content-Type": "text/csv"},
            token=shop.key,
        )
        assert (again.json["imported"], again.json["duplicates"]) == (0, len(store.texts))


def test_our_reviews_export_uploaded_to_the_console_is_detected_and_gives_back_the_original_text(store, api, table):
    # Given the console's download of every review
    exported = download(store.owner, "reviews.csv", headers=HTML).body
    # When another shop's owner uploads it with the format left to be detected, and confirms
    other = Owner(api)
    from chalicelib.storage.s3 import get_storage

    job_id = upload(other, get_storage(), exported)
    checked = until(other, job_id, "checked")
    assert (checked["format"], checked["accepted"], checked["rejected"]) == ("proofloop", len(store.texts), 0)
    act(other, job_id, "commit")
    assert until(other, job_id, "done")["imported"] == len(store.texts)
    # Then every review's text is back as the buyer wrote it
    assert _texts_of(stored_reviews(table, other.shop_id)) == {
        rid: [text] * len(TEXT_COLUMNS) for rid, text in store.review_ids.items()
    }
    assert view(other, job_id)["format_name"] == "proofloop"


def test_our_export_imports_a_published_review_published_and_one_waiting_or_rejected_hidden(store, api, table):
    # Given an export with published reviews, one waiting for moderation (it has a link) and one rejected
    rejected = next(rid for rid, text in store.review_ids.items() if text == "@cmd")
    _set(table, keys.review_key(store.owner.shop_id, rejected), status="rejected")
    exported = {r["review_id"]: r["status"] for r in store.reviews_csv()}
    assert sorted(exported.values()).count("published") == len(store.texts) - 2
    # When another shop imports it
    other = Owner(api)
    body = store.api.request("GET", f"/shops/{store.owner.shop_id}/reviews/export.csv", token=store.owner.key).body
    api.request(
        "POST",
        f"/shops/{other.shop_id}/reviews/import?format=proofloop",
        raw=body,
        headers={"Content-Type": "text/csv"},
        token=other.key,
    )
    # Then only the published ones are published there
    imported = {r["review_id"]: r["status"] for r in stored_reviews(table, other.shop_id)}
    assert imported == {rid: "published" if status == "published" else "rejected" for rid, status in exported.items()}


def test_a_quote_in_another_apps_export_is_the_reviewers_text(api, table):
    # Given a Judge.me export whose review text begins with ' before a formula character (the reviewer's own)
    owner = Owner(api)
    header = "title,body,rating,review_date,curated,reviewer_name,product_id\n"
    row = f"'=fine,'-so so,4,{clock.iso()},ok,'@ana,p-1\n"
    # When it is imported
    api.request(
        "POST",
        f"/shops/{owner.shop_id}/reviews/import?format=judgeme",
        raw=(header + row).encode(),
        headers={"Content-Type": "text/csv"},
        token=owner.key,
    )
    # Then the text is stored as the file has it: only our own export's quotes come off
    (review,) = stored_reviews(table, owner.shop_id)
    assert (review["title"], review["body"], review["author"]) == ("'=fine", "'-so so", "'@ana")


def test_the_import_cli_sends_our_exports_rows_whole(tmp_path):
    from localdev.import_reviews import chunks

    # Given a file of our export whose cells hold a neutralised carriage return and tab
    rows = [["review_id", "title", "body"], ["rv_1", "\r=1", "a\rb"], ["rv_2", "\t=1", "fine"]]
    path = tmp_path / "reviews.csv"
    path.write_text(csv_document(rows), encoding="utf-8", newline="")
    # When the CLI cuts it into the pieces it posts
    (piece, _), *more = list(chunks(path))
    # Then the API reads every row back as the file has it
    assert more == []
    sent = list(csv.reader(io.StringIO(piece.decode(), newline="")))
    assert sent == [["review_id", "title", "body"], ["rv_1", "'\r=1", "a\rb"], ["rv_2", "'\t=1", "fine"]]


# --- every download, small and large ------------------------------------------------------------------------------
# Each CSV route: how it is asked for, the cell its neutralised content must hold, and what its rows are.
DOWNLOADS = {
    "api reviews": ("api", "/reviews/export.csv", "'" + HYPERLINK),
    "api report": ("api", "/report.csv", "-12.5"),
    "console reviews": ("console", "reviews.csv", "'" + HYPERLINK),
    "console report": ("console", "report.csv", "-12.5"),
    "console advocates": ("console", "advocates.csv", "'" + HYPERLINK),
    "console data requests": ("console", "data-requests.csv", "'" + HYPERLINK),
}


@pytest.fixture
def loaded(api, table) -> Store:
    """A shop with a formula-looking review, buyer and data request, and a day of the report below zero."""
    shop = Store(api, table, [HYPERLINK, "Great mug"])
    owner = shop.owner.shop_id
    table.put(
        {
            **keys.data_request_key(owner, "dr-1"),
            "type": "data_request",
            "request_id": "dr-1",
            "customer_id": HYPERLINK,
            "order_ids": ["o-1"],
            "requested_at": clock.iso(),
        }
    )
    table.put(
        {
            "PK": keys.aggregate_partition(owner, 0),
            "SK": keys.day_sort_key(clock.today()),
            "referred_revenue_USD": Decimal("-12.50"),
        }
    )
    return shop


def _fetch(shop: Store, kind: str, path: str) -> Any:
    if kind == "api":
        return shop.api.request("GET", f"/shops/{shop.owner.shop_id}{path}", token=shop.owner.key)
    return download(shop.owner, path)


def _rows_of(table: Any, shop_id: str, path: str) -> Any:
    """The rows the route writes, straight from the module that owns them."""
    from chalicelib.privacy import data_request_rows
    from chalicelib.reports.service import advocate_rows, period, report_rows
    from chalicelib.reviews.importing import export_rows
    from chalicelib.store.shop_records import get_shop

    shop = get_shop(table, shop_id)
    if path.endswith("reviews.csv") or path.endswith("export.csv"):
        return export_rows(table, shop_id)
    if path.endswith("report.csv"):
        return report_rows(table, shop, *period(shop, None, None))
    if path == "advocates.csv":
        return advocate_rows(table, shop)
    return data_request_rows(table, shop_id)


@pytest.mark.parametrize(("kind", "path", "marked"), DOWNLOADS.values(), ids=DOWNLOADS.keys())
def test_a_small_download_is_the_answer_itself_as_before(loaded, table, kind, path, marked):
    # When the owner downloads a CSV that fits a Lambda answer
    response = _fetch(loaded, kind, path)
    # Then it is the answer: the whole CSV, its rows written by the one writer, with the download's headers
    assert response.status_code == 200, response.body
    body = response.body.decode()
    assert body == csv_document(_rows_of(table, loaded.owner.shop_id, path))
    assert marked in {cell for row in csv_rows(response) for cell in row}
    _no_live_formula(csv_rows(response))
    headers = response.headers
    assert headers["Content-Type"] == "text/csv; charset=utf-8" and headers["Cache-Control"] == "no-store"
    assert headers["Content-Disposition"].startswith('attachment; filename="proofloop-')
    assert "Location" not in headers
    assert ("X-Content-Type-Options" in headers) == (kind == "console")


@pytest.mark.parametrize(("kind", "path", "marked"), DOWNLOADS.values(), ids=DOWNLOADS.keys())
def test_a_download_too_large_for_an_answer_is_stored_and_redirected_to(loaded, monkeypatch, kind, path, marked):
    import re
    from urllib.parse import urlsplit

    from chalicelib import spool
    from chalicelib.storage.s3 import get_storage

    inline = _fetch(loaded, kind, path)
    # Given a limit every download outgrows (the real one is 5 MB, under Lambda's 6 MB answer), spilled to a file
    monkeypatch.setattr(spool, "INLINE_LIMIT", 10)
    monkeypatch.setattr(spool, "SPOOL_IN_MEMORY", 64)
    # When the owner downloads it
    response = _fetch(loaded, kind, path)
    # Then the answer is a redirect to a short-lived read of the stored file, kept under this shop's exports
    assert response.status_code == 303 and response.body in (b"", "")
    assert response.headers["Cache-Control"] == "no-store"
    location = urlsplit(response.headers["Location"])
    assert "Expires=" in location.query or "X-Amz-Expires=3600" in location.query
    key = re.search(r"/(exports/[^?]+)", location.path).group(1)
    filename = inline.headers["Content-Disposition"].split('filename="')[1].rstrip('"')
    assert key.startswith(f"exports/{loaded.owner.shop_id}/") and key.endswith("/" + filename)
    # And the stored file is the whole CSV, neutralised as the inline one is
    stored = get_storage().read(key)
    assert stored is not None and stored.decode() == inline.body.decode()
    rows = list(csv.reader(io.StringIO(stored.decode(), newline="")))
    assert len(rows) > 1 and marked in {cell for row in rows for cell in row}
    _no_live_formula(rows)
