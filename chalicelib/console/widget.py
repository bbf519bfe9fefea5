"""The console's widget section: the snippet a storefront pastes for one product, the CSS variables the widget
takes (read from widget.js itself), and what its live preview needs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.store.table import Table

MAX_PRODUCT_ID = 255
PREVIEW_LIMIT = 5  # reviews the console's preview shows; the snippet asks for the widget's default of 10
SNIPPET_LIMIT = 10
# What each of the widget's variables colours or sets; a variable widget.js gains must be described here
# (tests/unit/test_console_widget.py holds the two to each other).
MEANINGS: dict[str, str] = {
    "--proofloop-star": "The stars' colour.",
    "--proofloop-text": "The reviews' text.",
    "--proofloop-muted": "Secondary text: the count, each reviewer's name and date, the shop's reply label.",
    "--proofloop-border": "The lines between reviews, beside a reply and around photos.",
    "--proofloop-accent": "The Verified buyer badge and the More reviews button.",
    "--proofloop-font": "The font family; inherit takes the page's own.",
}
_STYLE = re.compile(r"var STYLE = \[(.*?)\]\.join\(\"\"\);", re.S)
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_VARIABLE = re.compile(r"var\((--proofloop-[a-z-]+),([^)]*)\)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@lru_cache(maxsize=1)
def widget_stylesheet() -> str:
    """The stylesheet widget.js inserts into the page, exactly as it inserts it (its STYLE strings joined)."""
    import json

    from chalicelib.web.render import STATIC

    found = _STYLE.search((STATIC / "widget.js").read_text())
    if found is None:
        raise RuntimeError('widget.js no longer declares its stylesheet as var STYLE = [...].join("")')
    return "".join(json.loads(f'"{part}"') for part in _STRING.findall(found.group(1)))


@lru_cache(maxsize=1)
def style_source() -> str:
    """The CSP source that lets exactly that stylesheet apply on a page whose styles are otherwise our files."""
    import base64
    import hashlib

    digest = hashlib.sha256(widget_stylesheet().encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@dataclass(frozen=True)
class Variable:
    name: str
    defaults: tuple[str, ...]  # as the widget's rules fall back, in order (one rule may differ from another)
    meaning: str

    @property
    def default(self) -> str:
        return self.defaults[0]

    @property
    def colour(self) -> bool:
        return all(re.fullmatch(r"#[0-9a-fA-F]{6}", d) for d in self.defaults)


def css_variables() -> list[Variable]:
    """Every CSS variable the widget's stylesheet reads, with its defaults, in the order it first reads them."""
    found: dict[str, list[str]] = {}
    for name, default in _VARIABLE.findall(widget_stylesheet()):
        defaults = found.setdefault(name, [])
        if default.strip() not in defaults:
            defaults.append(default.strip())
    return [Variable(name, tuple(defaults), MEANINGS.get(name, "")) for name, defaults in found.items()]


def snippet(base_url: str, shop_id: str, product_id: str, limit: int = SNIPPET_LIMIT) -> str:
    """The HTML a storefront pastes: the script once a page, and a place per product (values escaped)."""
    from markupsafe import escape

    return (
        f'<script src="{escape(base_url)}/widget.js" data-shop="{escape(shop_id)}" defer></script>\n'
        f'<div data-proofloop-product="{escape(product_id)}" data-proofloop-limit="{limit}"></div>'
    )


@dataclass(frozen=True)
class Offer:
    """A product with published reviews, to choose in the section."""

    product_id: str
    title: str
    count: int
    average: float | None


def reviewed_products(table: Table, shop_id: str) -> list[Offer]:
    """A page of the shop's products with published reviews, the most reviewed first."""
    from chalicelib.reviews.public import aggregate
    from chalicelib.store.console_choices import reviewed_products as stored

    offers = []
    for stats, page in stored(table, shop_id):
        summary = aggregate(stats)
        title = str((page or {}).get("title") or "")
        offers.append(Offer(str(stats["product_id"]), title, summary["count"], summary["average"]))
    return sorted(offers, key=lambda o: (-o.count, o.product_id))


def read_product(listed: str, typed: str) -> tuple[str, str | None]:
    """The product a query names (a typed id wins over the list), or "" and why it cannot be."""
    chosen = typed.strip() or listed.strip()
    if len(chosen) > MAX_PRODUCT_ID or _CONTROL.search(chosen):
        return "", f"a product id is at most {MAX_PRODUCT_ID} characters on one line"
    return chosen, None
