"""The buyer's own share page (GET /r/{token}/refer): their link, the channels to share it on and what a friend is
offered, in their language.

Every buyer the review link names gets the same page, whether or not they reviewed and whatever they said: the
advocate's reward depends on friends' orders alone, never on a review's rating or text (FTC 16 CFR 465.4). The
buyer's share code is theirs whatever they thought: a happy reviewer's code as it is, else one made here that
previews no review (sharing/codes.py `ensure_refer_code`), the same code every time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import errors

if TYPE_CHECKING:
    from chalicelib.http import HttpResponse
    from chalicelib.reviews.submission import ReviewContext
    from chalicelib.store.table import Table


def referring(table: Table, token: str) -> ReviewContext:
    """The review link's order, shop and buyer, while the shop runs a program; refused as the review form refuses
    a link (an unknown order is 404, an erased one 410), and 404 `program_off` without a program. Reads only."""
    from chalicelib.reviews.submission import load_context

    ctx = load_context(table, token)
    if not ctx.shop.settings.referral.enabled:
        raise errors.NotFound("this shop has no referral program", code="program_off")
    if ctx.customer is None or ctx.customer.get("redacted"):
        raise errors.Gone("this buyer's data was erased at their request", code="order_redacted")
    return ctx


def refer_page(table: Table, token: str, head: bool = False) -> HttpResponse:
    """The page; a HEAD (`head`) answers its headers and makes no code."""
    from chalicelib.referrals.offers import minimum_text, offer_of, offer_text
    from chalicelib.reviews.submission import author_label
    from chalicelib.sharing.channels import CHANNEL_NAMES, recommend_text
    from chalicelib.sharing.codes import ensure_refer_code, share_offer
    from chalicelib.web.languages import buyer_language
    from chalicelib.web.render import page, page_csp

    ctx = referring(table, token)
    shop = ctx.shop
    language = buyer_language(ctx.order.get("language"), shop.settings.language)
    if head:
        from chalicelib.http import HttpResponse

        response = HttpResponse(status=200, body="", headers={"Content-Type": "text/html; charset=utf-8"})
    else:
        assert ctx.customer is not None
        # Who the friend's page says invites them: the buyer's first name and initial, or "A customer".
        name = ctx.order.get("name")
        code = ensure_refer_code(table, shop, ctx.customer, author_label(name) if name else "")
        offer = offer_of(shop)
        response = page(
            "refer.html",
            csp=page_csp(scripts=True),
            language=language,
            shop_name=shop.name,
            share=share_offer(code),
            share_text=recommend_text(shop.name, language),
            channel_names=CHANNEL_NAMES,
            offer=offer_text(offer, language),
            minimum=minimum_text(offer, language),
            terms=shop.settings.referral.terms,
        )
    response.headers["Content-Language"] = language
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
