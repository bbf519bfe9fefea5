"""The console's widget section: the snippet for a product, the widget live on the page under a CSP that lets it
fetch from our API and style itself (by its stylesheet's hash alone), and the CSS variables it takes."""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re
from urllib.parse import urlencode

import pytest

from chalicelib.console import widget
from chalicelib.reviews.tokens import review_token
from chalicelib.web.render import STATIC
from tests import signers
from tests.unit.test_console import HTML, Owner, body, element_text

WIDGET_JS = (STATIC / "widget.js").read_text()


class Shop(Owner):
    def reviewed(self, product_id: str, title: str, reviews: int) -> None:
        """`reviews` buyers of the product, each with a published five-star review."""
        domain = self.shop["domains"][0]
        items = [{"product_id": product_id, "title": title, "quantity": 1, "url": f"https://{domain}/p/{product_id}"}]
        for n in range(reviews):
            order_id = f"{product_id}-o{n}"
            self.deliver(signers.generic_event("order.created", order_id, f"c-{order_id}", items=items))
            review = {
                "token": review_token(self.shop_id, order_id, [product_id]),
                "product_id": product_id,
                "rating": 5,
                "title": "Sturdy",
                "body": "Carried it up three peaks and it still looks new.",
            }
            answer = self.api.request("POST", "/reviews", review)
            assert answer.status_code == 201 and answer.json["status"] == "published", answer.body

    def page(self, **query):
        return self.get("widget" + ("?" + urlencode(query) if query else ""))


@pytest.fixture
def shop(api):
    owner = Shop(api)
    owner.reviewed("p-pack", "Alpine Pack", 2)
    owner.reviewed("p-mug", "Trail Mug", 1)
    return owner


def snippet_in(page: str) -> str:
    return element_text(page, r'<textarea id="widget-snippet"[^>]*>', "</textarea>")


def test_the_section_is_named_widget_and_its_csp_lets_the_widget_fetch_and_style_itself(shop):
    response = shop.page()
    page = body(response)
    assert response.status_code == 200, page[:500]
    assert '/dashboard/widget" aria-current="page">Widget</a>' in page
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "connect-src 'self';" in csp
    assert f"style-src 'self' {widget.style_source()};" in csp and "unsafe-inline" not in csp
    assert f'<script src="http://127.0.0.1:8000/widget.js" data-shop="{shop.shop_id}" defer></script>' in page
    assert '<script src="http://127.0.0.1:8000/assets/console_widget.js" defer></script>' in page


def test_the_style_source_is_the_hash_of_the_stylesheet_widget_js_inserts():
    stylesheet = widget.widget_stylesheet()
    # The exact text the script sets: its STYLE strings, joined with nothing between them
    assert stylesheet.startswith(".plw{font-family:var(--proofloop-font,inherit);")
    assert "var STYLE = [" in WIDGET_JS and '].join("");' in WIDGET_JS and "style.textContent = STYLE;" in WIDGET_JS
    first, last = re.search(r'var STYLE = \[\s*"(.*?)",.*"([^"]*)"\s*\]\.join', WIDGET_JS, re.S).groups()
    assert stylesheet.startswith(first) and stylesheet.endswith(last)
    digest = base64.b64encode(hashlib.sha256(stylesheet.encode()).digest()).decode()
    assert widget.style_source() == f"'sha256-{digest}'"


def test_products_with_reviews_are_offered_most_reviewed_first_and_the_first_is_shown(shop):
    page = body(shop.page())
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', page)
    assert [(value, label) for value, _, label in options] == [
        ("p-pack", "Alpine Pack (p-pack) · 2 reviews · 5.0 of 5"),
        ("p-mug", "Trail Mug (p-mug) · 1 review · 5.0 of 5"),
    ]
    assert options[0][1] == " selected"
    assert 'id="widget-preview" data-proofloop-product="p-pack" data-proofloop-limit="5"' in page
    assert snippet_in(page) == (
        f'<script src="http://127.0.0.1:8000/widget.js" data-shop="{shop.shop_id}" defer></script>\n'
        '<div data-proofloop-product="p-pack" data-proofloop-limit="10"></div>'
    )
    assert 'data-copy="widget-snippet"' in page


def test_a_chosen_product_is_the_snippets_and_the_previews(shop):
    page = body(shop.page(product="p-mug"))
    assert 'data-proofloop-product="p-mug"' in snippet_in(page)
    assert 'id="widget-preview" data-proofloop-product="p-mug"' in page


def test_a_typed_product_id_is_escaped_in_the_snippet_and_the_preview(shop):
    typed = 'x"><script>alert(1)</script>'
    page = body(shop.page(product="p-pack", product_id=typed))
    assert '<div data-proofloop-product="x&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in snippet_in(page)
    assert "<script>alert(1)" not in page
    assert 'id="widget-preview" data-proofloop-product="x&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert f'value="{html_lib.escape(typed)}"' in page.replace("&#34;", "&quot;")  # kept in its field


def test_a_product_id_too_long_is_an_error_beside_its_field(shop):
    response = shop.page(product_id="p" * 256)
    assert response.status_code == 400
    assert re.search(r'<p class="field-error" id="product_id-error">a product id is at most 255', body(response))


def test_every_css_variable_of_the_widget_is_listed_with_its_default_and_meaning(shop):
    page = body(shop.page())
    comment = re.search(r"Theme with CSS variables on any ancestor:(.*?)Review text", WIDGET_JS, re.S).group(1)
    named = set(re.findall(r"--proofloop-[a-z-]+", comment))
    found = {v.name: v for v in widget.css_variables()}
    assert set(found) == named == set(widget.MEANINGS)
    assert found["--proofloop-star"].defaults == ("#f5a623",)
    assert found["--proofloop-font"].defaults == ("inherit",) and not found["--proofloop-font"].colour
    assert found["--proofloop-accent"].defaults == ("#1a7f37", "#1f6feb")  # the badge's, the button's
    for variable in found.values():
        row = re.search(rf"<tr><th scope=\"row\"><code>{variable.name}</code></th>(.*?)</tr>", page, re.S)
        assert row and f"<code>{variable.default}</code>" in row.group(1) and variable.meaning
        assert html_lib.escape(variable.meaning, quote=False).replace("'", "&#39;") in row.group(1)
        kind = "color" if variable.colour else "text"
        assert f'<input type="{kind}" id="try{variable.name}" data-variable="{variable.name}"' in page


def test_a_shop_without_reviews_gets_a_snippet_to_fill_and_no_widget_yet(api):
    owner = Shop(api)
    page = body(owner.page())
    assert "No product has a published review yet" in page
    assert 'data-proofloop-product="PRODUCT-ID"' in snippet_in(page)
    assert "/widget.js" not in page.split("</head>")[0] and 'id="widget-preview"' not in page


def test_another_shops_session_is_the_sign_in_page(shop, api):
    other = Owner(api)
    page = api.request("GET", f"/shops/{shop.shop_id}/dashboard/widget", headers={**HTML, **other.cookie})
    assert 'name="api_key"' in body(page) and "Alpine Pack" not in body(page)


def test_the_section_has_no_pages_below_it(shop):
    assert shop.get("widget/preview").status_code == 404


@pytest.mark.parametrize(
    ("listed", "typed", "product", "problem"),
    [
        ("p-1", "", "p-1", False),
        ("p-1", " p-2 ", "p-2", False),
        ("", "", "", False),
        ("", "a\nb", "", True),
        ("q" * 256, "", "", True),
    ],
)
def test_reading_the_product(listed, typed, product, problem):
    found, why = widget.read_product(listed, typed)
    assert found == product and (why is not None) == problem


def test_the_page_costs_a_query_and_one_batch_of_product_pages(shop, table, api):
    from tests.unit.test_console_emails import calls

    session = calls(table, lambda: shop.get("settings"))
    assert calls(table, lambda: shop.page()) == [*session, "Query", "BatchGetItem"]
    empty = Shop(api)
    assert calls(table, lambda: empty.page()) == [*session, "Query"]  # no reviewed product: no pages to read
