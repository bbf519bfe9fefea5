"""Review endpoints: the signed form, submission, unsubscribe, and the owner's moderation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import errors, models, shops
from chalicelib.endpoints.registry import PAGE_LIMIT, operation
from chalicelib.http import HttpRequest, HttpResponse, json_response, parse_json_body, parse_model, read_form
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.store.shops import Shop

FORM = "application/x-www-form-urlencoded"


@operation(
    "GET",
    "/r/{token}",
    summary="The review form for one order (HTML; the link is signed)",
    tag="reviews",
    auth="token",
    responses={200: "text/html", 410: models.ErrorBody},
    page=True,
)
def review_form(request: HttpRequest) -> HttpResponse:
    from chalicelib.reviews.submission import existing_reviews, load_context
    from chalicelib.web.render import page

    table = get_table()
    ctx = load_context(table, request.path_params["token"])
    done = existing_reviews(table, ctx)
    titles = {i["product_id"]: i.get("title", "") for i in ctx.order.get("items", [])}
    products = [{"product_id": p, "title": titles.get(p, ""), "review": done.get(p)} for p in ctx.product_ids]
    first_name = (ctx.order.get("name") or "").split(" ")[0]
    return page(
        "review_form.html", shop_name=ctx.shop.name, customer_name=first_name, products=products, token=ctx.token
    )


@operation(
    "POST",
    "/reviews",
    summary="Submit a review (JSON, or the form)",
    tag="reviews",
    auth="token",
    body=models.ReviewSubmission,
    form=True,
    responses={201: models.ReviewCreated, 200: models.ReviewCreated, 410: models.ErrorBody},
    page=True,
)
def submit_review(request: HttpRequest) -> HttpResponse:
    from chalicelib.reviews.submission import existing_reviews, load_context, share_offer_for
    from chalicelib.reviews.submission import submit_review as submit

    is_form = request.media_type == FORM
    data: Any = read_form(request) if is_form else None
    submission = (
        parse_model(models.ReviewSubmission, data) if is_form else parse_json_body(request, models.ReviewSubmission)
    )
    table = get_table()
    ctx = load_context(table, submission.token)
    result = submit(table, ctx, submission)
    review = result["review"]
    share = share_offer_for(table, ctx, review)
    answer = {"review_id": review["review_id"], "status": review["status"], "share": share}
    status = 200 if result["replayed"] else 201
    if not is_form:
        return json_response(answer, status=status, headers={"Cache-Control": "no-store"})
    from chalicelib.sharing.channels import CHANNEL_NAMES, share_text
    from chalicelib.web.render import PAGE_CSP, page

    reviewed = existing_reviews(table, ctx)
    csp = PAGE_CSP.replace("default-src 'none';", "default-src 'none'; script-src 'self';")
    return page(
        "thanks.html",
        csp=csp,
        status=status,
        shop_name=ctx.shop.name,
        review_status=review["status"],
        rating=submission.rating,
        title=submission.title,
        body=submission.body,
        share=share,
        share_text=share_text(review.get("product_title", ""), submission.rating, submission.body),
        channel_names=CHANNEL_NAMES,
        token=ctx.token,
        more_to_review=len(reviewed) < len(ctx.product_ids),
    )


def _unsubscribe_context(token: str) -> tuple[str, str, str]:
    from chalicelib.reviews.tokens import read_unsubscribe_token

    shop_id, customer_id = read_unsubscribe_token(token)
    shop = shops.get_shop_or_404(get_table(), shop_id)
    return shop_id, customer_id, shop.name


@operation(
    "GET",
    "/u/{token}",
    summary="Confirm stopping review emails (HTML)",
    tag="reviews",
    auth="token",
    responses={200: "text/html"},
    page=True,
)
def unsubscribe_page(request: HttpRequest) -> HttpResponse:
    from chalicelib.web.render import page

    _, _, shop_name = _unsubscribe_context(request.path_params["token"])
    return page("unsubscribe.html", shop_name=shop_name, token=request.path_params["token"], done=False)


@operation(
    "POST",
    "/u/{token}",
    summary="Stop review emails (one-click, RFC 8058)",
    tag="reviews",
    auth="token",
    responses={200: "text/html"},
    page=True,
)
def unsubscribe(request: HttpRequest) -> HttpResponse:
    from chalicelib.store import keys
    from chalicelib.web.render import page

    shop_id, customer_id, shop_name = _unsubscribe_context(request.path_params["token"])
    get_table().update(
        keys.customer_key(shop_id, customer_id),
        "SET unsubscribed = :t, unsubscribed_at = if_not_exists(unsubscribed_at, :now)",
        values={":t": True, ":now": shops.now_iso()},
        condition="attribute_exists(PK)",
    )
    return page("unsubscribe.html", shop_name=shop_name, token=request.path_params["token"], done=True)


@operation(
    "GET",
    "/assets/{name}",
    summary="Stylesheets and scripts of our pages",
    tag="reviews",
    responses={200: ("text/css", "text/javascript")},
)
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


def _owner(request: HttpRequest) -> str:
    return _owner_shop(request).shop_id


def _owner_shop(request: HttpRequest) -> Shop:
    return shops.authenticate_owner(get_table(), request.path_params["shop_id"], request.bearer_token())


@operation(
    "GET",
    "/shops/{shop_id}/reviews",
    summary="Reviews waiting for the owner (status=pending)",
    tag="moderation",
    auth="owner",
    responses={200: models.ReviewList},
    query={"status": "pending (default)", "limit": "1-100, default 50", "cursor": "from the last page"},
    params={"status": {"type": "string", "enum": ["pending"]}, **PAGE_LIMIT},
)
def list_reviews(request: HttpRequest) -> HttpResponse:
    from chalicelib.endpoints.reports import page_limit
    from chalicelib.reviews.owner import list_reviews as listing

    shop_id = _owner(request)
    limit = page_limit(request, 50)
    result = listing(get_table(), shop_id, request.query.get("status", "pending"), limit, request.query.get("cursor"))
    return json_response(result, headers={"Cache-Control": "no-store"})


@operation(
    "POST",
    "/shops/{shop_id}/reviews/{review_id}/publish",
    summary="Publish a pending or rejected review",
    tag="moderation",
    auth="owner",
    responses={200: models.ReviewView},
)
def publish_review(request: HttpRequest) -> HttpResponse:
    from chalicelib.reviews.owner import publish

    return json_response(publish(get_table(), _owner_shop(request), request.path_params["review_id"]))


@operation(
    "POST",
    "/shops/{shop_id}/reviews/{review_id}/reject",
    summary="Reject a review (it is never shown)",
    tag="moderation",
    auth="owner",
    responses={200: models.ReviewView},
)
def reject_review(request: HttpRequest) -> HttpResponse:
    from chalicelib.reviews.owner import reject

    return json_response(reject(get_table(), _owner(request), request.path_params["review_id"]))


@operation(
    "POST",
    "/shops/{shop_id}/reviews/{review_id}/reply",
    summary="Reply in public; shown with the review",
    tag="moderation",
    auth="owner",
    body=models.ReplyBody,
    responses={200: models.ReviewView},
)
def reply_review(request: HttpRequest) -> HttpResponse:
    from chalicelib.reviews.owner import reply

    shop_id = _owner(request)
    body = parse_json_body(request, models.ReplyBody)
    return json_response(reply(get_table(), shop_id, request.path_params["review_id"], body.body))
