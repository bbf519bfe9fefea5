"""docs/api.md lists every operation of the route table, as the table declares it: the list between its markers
is written by `make docs` (scripts/route_docs.py) and must be what the table gives today."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_route_docs_script() -> Any:
    spec = importlib.util.spec_from_file_location("proofloop_route_docs", ROOT / "scripts" / "route_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


route_docs = _load_route_docs_script()


def test_the_committed_route_list_is_what_the_route_table_gives():
    committed = route_docs.API_DOC.read_text(encoding="utf-8")
    assert route_docs.render(committed) == committed, "docs/api.md's route list is out of date: run `make docs`"


def test_the_list_has_a_row_per_operation_with_its_auth_and_summary():
    from chalicelib.routes import TABLE

    rows = route_docs.route_lines()[2:]
    assert len(rows) == len(TABLE)
    export = next(row for row in rows if "/reviews/export.csv" in row)
    assert export == "| `GET /shops/{shop_id}/reviews/export.csv` | owner key | Every review of the shop as CSV |"
    report = next(row for row in rows if "/report.csv" in row)
    assert report.startswith("| `GET /shops/{shop_id}/report.csv?from=&to=` | owner key |")


def test_a_change_to_the_table_changes_the_docs_and_the_prose_stays():
    from chalicelib.routes import TABLE

    committed = route_docs.API_DOC.read_text(encoding="utf-8")
    renamed = (TABLE[0]._replace(summary="Liveness | and more"), *TABLE[1:])
    written = route_docs.render(committed, renamed)
    assert written != committed and "| `GET /health` | none | Liveness \\| and more |" in written
    head, _, _ = committed.partition(route_docs.ROUTES_BEGIN)
    _, _, tail = committed.partition(route_docs.ROUTES_END)
    assert written.startswith(head) and written.endswith(tail) and "## Webhooks" in tail


def test_an_auth_without_a_label_is_refused():
    from chalicelib.routes import TABLE

    with pytest.raises(SystemExit, match="no label for the auth"):
        route_docs.route_lines((TABLE[0]._replace(auth="carrier-pigeon"),))


def test_docs_without_the_markers_are_refused():
    with pytest.raises(SystemExit, match="markers"):
        route_docs.render("# API\n\nno list here\n")
