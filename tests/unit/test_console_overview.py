"""The dashboard: sign-in by API key into a signed HttpOnly cookie, CSRF-checked forms."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from tests.unit.sharing_support import Advocate

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def adv(api, outbox):
    adv = Advocate(api, outbox)
    adv.share("x")
    adv.click()
    return adv


def sign_in(adv, key=None):
    return adv.api.request(
        "POST",
        f"/shops/{adv.shop.shop_id}/dashboard/session",
        raw=urlencode({"api_key": key or adv.shop.api_key}).encode(),
        headers=FORM,
    )


def set_cookie(response):
    header = response.headers.get("Set-Cookie", "")
    return header[0] if isinstance(header, list) else header  # chalice.test keeps multi-value headers as lists


def cookie_of(response):
    return set_cookie(response).split(";")[0]


def test_without_a_session_the_dashboard_is_the_sign_in_page(adv):
    response = adv.api.request("GET", f"/shops/{adv.shop.shop_id}/dashboard", headers={"Accept": "text/html"})
    assert response.status_code == 200 and 'name="api_key"' in response.body.decode()


def test_sign_in_sets_a_signed_httponly_strict_cookie(adv):
    response = sign_in(adv)
    assert response.status_code == 303
    header = set_cookie(response)
    assert "HttpOnly" in header and "SameSite=Strict" in header and f"Path=/shops/{adv.shop.shop_id}" in header
    page = adv.api.request("GET", f"/shops/{adv.shop.shop_id}/dashboard", headers={"Cookie": cookie_of(response)})
    html = page.body.decode()
    assert page.status_code == 200 and "Funnel" in html and "K-factor" in html and "<svg" in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_wrong_or_other_shops_key_does_not_sign_in(adv, api):
    assert sign_in(adv, key="plk_wrong").status_code == 401
    _, other = api.create_shop()
    response = sign_in(adv, key=other)
    assert response.status_code == 401 and "Set-Cookie" not in response.headers


def test_a_session_of_one_shop_does_not_open_another(adv, api):
    body, _ = api.create_shop()
    cookie = cookie_of(sign_in(adv))
    page = api.request("GET", f"/shops/{body['shop_id']}/dashboard", headers={"Cookie": cookie})
    assert 'name="api_key"' in page.body.decode()  # the sign-in page, not the other shop's numbers


def test_moderation_forms_need_the_csrf_token(adv):
    from chalicelib.reviews.tokens import review_token

    adv.shop.fulfilled_order("o-9", "c-9")
    pending = adv.api.request(
        "POST",
        "/reviews",
        {
            "token": review_token(adv.shop.shop_id, "o-9", ["p-mug"]),
            "product_id": "p-mug",
            "rating": 2,
            "title": "",
            "body": "Leaks",
        },
    ).json["review_id"]
    cookie = cookie_of(sign_in(adv))
    html = adv.api.request("GET", f"/shops/{adv.shop.shop_id}/dashboard", headers={"Cookie": cookie}).body.decode()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)
    path = f"/shops/{adv.shop.shop_id}/dashboard/forms/reviews/{pending}/publish"
    forged = adv.api.request("POST", path, raw=b"csrf=0000", headers={**FORM, "Cookie": cookie})
    assert forged.status_code == 403
    not_ascii = adv.api.request("POST", path, raw="csrf=ç€".encode(), headers={**FORM, "Cookie": cookie})
    assert not_ascii.status_code == 403  # compared as bytes: a str compare_digest raises on non-ASCII
    no_session = adv.api.request("POST", path, raw=f"csrf={csrf}".encode(), headers=FORM)
    assert no_session.status_code == 401
    done = adv.api.request("POST", path, raw=f"csrf={csrf}".encode(), headers={**FORM, "Cookie": cookie})
    assert done.status_code == 303
    assert adv.shop.owner("GET", "/reviews").json["reviews"] == []


def test_sign_out_clears_the_cookie(adv):
    cookie = cookie_of(sign_in(adv))
    html = adv.api.request("GET", f"/shops/{adv.shop.shop_id}/dashboard", headers={"Cookie": cookie}).body.decode()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)
    out = adv.api.request(
        "POST",
        f"/shops/{adv.shop.shop_id}/dashboard/logout",
        raw=f"csrf={csrf}".encode(),
        headers={**FORM, "Cookie": cookie},
    )
    assert out.status_code == 303 and "Max-Age=0" in set_cookie(out)


def test_each_advocate_of_the_overview_links_to_their_customer_page(adv):
    import re

    cookie = cookie_of(sign_in(adv))
    page = adv.api.request("GET", f"/shops/{adv.shop.shop_id}/dashboard", headers={"Cookie": cookie}).body.decode()
    table = page.split('id="leaders-title"', 1)[1].split("</table>", 1)[0]
    links = re.findall(r'href="https?://[^"]*(/shops/[^"]+/dashboard/customers/[^"]+)"', table)
    assert links, table
    customer = adv.api.request("GET", links[0], headers={"Cookie": cookie, "Accept": "text/html"})
    assert customer.status_code == 200, customer.body
    assert "Timeline" in customer.body.decode() and "Advocate score by action" in customer.body.decode()
