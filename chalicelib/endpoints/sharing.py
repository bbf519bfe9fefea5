"""Share links: a friend's click (or a crawler's preview), and an advocate's share to a channel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.http import HttpRequest, HttpResponse
from chalicelib.routes import CARD_NAME
from chalicelib.sharing.channels import CHANNELS
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop

REDIRECT_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Robots-Tag": "noindex",
}


def load_share(code: str, advocate: bool = False) -> tuple[dict[str, Any], Shop, dict[str, Any] | None]:
    """The code, and its shop and the product it points at: one read, and a second only when this container
    has not read the shop and product lately (they rarely change; see store/recent.py). With `advocate`, the
    code's item gains the language of the advocate (their customer item's) for what they are shown."""
    from chalicelib.sharing.codes import get_code
    from chalicelib.store import keys
    from chalicelib.store.shop_records import Shop

    table = get_table()
    item = get_code(table, code)
    wanted = [keys.shop_key(item["shop_id"])]
    if item.get("product_id"):  # a code made before any review of its customer's points at no product
        wanted.append(keys.product_key(item["shop_id"], item["product_id"]))
    if advocate:
        wanted.append(keys.customer_key(item["shop_id"], item["customer_id"]))
    found = table.get_many_recent(wanted)
    shop_item = next((i for i in found if i.get("type") == "shop"), None)
    if shop_item is None or shop_item.get("redact_requested_at"):
        raise errors.NotFound("no such share link", code="unknown_code")
    product = next((i for i in found if i.get("type") == "product"), None)
    customer = next((i for i in found if i.get("type") == "customer"), None)
    if customer and customer.get("language"):
        item = {**item, "language": customer["language"]}
    return item, Shop.from_item(shop_item), product


def visitor_of(request: HttpRequest) -> str:
    from chalicelib.config import get_settings
    from chalicelib.sharing.visitors import client_address, visitor_id

    address = client_address(request.source_ip, request.header("x-forwarded-for"), get_settings().trusted_proxies)
    return visitor_id(address, request.header("user-agent"))


def _redirect(location: str) -> HttpResponse:
    return HttpResponse(status=302, body="", headers={"Location": location, **REDIRECT_HEADERS})


def follow_share_link(request: HttpRequest) -> HttpResponse:
    from chalicelib.sharing.counting import record_click
    from chalicelib.sharing.links import destination
    from chalicelib.sharing.visitors import agent_kind

    code, shop, product = load_share(request.path_params["code"])
    via = request.query.get("via", "")
    channel = via if via in CHANNELS else "link"
    target = destination(shop, product, code["code"], channel)
    kind = agent_kind(request.header("user-agent"))
    if kind == "preview":
        return _preview_page(code, shop, product, target, visitor_of(request) if request.method == "GET" else None)
    if request.method == "GET" and kind == "browser":
        visitor = visitor_of(request)
        try:
            record_click(get_table(), shop, code, channel, visitor)
        except errors.RetryLater as exc:
            retry = _retry_page(request, exc, target, f"Continue to {shop.name}")
            if retry:
                return retry
        if shop.settings.referral.enabled:  # a give-get program: the friend's page, the click counted all the same
            from chalicelib.referrals.page import count_friend_visit, friend_language, friend_page

            count_friend_visit(get_table(), shop, visitor)  # an offer experiment's unit; no call without one
            return friend_page(shop, code, target, friend_language(request, shop), visitor=visitor)
    return _redirect(target)


RETRIES_BEFORE_CONTINUING = 2


def _retry_page(request: HttpRequest, exc: errors.RetryLater, onward: str | None, label: str) -> HttpResponse | None:
    """The database could not count this visit: a page that retries by itself (so the count is not lost),
    with a link to go on at once. After a few retries, None: the caller sends the visitor on uncounted,
    never stranded."""
    from urllib.parse import urlencode

    from chalicelib.observability import logger
    from chalicelib.web.render import error_page

    attempt = request.query.get("attempt", "0")
    attempt_no = int(attempt) if attempt.isdigit() else 0
    logger.warning("share link visit not counted yet", extra={"attempt": attempt_no, "reason": exc.message})
    if attempt_no >= RETRIES_BEFORE_CONTINUING:
        return None
    query = {k: v for k, v in request.query.items() if k != "attempt"}
    again = "?" + urlencode({**query, "attempt": attempt_no + 1})  # this same link, one attempt later
    response = error_page(
        503, "One moment", "We could not open this link just now.", again, continue_url=onward, continue_label=label
    )
    response.headers.update(REDIRECT_HEADERS)
    return response


def head_share_link(request: HttpRequest) -> HttpResponse:
    return follow_share_link(request)


def _preview_page(
    code: dict[str, Any], shop: Shop, product: dict[str, Any] | None, target: str, visitor: str | None
) -> HttpResponse:
    """The Open Graph page for a crawler. A GET (with its visitor) counts an impression, best effort: a
    failure to count is logged and the page is served all the same."""
    from chalicelib.config import get_settings
    from chalicelib.sharing.codes import card_address, reviewer_label
    from chalicelib.sharing.counting import record_preview
    from chalicelib.web.render import page

    if visitor is not None:
        try:
            record_preview(get_table(), shop, code, visitor)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the crawler still gets its page
            from chalicelib.observability import logger

            logger.warning("link preview not counted", extra={"code": code["code"], "reason": repr(exc)})
    if "rating" in code:
        rating = int(code["rating"])
        subject = code.get("product_title") or shop.name
        title = f"{reviewer_label(code)} rated {subject} {'★' * rating}"
        description = code.get("quote_title") or code.get("quote") or f"A verified review from {shop.name}"
        if code.get("quote_title") and code.get("quote"):
            description = f"{code['quote_title']}: {code['quote']}"
    else:  # a customer's link that carries no review: who recommends the shop, never a rating they did not give
        title = f"{reviewer_label(code)} recommends {shop.name}"
        description = f"A customer of {shop.name} shared this link with you."
    image = product.get("image_url") if product else None
    card = card_address(code)  # the review's own 1200x630 card, drawn by the first request for it
    if card is None and code.get("card_key") and not code.get("redacted"):
        from chalicelib.storage.s3 import get_storage

        card = get_storage().public_url(code["card_key"])  # a card built before cards had versions
    image = card or image
    response = page(
        "preview.html",
        card=bool(card),
        title=title,
        description=description[:300],
        image=image,
        shop_name=shop.name,
        link=f"{get_settings().base_url}/s/{code['code']}",
        destination=target,
    )
    response.headers["Cache-Control"] = "public, max-age=600"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


def share_card(request: HttpRequest) -> HttpResponse:
    """A redirect to the stored card, not its bytes: API Gateway answers binary only to a request whose Accept
    names the type, and crawlers ask for */*; storage (or the CDN before it) serves the PNG with a year's cache."""
    import re

    from chalicelib.photos.cards import card_for_request  # Pillow itself loads only when a card is drawn
    from chalicelib.sharing.codes import card_address
    from chalicelib.storage.s3 import get_storage

    code, _, _ = load_share(request.path_params["code"])
    name = request.path_params["name"]
    if not re.match(CARD_NAME, name):
        raise errors.NotFound("no such card", code="unknown_card")
    storage = get_storage()
    found = card_for_request(get_table(), storage, code, name.removesuffix(".png"))
    if found.key is not None:
        # The stored object's address: a presigned one lives 7 days, a CDN's for good
        return _card_redirect(storage.public_url(found.key), seconds=3600)
    if found.version is None:
        raise errors.NotFound("this share link has no card", code="no_card")
    # An older version's address (a preview cached before the review changed): the card of today's version
    return _card_redirect(str(card_address({"code": code["code"], "card_version": found.version})), seconds=60)


def _card_redirect(location: str, seconds: int) -> HttpResponse:
    return HttpResponse(
        status=302, body="", headers={"Location": location, "Cache-Control": f"public, max-age={seconds}"}
    )


def share_to_channel(request: HttpRequest) -> HttpResponse:
    from chalicelib.config import get_settings
    from chalicelib.sharing.channels import intent_url, post_text
    from chalicelib.sharing.counting import record_share
    from chalicelib.sharing.visitors import agent_kind

    channel = request.path_params["channel"]
    if channel not in CHANNELS:
        raise errors.NotFound(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}", code="unknown_channel")
    from chalicelib.web.languages import buyer_language

    code, shop, product = load_share(request.path_params["code"], advocate=True)
    language = buyer_language(code.get("language"), shop.settings.language)
    link = f"{get_settings().base_url}/s/{code['code']}?via={channel}"
    text = post_text(code, shop.name, language)
    image = product.get("image_url") if product else None
    if agent_kind(request.header("user-agent")) == "browser":
        try:
            record_share(get_table(), shop, code, channel, visitor_of(request))
        except errors.RetryLater as exc:
            onward = None if channel == "copy" else intent_url(channel, link, text, image, language)
            retry = _retry_page(request, exc, onward, "Share anyway")
            if retry:
                return retry
    if channel == "copy":
        from chalicelib.web.render import page, page_csp

        return page("copy_link.html", csp=page_csp(scripts=True), language=language, link=link, shop_name=shop.name)
    return _redirect(intent_url(channel, link, text, image, language))
