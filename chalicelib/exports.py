"""Every CSV proofloop writes, through one writer whose cells no spreadsheet runs; its inverse reads ours back.

OWASP's rule against CSV injection: a cell that begins with `=`, `+`, `-` or `@` is a formula to a spreadsheet
(`=HYPERLINK(...)`, `+SUM(A1)`, `-2+3`, `@cmd`), and one that begins with a tab or a carriage return becomes one
once the spreadsheet trims it; such a cell is written with a leading `'`, which every spreadsheet shows as text.

Which cells are exempt is decided by what each export hands over, column by column: a number (int, float,
Decimal: counts, ratings, scores, revenue, a refund's `-12.5` among them) is ours, computed by us, and stays a
number, since its text can only be a numeral; every text cell, whoever wrote it, goes through the rule (our own
text, ids, stages and dates never begin with one of those characters, so it leaves them as they are).

The rule is reversible for our own export: text that already begins with `'` before one of those characters
gets a second one, so `restore` takes exactly one `'` away and `'=x`, `=x` and `'hello` all come back as written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.http import HttpResponse

CSV_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list of what a spreadsheet reads as a formula
TEXT_MARK = "'"


def _is_number(value: Any) -> bool:
    """A value we hand over as a number and that is written as a numeral (never `inf` or `nan`)."""
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, (int, float)) and math.isfinite(value)


def _needs_mark(text: str) -> bool:
    return text.lstrip(TEXT_MARK).startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """A cell as written: text a spreadsheet would run (or `'` before such text) gets a leading `'`; a number,
    and None (an empty cell), stay as they are."""
    if value is None or _is_number(value):
        return value
    text = str(value)
    return TEXT_MARK + text if _needs_mark(text) else text


def restore(text: str) -> str:
    """A cell of our own export as it was before `neutralise`: one leading `'` less where it added one."""
    return text[1:] if text.startswith(TEXT_MARK) and _needs_mark(text[1:]) else text


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Rows as CSV text, a row at a time (so a large export is spooled, never built whole), every cell neutralised.

    Rows end in `\\n`. The csv module quotes a field only for the characters of its line terminator, so a lone
    carriage return inside a cell would be left bare and a spreadsheet would start a new row, and a live
    formula, at it: each row is written with `\\r\\n` (every field holding either character is quoted) and its
    ending then set to `\\n`."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        yield out.getvalue()[:-2] + "\n"
        out.seek(0)
        out.truncate()


def csv_document(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as one CSV text (a test's or a script's file); a download answers through `csv_download`."""
    return "".join(csv_lines(rows))


def export_name(shop_id: str, what: str) -> str:
    """A download's file name: the shop, what it holds, the day it was made."""
    from chalicelib import clock

    return f"proofloop-{shop_id}-{what}-{clock.now().strftime('%Y-%m-%d')}.csv"


def exported_file_key(shop_id: str, name: str) -> str:
    """Where an export too large for a response is stored for its redirect (the lifecycle rule deletes it)."""
    import secrets

    return f"exports/{shop_id}/{secrets.token_hex(8)}/{name}"


def csv_download(
    rows: Iterable[Iterable[Any]], shop_id: str, filename: str, headers: dict[str, str] | None = None
) -> HttpResponse:
    """Every CSV download's answer: the rows written a row at a time into a spooled file (never the whole
    document in memory), answered inline while it fits a Lambda response, else stored under
    `exported_file_key` and redirected to (`chalicelib/spool.py`)."""
    from chalicelib.spool import deliver

    return deliver(
        csv_lines(rows),
        CSV_TYPE,
        exported_file_key(shop_id, filename),
        {
            "Cache-Control": "no-store",
            **(headers or {}),
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
