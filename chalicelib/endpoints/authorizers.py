"""Who may call an operation: one authorizer per kind of credential, run by the registry before the handler."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.http import Authorizer, HttpRequest, HttpResponse, read_form, read_json
from chalicelib.shops import service as shops
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.auth.sessions import Session
    from chalicelib.reviews.tokens import ReviewGrant
    from chalicelib.store.shop_records import Shop


@dataclass(frozen=True)
class Admin:
    """The operator, proven by the admin token."""


@dataclass(frozen=True)
class ReviewLink:
    """A verified review link: the token as sent and the order and products it grants."""

    token: str
    grant: ReviewGrant


@dataclass(frozen=True)
class UnsubscribeLink:
    """A verified unsubscribe link: the shop and the buyer it speaks for."""

    token: str
    shop_id: str
    customer_id: str


# --- bearer credentials --------------------------------------------------------------------------------
def _admin(request: HttpRequest) -> Admin:
    from chalicelib.auth.admin import require_admin

    require_admin(request.bearer_token())
    return Admin()


def _owner(request: HttpRequest) -> Shop:
    from chalicelib.auth.owner_keys import authenticate_owner

    return authenticate_owner(get_table(), request.path_params["shop_id"], request.bearer_token())


ADMIN = Authorizer(
    "admin",
    "Authorization: Bearer <admin token>",
    _admin,
    {"missing": 401, "invalid": 401},
    security="bearer",
)
OWNER = Authorizer(
    "owner",
    "Authorization: Bearer <the shop's owner API key>",
    _owner,
    {"missing": 401, "invalid": 401, "other_shop": 403},
    security="bearer",
)


# --- first run: the admin token in the set-up form ----------------------------------------------------
def _admin_form(request: HttpRequest) -> Admin:
    from chalicelib.auth.admin import require_admin

    token = read_form(request).get("admin_token", "").strip()
    require_admin(token or None)  # the same check as POST /shops
    return Admin()


def _setup_refused(request: HttpRequest, refusal: errors.ProofloopError) -> HttpResponse:
    from chalicelib.console.console import setup_form

    kept = {k: v for k, v in read_form(request).items() if k != "admin_token"}
    return setup_form(get_table(), 401, kept, {"admin_token": refusal.message})


ADMIN_FORM = Authorizer(
    "admin-form",
    "the admin token in the set-up form's admin_token field",
    _admin_form,
    {"missing": 401, "invalid": 401},
    refused=_setup_refused,
)


# --- the dashboard ------------------------------------------------------------------------------------
def _sign_in_page(
    request: HttpRequest, error: str | None, status: int = 401, kept: dict[str, str] | None = None
) -> HttpResponse:
    from chalicelib.console.console import SECTIONS
    from chalicelib.console.models import MAX_ITEM
    from chalicelib.web.render import page

    # Signed in, the owner goes on to the section (and the page below it) they asked for: the address's, or
    # after a wrong key the form's again.
    asked = kept if kept is not None else request.path_params
    section = asked.get("section", "")
    item = asked.get("item", "") if section in SECTIONS else ""
    return page(
        "signin.html",
        status=status,
        shop_id=request.path_params["shop_id"],
        error=error,
        section=section if section in SECTIONS else "",
        item=item if len(item) <= MAX_ITEM else "",  # a longer one would make the form refuse the sign-in
    )


def _session_refused(request: HttpRequest) -> HttpResponse:
    """No live session on a console page: the sign-in form, or, when the browser came from another site and
    sent no cookie at all, a page that opens the same address again from ours.

    The session cookie is SameSite=Strict, so a browser holds it back on a navigation another site started: a
    link in an email or a chat, or storage's redirect after an upload without script. The same address opened
    by our own page is a same-site navigation, which carries it; without a session that second look is the
    sign-in form (it is no longer cross-site, so this cannot loop)."""
    from chalicelib.auth.sessions import COOKIE

    navigation = request.header("sec-fetch-mode").lower() == "navigate"
    cross_site = request.header("sec-fetch-site").lower() == "cross-site"
    if request.method == "GET" and navigation and cross_site and request.cookie(COOKIE) is None:
        from chalicelib.web.render import page

        response = page("console_bounce.html", status=200, onward=_same_address(request))
        response.headers["Vary"] = "Cookie, Sec-Fetch-Site, Sec-Fetch-Mode"
        return response
    return _sign_in_page(request, None, status=200)


def _same_address(request: HttpRequest) -> str:
    """The console address asked for, rebuilt from its parsed parts (never echoed from the raw path)."""
    from urllib.parse import quote, urlencode

    from chalicelib.config import get_settings

    params = request.path_params
    parts = ["shops", params["shop_id"], "dashboard", params.get("section", ""), params.get("item", "")]
    path = "/".join(quote(part, safe="") for part in parts if part)
    query = urlencode(request.query)
    return f"{get_settings().base_url}/{path}" + (f"?{query}" if query else "")


def _owner_form(request: HttpRequest) -> Shop:
    from chalicelib.auth.owner_keys import authenticate_owner
    from chalicelib.console.models import DashboardSignIn
    from chalicelib.http import parse_model

    form = parse_model(DashboardSignIn, read_form(request))
    # Read consistently: the session begins in the shop's current generation, even just after a sign-out.
    key = form.api_key.strip() or None
    return authenticate_owner(get_table(), request.path_params["shop_id"], key, consistent=True)


def _session(request: HttpRequest) -> Session:
    from chalicelib.auth.sessions import COOKIE, open_session

    return open_session(get_table(), request.path_params["shop_id"], request.cookie(COOKIE))


def _session_form(request: HttpRequest) -> Session:
    """A form post from the dashboard: the session, and the CSRF token the page put in the form."""
    from chalicelib.auth.csrf import check_csrf

    session = _session(request)
    check_csrf(session.csrf, read_form(request).get("csrf") or None)
    return session


OWNER_FORM = Authorizer(
    "owner-form",
    "the owner API key in the sign-in form's api_key field",
    _owner_form,
    # Every refusal is the sign-in page again: it does not tell a wrong key from another shop's.
    {"missing": 401, "invalid": 401, "other_shop": 401},
    refused=lambda request, _: _sign_in_page(request, "That key does not open this shop.", kept=read_form(request)),
)
SESSION = Authorizer(
    "session",
    "the pl_session cookie of a signed-in owner (ended by sign-out and by a new owner key)",
    _session,
    # Without a live session the dashboard's address shows the sign-in form: a page the owner asked for (200).
    {"missing": 200, "invalid": 200, "ended": 200},
    refused=lambda request, _: _session_refused(request),
)
SESSION_FORM = Authorizer(
    "session-form",
    "the pl_session cookie and the page's CSRF token in the form's csrf field",
    _session_form,
    {"missing": 401, "invalid": 401, "ended": 401, "stale_form": 403},
)


# --- webhooks: the signature over the raw body, before anything is parsed ------------------------------
def _shop_in_path(request: HttpRequest) -> Shop:
    return shops.get_shop_or_404(get_table(), request.path_params["shop_id"])


def _verified(shop: Shop, platform: str, topic: str, verify: Callable[[], None]) -> Shop:
    """Run the signature check; a refusal is counted on the shop's health panel (bounded per topic and hour)."""
    try:
        verify()
    except errors.Unauthorized as refusal:
        from chalicelib.webhook_health import record_refused

        record_refused(get_table(), shop.shop_id, platform, topic, "signature", refusal.message)
        raise
    return shop


def _shopify_hmac(request: HttpRequest) -> Shop:
    from chalicelib.store.shop_records import shop_for_domain
    from chalicelib.webhooks.signatures import verify_base64_hmac

    domain = request.header("x-shopify-shop-domain").strip().lower()
    shop = shop_for_domain(get_table(), domain) if domain else None
    if shop is None:
        # Without a known shop there is no secret to check the signature with.
        raise errors.Unauthorized("unknown X-Shopify-Shop-Domain; cannot verify", code="invalid_signature")
    signature = request.header("x-shopify-hmac-sha256")
    return _verified(
        shop,
        "shopify",
        request.header("x-shopify-topic"),
        lambda: verify_base64_hmac(shop.webhook_secret, request.body, signature),
    )


_WOOCOMMERCE_PING = re.compile(rb"^webhook_id=\d+$")


def _woocommerce_hmac(request: HttpRequest) -> Shop | None:
    """The shop in the path, its signature verified; None for WooCommerce's unsigned ping of a new webhook,
    which carries nothing and is only acknowledged."""
    from chalicelib.webhooks.signatures import verify_base64_hmac

    if _WOOCOMMERCE_PING.match(request.body.strip()):
        return None
    shop = _shop_in_path(request)
    signature = request.header("x-wc-webhook-signature")
    return _verified(
        shop,
        "woocommerce",
        request.header("x-wc-webhook-topic"),
        lambda: verify_base64_hmac(shop.webhook_secret, request.body, signature),
    )


def _standard_webhook(request: HttpRequest) -> Shop:
    from chalicelib.webhook_health import generic_type
    from chalicelib.webhooks.signatures import verify_standard

    shop = _shop_in_path(request)
    return _verified(
        shop,
        "generic",
        generic_type(request.body),
        lambda: verify_standard(
            shop.webhook_secret,
            request.body,
            request.header("webhook-id"),
            request.header("webhook-timestamp"),
            request.header("webhook-signature"),
        ),
    )


SHOPIFY_HMAC = Authorizer(
    "shopify-hmac",
    "X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body under the secret of the shop named by "
    "X-Shopify-Shop-Domain",
    _shopify_hmac,
    {"missing": 401, "invalid": 401, "unknown_shop": 401},
)
WOOCOMMERCE_HMAC = Authorizer(
    "woocommerce-hmac",
    "X-WC-Webhook-Signature: base64 HMAC-SHA256 of the raw body under the secret of the shop in the path "
    "(WooCommerce's webhook_id=<n> ping is acknowledged unsigned and stores nothing)",
    _woocommerce_hmac,
    {"missing": 401, "invalid": 401},
)
STANDARD_WEBHOOK = Authorizer(
    "standard-webhooks",
    "webhook-id, webhook-timestamp (5 minutes' tolerance) and webhook-signature (v1,<base64>) per Standard "
    "Webhooks, under the secret of the shop in the path",
    _standard_webhook,
    {"missing": 401, "invalid": 401, "stale": 401},
)


# --- signed links --------------------------------------------------------------------------------------
def _review_link(token: str) -> ReviewLink:
    from chalicelib.reviews.tokens import read_review_token

    return ReviewLink(token, read_review_token(token))


def _review_link_in_path(request: HttpRequest) -> ReviewLink:
    return _review_link(request.path_params["token"])


def _review_link_in_body(request: HttpRequest) -> ReviewLink:
    """The token field of the submission (JSON or the form); the rest of the body is the handler's."""
    data: Any = read_form(request) if request.media_type == "application/x-www-form-urlencoded" else read_json(request)
    token = data.get("token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise errors.Forbidden("send the review link's token", code="invalid_review")
    return _review_link(token)


def _unsubscribe_link(request: HttpRequest) -> UnsubscribeLink:
    from chalicelib.reviews.tokens import read_unsubscribe_token

    token = request.path_params["token"]
    shop_id, customer_id = read_unsubscribe_token(token)
    return UnsubscribeLink(token, shop_id, customer_id)


def _feed_link(request: HttpRequest) -> Shop:
    from chalicelib.feeds.access import shop_for_token

    return shop_for_token(get_table(), request.path_params["token"])


_LINK_REFUSALS = {"missing": 403, "invalid": 403, "expired": 403}
REVIEW_LINK = Authorizer("review-link", "the signed review link in the path", _review_link_in_path, _LINK_REFUSALS)
REVIEW_LINK_IN_BODY = Authorizer(
    "review-link-in-body",
    "the signed review link's token in the body's token field",
    _review_link_in_body,
    _LINK_REFUSALS,
)
UNSUBSCRIBE_LINK = Authorizer(
    "unsubscribe-link", "the signed unsubscribe link in the path", _unsubscribe_link, _LINK_REFUSALS
)
FEED_LINK = Authorizer(
    "feed-link",
    "the feed's secret URL (its token in the path), as the owner's console shows it",
    _feed_link,
    {"missing": 403, "invalid": 403, "revoked": 403},
)

# name -> authorizer: the route table (chalicelib/routes.py) names each operation's by it
AUTHORIZERS: dict[str, Authorizer[Any]] = {
    a.name: a
    for a in (
        ADMIN,
        ADMIN_FORM,
        OWNER,
        OWNER_FORM,
        SESSION,
        SESSION_FORM,
        SHOPIFY_HMAC,
        WOOCOMMERCE_HMAC,
        STANDARD_WEBHOOK,
        REVIEW_LINK,
        REVIEW_LINK_IN_BODY,
        UNSUBSCRIBE_LINK,
        FEED_LINK,
    )
}
