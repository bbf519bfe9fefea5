"""The owner's console: sections behind the session, every form CSRF-checked, bad input an inline error."""

from __future__ import annotations

import html as html_lib
import json
import re
from urllib.parse import urlencode

import pytest

from chalicelib.auth.csrf import csrf_token
from chalicelib.auth.sessions import COOKIE
from chalicelib.config import get_settings
from chalicelib.console.console import SECTIONS
from chalicelib.endpoints.authorizers import _same_address
from chalicelib.http import HttpRequest
from tests import signers
from tests.conftest import ADMIN_TOKEN

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HTML = {"Accept": "text/html"}


def body(response) -> str:
    return response.body.decode()


def element_text(page: str, opening: str, closing: str) -> str:
    """The unescaped text of the first element that opens with `opening` (a pattern) and ends with `closing`."""
    found = re.search(f"{opening}(.*?){closing}", page, re.S)
    assert found, page[:2000]
    return html_lib.unescape(found.group(1))


class Owner:
    """A shop (generic sender unless told) and its signed-in owner."""

    def __init__(self, api, **shop):
        self.api = api
        self.shop, self.key = api.create_shop(**shop)
        signed_in = api.request(
            "POST",
            f"/shops/{self.shop_id}/dashboard/session",
            raw=urlencode({"api_key": self.key}).encode(),
            headers=FORM,
        )
        assert signed_in.status_code == 303
        cookie = signed_in.headers["Set-Cookie"]
        self.session = (cookie[0] if isinstance(cookie, list) else cookie).split(";")[0].split("=", 1)[1]

    @property
    def shop_id(self) -> str:
        return str(self.shop["shop_id"])

    @property
    def cookie(self) -> dict[str, str]:
        return {"Cookie": f"{COOKIE}={self.session}"}

    def get(self, section: str):
        return self.api.request("GET", f"/shops/{self.shop_id}/dashboard/{section}", headers={**HTML, **self.cookie})

    def deliver(self, event: dict) -> None:
        """One event from the shop's storefront, signed with its secret now, as a sender signs it."""
        raw = json.dumps(event).encode()
        headers = signers.standard_headers(self.shop["webhook_secret"], raw)
        answer = self.api.request("POST", f"/webhooks/generic/{self.shop_id}", raw=raw, headers=headers)
        assert answer.status_code == 200, answer.body

    def post(self, form: str, fields: dict[str, str], csrf: str | None = None):
        body = urlencode({"csrf": csrf if csrf is not None else csrf_token(self.session), **fields}).encode()
        return self.api.request(
            "POST", f"/shops/{self.shop_id}/dashboard/forms/{form}", raw=body, headers={**FORM, **self.cookie}
        )

    def profile(self) -> dict:
        return self.api.request("GET", f"/shops/{self.shop_id}", token=self.key).json


SETTINGS = {
    "name": "Trail & Summit",
    "domains": "trail.example.com\nwww.trail.example.com",
    "review_delay_days": "10",
    "reminder_after_days": "0",
    "happy_threshold": "5",
    "attribution_window_days": "14",
    "attribution_model": "first_click",
    "timezone": "Europe/Madrid",
    "review_after": "delivery",
    "delivery_fallback_days": "8",
    "delivered_status": "delivered",
    "language": "es",
}


@pytest.fixture
def owner(api):
    return Owner(api)


@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_section_is_a_page_with_the_nav_and_a_script_of_its_own(owner, section):
    response = owner.get(section)
    html = response.body.decode()
    assert response.status_code == 200, html[:500]
    nav = re.search(r'<nav class="console-nav".*?</nav>', html, re.S).group(0)
    assert re.findall(r"/dashboard/(\w+)\"", nav) == list(SECTIONS)  # every section, in the nav's order
    assert f'/dashboard/{section}" aria-current="page"' in nav
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "/assets/console.js" in html


def test_an_unknown_section_is_not_found(owner):
    response = owner.get("widgets")
    assert response.status_code == 404 and "no console section" in response.body.decode()


@pytest.mark.parametrize("path", ["widgets/x", "settings/x", "overview/anything"])
def test_a_page_below_a_section_without_pages_is_not_found(owner, path):
    response = owner.get(path)
    assert response.status_code == 404 and "no pages below it" in response.body.decode()


def test_a_section_without_a_session_is_the_sign_in_page(api, owner):
    response = api.request("GET", f"/shops/{owner.shop_id}/dashboard/settings", headers=HTML)
    assert response.status_code == 200 and 'name="api_key"' in response.body.decode()


CROSS_SITE = {**HTML, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}


def test_a_link_from_another_site_opens_the_address_again_from_ours(api, owner):
    # A browser holds back the SameSite=Strict session on a navigation another site started (a link in an
    # email, storage's redirect after an upload): the page opens the same address again, which carries it.
    path = f"/shops/{owner.shop_id}/dashboard/reviews?status=pending&rating=1"
    bounce = api.request("GET", path, headers=CROSS_SITE)
    html = bounce.body.decode()
    assert bounce.status_code == 200 and bounce.headers["Cache-Control"] == "no-store"
    base = get_settings().base_url
    assert f'<meta http-equiv="refresh" content="0; url={base}{path.replace("&", "&amp;")}">' in html
    assert 'name="api_key"' not in html and "review-item" not in html  # neither sign-in nor anything of the shop
    # Then that second look, from our own page, is same-origin: the page itself, or the sign-in form without a session
    assert 'name="api_key"' in api.request("GET", path, headers={**HTML, "Sec-Fetch-Site": "same-origin"}).body.decode()
    signed_in = api.request("GET", path, headers={**HTML, "Sec-Fetch-Site": "same-origin", **owner.cookie})
    assert signed_in.status_code == 200 and "Sign out" in signed_in.body.decode()


def test_only_a_cookieless_cross_site_look_is_sent_round_again(api, owner):
    path = f"/shops/{owner.shop_id}/dashboard/settings"
    # A cookie that was sent but is no longer good: the sign-in form (a second look would not change it)
    ended = api.request("GET", path, headers={**CROSS_SITE, "Cookie": f"{COOKIE}=not-a-session"})
    assert 'name="api_key"' in ended.body.decode() and "http-equiv" not in ended.body.decode()
    # A browser that does not say where it came from, or a typed address: the sign-in form
    for site in ({}, {"Sec-Fetch-Site": "none"}, {"Sec-Fetch-Site": "same-site"}):
        assert 'name="api_key"' in api.request("GET", path, headers={**HTML, **site}).body.decode()
    # A fetch or a frame from another site, not the owner following a link: the sign-in form
    for mode in ("cors", "no-cors", "nested-navigate"):
        looked = api.request("GET", path, headers={**CROSS_SITE, "Sec-Fetch-Mode": mode}).body.decode()
        assert 'name="api_key"' in looked and "http-equiv" not in looked
    # A page below a section comes back whole, rebuilt from the parsed address with its parts escaped
    asked = HttpRequest(
        "GET",
        "/ignored",
        path_params={"shop_id": owner.shop_id, "section": "import", "item": 'imp-"><x>'},
        query={"x": "<y>"},
    )
    onward = _same_address(asked)
    assert onward == f"{get_settings().base_url}/shops/{owner.shop_id}/dashboard/import/imp-%22%3E%3Cx%3E?x=%3Cy%3E"


def test_another_shops_session_is_refused(api, owner):
    other = Owner(api)
    page = api.request("GET", f"/shops/{owner.shop_id}/dashboard/settings", headers={**HTML, **other.cookie})
    assert 'name="api_key"' in page.body.decode() and "csrf" not in page.body.decode()
    body = urlencode({"csrf": csrf_token(other.session), **SETTINGS}).encode()
    posted = api.request(
        "POST", f"/shops/{owner.shop_id}/dashboard/forms/settings", raw=body, headers={**FORM, **other.cookie}
    )
    assert posted.status_code == 401
    assert owner.profile()["name"] == owner.shop["name"]


@pytest.mark.parametrize("form", ["settings", "webhook-secret", "test-event"])
def test_a_stale_csrf_token_is_refused_and_changes_nothing(owner, form):
    before = owner.profile()
    response = owner.post(
        form, {**SETTINGS, "webhook_secret": "whsec_" + "A" * 40}, csrf=csrf_token("old" + owner.session)
    )
    assert response.status_code == 403
    assert owner.profile() == before


def test_settings_are_saved_through_the_same_code_as_patch(owner):
    response = owner.post("settings", SETTINGS)
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard/settings?saved=1")
    profile = owner.profile()
    assert profile["name"] == "Trail & Summit"
    assert profile["domains"] == ["trail.example.com", "www.trail.example.com"]
    assert profile["settings"] == {
        "review_delay_days": 10,
        "reminder_after_days": 0,
        "happy_threshold": 5,
        "auto_publish": False,  # an unchecked box is not sent
        "attribution_window_days": 14,
        "attribution_model": "first_click",
        "timezone": "Europe/Madrid",
        "review_after": "delivery",
        "delivery_fallback_days": 8,
        "delivered_status": "delivered",
        "language": "es",
        "email_texts": {},  # the shop's own email texts are not on this form, and stay as they were
        "share_prompt": {"en": "", "es": "", "fr": "", "de": "", "pt": ""},  # nor are the share prompt's words
        "owner_email": "",
        "show_answer_rate": False,  # an unchecked box
        "referral": {  # nor is the referral program
            "enabled": False,
            "friend_offer": {"type": "percent", "value": "10", "currency": None, "minimum_order": "0"},
            "advocate_reward": {"type": "percent", "value": "10", "currency": None},
            "codes": "pool",
            "hold_days": 14,
            "new_customers_only": True,
            "max_rewards_per_month": 10,
            "terms": "",
        },
    }
    page = owner.get("settings?saved=1").body.decode()
    assert "Saved." in page and 'value="Europe/Madrid"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("happy_threshold", "9", "less than or equal to 5"),
        ("review_delay_days", "soon", "whole number"),
        ("timezone", "Mars/Olympus", "unknown time zone"),
        ("domains", "https://shop.example.com/path", "is not a host name"),
        ("name", "", "at least 1 character"),
        ("attribution_model", "whoever", "last_click"),
    ],
)
def test_bad_input_is_an_error_beside_its_field_and_saves_nothing(owner, field, value, message):
    before = owner.profile()
    response = owner.post("settings", {**SETTINGS, field: value})
    html = response.body.decode()
    assert response.status_code == 422, html[:300]
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1), html
    assert f'id="{field}"' in html and 'aria-invalid="true"' in html
    assert owner.profile() == before


def test_a_form_of_garbage_is_never_a_500(owner):
    for raw in (b"\xff\xfe", b"csrf=" + b"x" * 10, b"=&&==", "name=é&domains=a..b".encode()):
        response = owner.api.request(
            "POST", f"/shops/{owner.shop_id}/dashboard/forms/settings", raw=raw, headers={**FORM, **owner.cookie}
        )
        assert 400 <= response.status_code < 500, (raw, response.status_code)


def test_connect_shows_the_exact_url_topics_and_a_secret_to_sign_with(api, owner):
    html = owner.get("connect").body.decode()
    assert f'value="http://127.0.0.1:8000/webhooks/generic/{owner.shop_id}"' in html or (
        f"/webhooks/generic/{owner.shop_id}" in html
    )
    for topic in ("order.created", "order.fulfilled", "order.refunded", "customer.redact"):
        assert f"<code>{topic}</code>" in html
    assert "Not connected yet" in html
    assert owner.shop["webhook_secret"] in html


def test_connect_for_shopify_names_the_one_url_and_where_shopify_shows_the_secret(api):
    shopify = Owner(api, platform="shopify")
    html = shopify.get("connect").body.decode()
    assert re.search(r'value="[^"]*/webhooks/shopify"', html)
    assert "orders/create" in html and "refunds/create" in html and "customers/redact" in html
    assert "Settings → Notifications → Webhooks" in html
    assert shopify.shop["webhook_secret"] not in html  # Shopify's secret is Shopify's to show


def test_a_signed_delivery_turns_the_store_connected(api, owner):
    body = json.dumps(signers.generic_event("order.created", "o-1")).encode()
    delivered = api.request(
        "POST",
        f"/webhooks/generic/{owner.shop_id}",
        raw=body,
        headers=signers.standard_headers(owner.shop["webhook_secret"], body),
    )
    assert delivered.status_code == 200
    html = owner.get("connect").body.decode()
    assert '<h2 id="status-title">Connected</h2>' in html
    row = re.search(r"<tr[^>]*>\s*<th scope=\"row\"><code>order.created</code></th>(.*?)</tr>", html, re.S).group(1)
    assert row.count("never") == 0 and "none" in row


def test_the_test_event_goes_through_the_webhook_door_and_connects(owner):
    response = owner.post("test-event", {})
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard/connect?done=accepted")
    html = owner.get("connect?done=accepted").body.decode()
    assert "Connected" in html and "accepted" in html
    assert owner.api.request("GET", f"/shops/{owner.shop_id}/report", token=owner.key).json["funnel"]["orders"] == 0


def test_setting_the_secret_validates_it_and_signs_with_the_new_one(api, owner):
    bad = owner.post("webhook-secret", {"webhook_secret": "short"})
    assert bad.status_code == 422 and 'id="webhook_secret-error"' in bad.body.decode()
    not_standard = owner.post("webhook-secret", {"webhook_secret": "x" * 40})
    assert not_standard.status_code == 422 and "whsec_" in not_standard.body.decode()
    secret = "whsec_" + "QUJD" * 10
    assert owner.post("webhook-secret", {"webhook_secret": secret}).status_code == 303
    body = json.dumps(signers.generic_event("order.created", "o-2")).encode()
    with_new = signers.standard_headers(secret, body)
    assert api.request("POST", f"/webhooks/generic/{owner.shop_id}", raw=body, headers=with_new).status_code == 200


def test_the_test_event_is_only_for_generic_senders(api):
    woo = Owner(api, platform="woocommerce", webhook_secret="a-woocommerce-secret-1234")
    response = woo.post("test-event", {})
    assert response.status_code == 409


def test_the_overview_draws_axes_dates_and_a_legend(owner):
    html = owner.get("overview").body.decode()
    chart = re.search(r'<svg class="series".*?</svg>', html, re.S).group(0)
    assert chart.count("<polyline") == 5 and chart.count('class="axis"') == 1 and 'class="axis-y"' in chart
    assert chart.count('class="tick"') >= 2 and 'class="tick date"' in chart
    assert chart.count('class="hit"') == 30 and chart.count('tabindex="0"') == 1  # one tab stop, arrows inside
    assert html.count('aria-pressed="true"') >= 5


# --- first run ----------------------------------------------------------------------------------------------
SETUP = {"shop_id": "first-shop", "name": "First & Only", "platform": "generic", "domains": "first.example.com"}


def _setup(api, **fields):
    body = urlencode({"admin_token": ADMIN_TOKEN, "timezone": "UTC", **SETUP, **fields}).encode()
    return api.request("POST", "/setup", raw=body, headers=FORM)


def test_setup_creates_the_shop_shows_the_key_once_and_signs_in(api):
    assert 'name="admin_token"' in api.request("GET", "/setup", headers=HTML).body.decode()
    response = _setup(api)
    html = response.body.decode()
    assert response.status_code == 201, html[:400]
    key = re.search(r'id="owner-key" value="(plk_[^"]+)"', html).group(1)
    cookie = response.headers["Set-Cookie"]
    cookie = (cookie[0] if isinstance(cookie, list) else cookie).split(";")[0]
    assert api.request("GET", "/shops/first-shop", token=key).json["name"] == "First & Only"
    console = api.request("GET", "/shops/first-shop/dashboard/connect", headers={**HTML, "Cookie": cookie})
    assert "Not connected yet" in console.body.decode()
    # And the page is closed from now on
    assert 'name="admin_token"' not in api.request("GET", "/setup", headers=HTML).body.decode()
    again = _setup(api, shop_id="second-shop", domains="second.example.com")
    assert again.status_code == 409
    assert api.request("GET", "/shops/second-shop", token=key).status_code in (401, 403, 404)


def test_setup_is_closed_once_any_shop_exists(api):
    api.create_shop()
    assert "already has its shop" in api.request("GET", "/setup", headers=HTML).body.decode()
    assert _setup(api).status_code == 409


def test_setup_with_a_wrong_admin_token_is_refused_on_the_page_keeping_the_fields(api):
    response = _setup(api, admin_token="guess")
    html = response.body.decode()
    assert response.status_code == 401 and 'id="admin_token-error"' in html and 'value="First &amp; Only"' in html
    assert "guess" not in html


@pytest.mark.parametrize(
    ("field", "value"),
    [("shop_id", "Not An Id!"), ("platform", "magento"), ("domains", ""), ("timezone", "Nowhere/Land"), ("name", "")],
)
def test_setup_bad_input_is_an_inline_error(api, field, value):
    response = _setup(api, **{field: value})
    html = response.body.decode()
    assert response.status_code == 422, html[:300]
    assert f'id="{field}-error"' in html
    assert 'name="admin_token"' in html  # the form again, nothing created
    assert _setup(api).status_code == 201


def test_patch_checks_a_whsec_secret_as_creation_and_the_connect_page_do(owner):
    response = owner.api.request(
        "PATCH", f"/shops/{owner.shop_id}", {"webhook_secret": "whsec_not base64!!!!!"}, token=owner.key
    )
    assert response.status_code == 422 and response.json["error"]["details"][0]["field"] == "webhook_secret"
    page = owner.post("webhook-secret", {"webhook_secret": "whsec_not base64!!!!!"})
    assert page.status_code == 422 and "must be base64" in page.body.decode()


def test_signing_in_from_a_section_goes_on_to_it(api, owner):
    page = api.request("GET", f"/shops/{owner.shop_id}/dashboard/connect", headers=HTML).body.decode()
    assert '<input type="hidden" name="section" value="connect">' in page
    form = urlencode({"api_key": owner.key, "section": "connect"}).encode()
    response = api.request("POST", f"/shops/{owner.shop_id}/dashboard/session", raw=form, headers=FORM)
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard/connect")
    elsewhere = urlencode({"api_key": owner.key, "section": "https://evil.example"}).encode()
    response = api.request("POST", f"/shops/{owner.shop_id}/dashboard/session", raw=elsewhere, headers=FORM)
    assert response.headers["Location"].endswith(f"/shops/{owner.shop_id}/dashboard")


def test_signing_in_from_a_page_below_a_section_goes_on_to_that_page(api, owner):
    page = api.request("GET", f"/shops/{owner.shop_id}/dashboard/import/imp-7Qx", headers=HTML).body.decode()
    assert '<input type="hidden" name="item" value="imp-7Qx">' in page
    form = urlencode({"api_key": owner.key, "section": "import", "item": "imp-7Qx"}).encode()
    response = api.request("POST", f"/shops/{owner.shop_id}/dashboard/session", raw=form, headers=FORM)
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard/import/imp-7Qx")
    # The page's name stays one path segment of that section, whatever it says
    odd = urlencode({"api_key": owner.key, "section": "import", "item": "../../other-shop/dashboard?x=//evil"})
    response = api.request("POST", f"/shops/{owner.shop_id}/dashboard/session", raw=odd.encode(), headers=FORM)
    location = response.headers["Location"]
    assert location.endswith("/dashboard/import/..%2F..%2Fother-shop%2Fdashboard%3Fx%3D%2F%2Fevil")
    # A wrong key keeps where the owner was going; a page name too long to sign in with is left out
    wrong = urlencode({"api_key": "plk_wrong", "section": "import", "item": "imp-7Qx"}).encode()
    again = api.request("POST", f"/shops/{owner.shop_id}/dashboard/session", raw=wrong, headers=FORM).body.decode()
    assert "does not open this shop" in again
    assert 'name="section" value="import"' in again and 'name="item" value="imp-7Qx"' in again
    long = api.request("GET", f"/shops/{owner.shop_id}/dashboard/import/{'x' * 201}", headers=HTML).body.decode()
    assert 'name="section" value="import"' in long and 'name="item"' not in long
    # Without a known section the page is dropped: the overview
    stray = urlencode({"api_key": owner.key, "section": "nowhere", "item": "imp-7Qx"}).encode()
    response = api.request("POST", f"/shops/{owner.shop_id}/dashboard/session", raw=stray, headers=FORM)
    assert response.headers["Location"].endswith(f"/shops/{owner.shop_id}/dashboard")


def test_the_feed_section_reports_the_feed_and_issues_and_revokes_its_url(owner):
    page = owner.get("feed").body.decode()
    assert "Your feed holds <strong>0</strong> reviews" in page and "50 to go" in page
    assert "Make the feed URL" in page and 'id="feed-url"' not in page
    assert owner.post("feed-url", {}, csrf="stale").status_code == 403
    issued = owner.post("feed-url", {})
    assert issued.status_code == 303 and issued.headers["Location"].endswith("/dashboard/feed?done=issued")
    url = owner.api.request("GET", f"/shops/{owner.shop_id}/feeds/google-product-reviews", token=owner.key).json
    page = owner.get("feed?done=issued").body.decode()
    assert url["feed_url"] and f'value="{url["feed_url"]}"' in page and "A new feed URL is on" in page
    assert owner.post("feed-url-revoke", {}).status_code == 303
    after = owner.api.request("GET", f"/shops/{owner.shop_id}/feeds/google-product-reviews", token=owner.key).json
    assert after["feed_url"] is None
