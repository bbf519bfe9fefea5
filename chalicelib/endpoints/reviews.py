"""Review endpoints: the signed form, submission, unsubscribe, and the owner's moderation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.endpoints.registry import page_limit
from chalicelib.http import FORM, HttpRequest, HttpResponse, json_response, parse_json_body, parse_model, read_form
from chalicelib.shops import service as shops
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.endpoints.authorizers import ReviewLink, UnsubscribeLink
    from chalicelib.store.shop_records import Shop


def _language(buyers: str | None, shop: Shop) -> str:
    """The language of a buyer's page: theirs (as their order names it), else the shop's."""
    from chalicelib.web.languages import buyer_language

    return buyer_language(buyers, shop.settings.language)


def _photo_page_csp() -> str:
    """Our pages' policy, plus our scripts, the photos' origin (img-src) and storage's (the uploads' POST)."""
    from chalicelib.storage.s3 import page_sources
    from chalicelib.web.render import page_csp

    images, uploads = page_sources()
    return page_csp(scripts=True, images=images, connect=uploads)


def review_form(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    from chalicelib.reviews.submission import existing_reviews, load_context
    from chalicelib.web.render import page

    table = get_table()
    ctx = load_context(table, link.token)
    done = existing_reviews(table, ctx)
    titles = {i["product_id"]: i.get("title", "") for i in ctx.order.get("items", [])}
    products = [
        {"product_id": p, "title": titles.get(p, ""), "review": done.get(p), "photos": _photos_of(table, done.get(p))}
        for p in ctx.product_ids
    ]
    first_name = (ctx.order.get("name") or "").split(" ")[0]
    return page(
        "review_form.html",
        language=_language(ctx.order.get("language"), ctx.shop),
        csp=_photo_page_csp(),
        shop_name=ctx.shop.name,
        customer_name=first_name,
        products=products,
        token=ctx.token,
    )


def _photos_of(table: Any, review: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not review or not review.get("photo_ids"):
        return []
    from chalicelib.photos.service import states_of

    return states_of(table, review["shop_id"], review["review_id"], list(review["photo_ids"]))


def submit_review(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    from chalicelib.reviews.models import ReviewSubmission
    from chalicelib.reviews.submission import existing_reviews, load_context, share_offer_for
    from chalicelib.reviews.submission import submit_review as submit

    is_form = request.media_type == FORM
    data: Any = read_form(request) if is_form else None
    if is_form and "photo_ids" in data:  # the form sends the uploaded photos' ids as one field, comma-separated
        data["photo_ids"] = [p for p in data["photo_ids"].split(",") if p]
    submission = parse_model(ReviewSubmission, data) if is_form else parse_json_body(request, ReviewSubmission)
    table = get_table()
    ctx = load_context(table, link.token)  # the token of this same body, verified before it was parsed
    result = submit(table, ctx, submission)
    review = result["review"]
    share = share_offer_for(table, ctx, review)
    photos: list[dict[str, Any]] = []
    if review.get("photo_ids"):
        from chalicelib.photos.service import states_of

        photos = states_of(table, ctx.shop.shop_id, review["review_id"], list(review["photo_ids"]))
    answer = {"review_id": review["review_id"], "status": review["status"], "share": share, "photos": photos}
    status = 200 if result["replayed"] else 201
    if not is_form:
        return json_response(answer, status=status, headers={"Cache-Control": "no-store"})
    from chalicelib.sharing.channels import CHANNEL_NAMES, share_text
    from chalicelib.web.render import page

    reviewed = existing_reviews(table, ctx)
    language = _language(ctx.order.get("language"), ctx.shop)
    prompt = ""
    if share is not None:  # the share prompt is shown: its words, or a running experiment's variant (a unit)
        from chalicelib.experiments.prompt import prompt_words

        prompt = prompt_words(table, ctx.shop, str(ctx.order["customer_id"]), language)
    csp = _photo_page_csp()
    return page(
        "thanks.html",
        csp=csp,
        status=status,
        language=language,
        shop_name=ctx.shop.name,
        review_status=review["status"],
        rating=submission.rating,
        title=submission.title,
        body=submission.body,
        share=share,
        share_prompt=prompt,
        share_text=share_text(review.get("product_title", ""), submission.rating, submission.body, language),
        channel_names=CHANNEL_NAMES,
        token=ctx.token,
        more_to_review=len(reviewed) < len(ctx.product_ids),
        photos=photos,
    )


def _postponed(link: ReviewLink, act: bool) -> HttpResponse:
    from chalicelib.clock import local_day
    from chalicelib.reviews import requests
    from chalicelib.web.render import page

    table = get_table()
    shop = shops.get_shop_or_404(table, link.grant.shop_id)
    answer = requests.postpone if act else requests.postponement
    where = answer(table, shop.shop_id, link.grant.order_id)
    return page(
        "postpone.html",
        language=_language(where.language, shop),
        shop_name=shop.name,
        token=link.token,
        state=where.state,
        next_day=local_day(where.next_at, shop.timezone) if where.next_at else None,
        days=requests.POSTPONE_DAYS,
    )


def postpone_page(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    return _postponed(link, act=False)


def postpone_request(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    return _postponed(link, act=True)


def _unsubscribing(link: UnsubscribeLink) -> tuple[str, str]:
    """The shop's name, and the language of the page: the customer's latest order's, else the shop's."""
    from chalicelib.store import keys

    table = get_table()
    shop = shops.get_shop_or_404(table, link.shop_id)
    customer = table.get(keys.customer_key(link.shop_id, link.customer_id)) or {}
    return shop.name, _language(customer.get("language"), shop)


def unsubscribe_page(request: HttpRequest, link: UnsubscribeLink) -> HttpResponse:
    from chalicelib.web.render import page

    shop_name, language = _unsubscribing(link)
    return page("unsubscribe.html", language=language, shop_name=shop_name, token=link.token, done=False)


def unsubscribe(request: HttpRequest, link: UnsubscribeLink) -> HttpResponse:
    from chalicelib.store import review_requests
    from chalicelib.web.render import page

    shop_name, language = _unsubscribing(link)
    # A customer erased since the email (or never kept) is sent nothing: there is nothing to store.
    review_requests.unsubscribe(get_table(), link.shop_id, link.customer_id, shops.now_iso())
    return page("unsubscribe.html", language=language, shop_name=shop_name, token=link.token, done=True)


def asset(request: HttpRequest) -> HttpResponse:
    from chalicelib.web.render import static_file

    found = static_file(request.path_params["name"])
    if found is None:
        raise errors.NotFound("no such asset")
    content, content_type = found
    return HttpResponse(
        status=200,
        body=content.decode(),
        headers={
            "Content-Type": content_type,
            "Cache-Control": "public, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        },
    )


def list_reviews(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.reviews.owner import list_reviews as listing

    status, cursor = request.query.get("status", "pending"), request.query.get("cursor")
    result = listing(get_table(), shop.shop_id, status, page_limit(request, 50), cursor)
    return json_response(result, headers={"Cache-Control": "no-store"})


def publish_review(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.reviews.owner import publish

    return json_response(publish(get_table(), shop, request.path_params["review_id"]))


def reject_review(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.reviews.owner import reject

    return json_response(reject(get_table(), shop.shop_id, request.path_params["review_id"], shop.platform))


def reply_review(request: HttpRequest, shop: Shop) -> HttpResponse:
    from chalicelib.reviews.models import ReplyBody
    from chalicelib.reviews.owner import reply

    body = parse_json_body(request, ReplyBody)
    return json_response(reply(get_table(), shop, request.path_params["review_id"], body.body))
