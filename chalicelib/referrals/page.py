"""The friend's page: what a browser following a share link sees while the shop runs a give-get program."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.http import HttpRequest, HttpResponse
    from chalicelib.store.shop_records import Shop


def friend_page(
    shop: Shop,
    share: dict[str, Any],
    continue_url: str,
    language: str,
    *,
    status: int = 200,
    answer: dict[str, Any] | None = None,
    error: str | None = None,
    visitor: str | None = None,
) -> HttpResponse:
    """Who invites the friend (their first name, "A customer" once erased), their stars and words, the offer, and
    the form to claim it (or, after the claim, the code and where to use it); always a way on without it."""
    from chalicelib.referrals.offers import minimum_text, offer_of, offer_text
    from chalicelib.sharing.codes import NEUTRAL_REVIEWER, reviewer_label
    from chalicelib.web.i18n import translate
    from chalicelib.web.render import page

    if visitor is not None and shop.experiments:  # a running offer experiment: the visitor's variant's offer
        from chalicelib.experiments.assignment import offer_assignment, offer_values, with_offers

        shop = with_offers(shop, offer_values(shop, offer_assignment(shop, visitor)))
    offer = offer_of(shop)
    label = reviewer_label(share)
    reviewer = translate(language, NEUTRAL_REVIEWER) if label == NEUTRAL_REVIEWER else label.split(" ")[0]
    response = page(
        "friend.html",
        status=status,
        language=language,
        reviewer=reviewer,
        shop_name=shop.name,
        # A link that carries no review (its customer refers friends without one) shows no stars and no words.
        rating=max(1, min(5, int(share["rating"]))) if "rating" in share else None,
        quote_title=share.get("quote_title"),
        quote=share.get("quote"),
        offer=offer_text(offer, language),
        minimum=minimum_text(offer, language),
        terms=shop.settings.referral.terms,
        code=share["code"],
        continue_url=continue_url,
        answer=answer,
        error=error,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def friend_language(request: HttpRequest, shop: Shop) -> str:
    """The friend's language: their browser's first of ours, else the shop's."""
    from chalicelib.web.languages import accepted_language, buyer_language

    return buyer_language(accepted_language(request.header("accept-language") or ""), shop.settings.language)


def count_friend_visit(table: Any, shop: Shop, visitor: str) -> None:
    """While an offer experiment runs, the friend's visitor is its unit: counted once per experiment (one more call,
    none without an experiment). Best effort: the page is served all the same, and the claim counts it too."""
    if not shop.experiments:  # most shops: nothing to count, nothing more loaded
        return
    from chalicelib.experiments.assignment import closes, offer_assignment

    assigned = offer_assignment(shop, visitor)
    if not assigned:
        return
    from chalicelib import clock
    from chalicelib.store.experiments import count_units

    at = clock.iso()
    try:
        count_units(table, shop.shop_id, assigned, visitor, at, closes(shop, assigned, at))
    except Exception as exc:  # noqa: BLE001 - the friend still gets the page
        from chalicelib.observability import logger

        logger.warning("offer experiment's unit not counted", extra={"shop_id": shop.shop_id, "reason": repr(exc)})
