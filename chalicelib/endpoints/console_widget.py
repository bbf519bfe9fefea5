"""The console's widget section: the snippet to paste for a product, the widget itself live on the page against
our public API, and the CSS variables it takes, to try in that preview."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.endpoints.console import console_page
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.auth.sessions import Session
    from chalicelib.http import HttpRequest, HttpResponse


def section_page(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.config import get_settings
    from chalicelib.console.widget import (
        PREVIEW_LIMIT,
        css_variables,
        read_product,
        reviewed_products,
        snippet,
        style_source,
    )

    shop = session.shop
    offers = reviewed_products(get_table(), shop.shop_id)
    product, problem = read_product(request.query.get("product", ""), request.query.get("product_id", ""))
    if not product and not problem and offers:
        product = offers[0].product_id  # the most reviewed, until the owner chooses
    base_url = get_settings().base_url
    return console_page(
        "console_widget.html",
        session,
        "widget",
        status=400 if problem else 200,
        # widget.js fetches the reviews from our own API and inserts its stylesheet, allowed by its hash alone
        policy={"own_api": True, "styles": style_source()},
        offers=offers,
        product=product,
        listed=product in {o.product_id for o in offers},
        errors={"product_id": problem} if problem else {},
        snippet=snippet(base_url, shop.shop_id, product or "PRODUCT-ID"),
        variables=css_variables(),
        preview_limit=PREVIEW_LIMIT,
    )
