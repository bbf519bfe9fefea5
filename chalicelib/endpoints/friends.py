"""The give-get pages: a friend's claim of the offer on an advocate's share link (JSON, or the friend's page's form),
and a buyer's own share page, which their review link signs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.http import FORM, HttpRequest, HttpResponse, json_response, parse_json_body, parse_model, read_form
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.endpoints.authorizers import ReviewLink


def claim_friend_offer(request: HttpRequest) -> HttpResponse:
    from chalicelib.endpoints.sharing import load_share, visitor_of
    from chalicelib.referrals.claims import claim
    from chalicelib.referrals.models import FriendClaimIn
    from chalicelib.referrals.page import friend_language
    from chalicelib.sharing.links import destination

    share, shop, product = load_share(request.path_params["code"])
    if not shop.settings.referral.enabled:
        raise errors.NotFound("this shop has no friend offer", code="program_off")
    is_form = request.media_type == FORM
    target = destination(shop, product, share["code"], "link")
    language = friend_language(request, shop)
    visitor = visitor_of(request)
    try:
        body = parse_model(FriendClaimIn, read_form(request)) if is_form else parse_json_body(request, FriendClaimIn)
        answer = claim(get_table(), shop, share, body.email, visitor, language, target)
    except (errors.ValidationFailed, errors.Conflict, errors.TooManyRequests) as exc:
        if not is_form:
            raise
        from chalicelib.referrals.page import friend_page

        response = friend_page(
            shop, share, target, language, status=exc.status, error=_said(exc, language), visitor=visitor
        )
        if isinstance(exc, errors.TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if not is_form:
        return json_response(answer.as_dict(), headers={"Cache-Control": "no-store"})
    from chalicelib.referrals.page import friend_page

    return friend_page(shop, share, target, language, answer=answer.as_dict(), visitor=visitor)


def _said(exc: errors.ProofloopError, language: str) -> str:
    """A refusal as the friend's page says it, in their language."""
    from chalicelib.web import N_
    from chalicelib.web.i18n import translate

    messages = {
        "invalid_email": N_("Enter one valid email address."),
        "self_referral": N_("This is your own link: share it with a friend."),
        "not_new_customer": N_("This offer is for a first order, and this email has ordered here before."),
        "too_many_claims": N_("Too many codes were asked for from this browser today. Please try again tomorrow."),
    }
    return translate(language, messages.get(exc.code, "Please try again"))


def refer_page(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    from chalicelib.referrals.refer import refer_page as page

    return page(get_table(), link.token)


def head_refer_page(request: HttpRequest, link: ReviewLink) -> HttpResponse:
    from chalicelib.referrals.refer import refer_page as page

    return page(get_table(), link.token, head=True)
