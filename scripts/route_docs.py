"""The route list of docs/api.md, written from the route table (chalicelib/routes.py `TABLE`), so the docs list
exactly the operations the app serves, with the auth and summary each declares.

    python scripts/route_docs.py          # what `make docs` runs: rewrites the list between the markers
    python scripts/route_docs.py --check  # exits 1 when the committed list differs from the table

Only the lines between ROUTES_BEGIN and ROUTES_END are written; the prose around them is the docs' own.
tests/unit/test_route_docs.py fails when the committed list is not what the table gives.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.routes import TABLE, Route  # noqa: E402

API_DOC = ROOT / "docs" / "api.md"
ROUTES_BEGIN = "<!-- routes:begin: written by `make docs` from chalicelib/routes.py; edit the table, not this -->"
ROUTES_END = "<!-- routes:end -->"

# An authorizer's name in the route table (chalicelib/endpoints/authorizers.py AUTHORIZERS) as a reader knows it
AUTH_LABELS: dict[str | None, str] = {
    None: "none",
    "admin": "admin token",
    "admin-form": "admin token in the form",
    "owner": "owner key",
    "owner-form": "owner key in the sign-in form",
    "session": "session cookie",
    "session-form": "session cookie + CSRF",
    "shopify-hmac": "Shopify HMAC",
    "woocommerce-hmac": "WooCommerce HMAC",
    "standard-webhooks": "Standard Webhooks",
    "review-link": "signed link",
    "review-link-in-body": "signed token in the body",
    "unsubscribe-link": "signed link",
    "feed-link": "the feed's secret URL",
}


def _cell(text: str) -> str:
    """Text in a Markdown table's cell: a `|`, even inside a code span, would end the cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _route(route: Route) -> str:
    query = "&".join(f"{name}=" for name in route.query)
    return f"`{route.method} {route.path}{'?' + query if query else ''}`"


def route_lines(table: tuple[Route, ...] = TABLE) -> list[str]:
    """The list as Markdown: a row per operation, in the table's order."""
    unknown = sorted({str(r.auth) for r in table if r.auth not in AUTH_LABELS})
    if unknown:
        raise SystemExit(f"scripts/route_docs.py: no label for the auth {', '.join(unknown)}; add it to AUTH_LABELS")
    rows = ["| route | auth | what it does |", "| --- | --- | --- |"]
    rows += [f"| {_cell(_route(r))} | {AUTH_LABELS[r.auth]} | {_cell(r.summary)} |" for r in table]
    return rows


def render(text: str, table: tuple[Route, ...] = TABLE) -> str:
    """The document with the lines between the markers replaced by the table's list."""
    head, begin, rest = text.partition(ROUTES_BEGIN + "\n")
    _, end, tail = rest.partition(ROUTES_END)
    if not begin or not end:
        raise SystemExit(f"{API_DOC.relative_to(ROOT)}: the markers {ROUTES_BEGIN!r} and {ROUTES_END!r} are missing")
    return head + begin + "\n".join(route_lines(table)) + "\n" + end + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/api.md differs from the table")
    args = parser.parse_args(argv)
    text = API_DOC.read_text(encoding="utf-8")
    written = render(text)
    if args.check:
        if written != text:
            print("docs/api.md's route list differs from chalicelib/routes.py: run `make docs`", file=sys.stderr)
            return 1
        return 0
    if written != text:
        API_DOC.write_text(written, encoding="utf-8")
        print(f"wrote the route list of {API_DOC.relative_to(ROOT)} ({len(TABLE)} operations)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
