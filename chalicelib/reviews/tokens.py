"""Signed links: a review link binds one order of one shop and its products; an unsubscribe link a buyer; a
preview's links only look like them."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import errors, signing

REVIEW_LINK_DAYS = 180
UNSUBSCRIBE_LINK_DAYS = 3 * 365


@dataclass(frozen=True)
class ReviewGrant:
    shop_id: str
    order_id: str
    product_ids: tuple[str, ...]


def review_token(shop_id: str, order_id: str, product_ids: list[str], days: int = REVIEW_LINK_DAYS) -> str:
    return signing.sign("review", {"s": shop_id, "o": order_id, "p": product_ids}, ttl_seconds=days * 86400)


def read_review_token(token: str) -> ReviewGrant:
    """The grant a review link carries; forged, altered or expired links are refused (4xx)."""
    payload = signing.verify("review", token, error=errors.Forbidden)
    try:
        return ReviewGrant(str(payload["s"]), str(payload["o"]), tuple(str(p) for p in payload["p"]))
    except (KeyError, TypeError):
        raise errors.Forbidden("invalid review link", code="invalid_review") from None


def unsubscribe_token(shop_id: str, customer_id: str) -> str:
    return signing.sign("unsubscribe", {"s": shop_id, "c": customer_id}, ttl_seconds=UNSUBSCRIBE_LINK_DAYS * 86400)


def read_unsubscribe_token(token: str) -> tuple[str, str]:
    payload = signing.verify("unsubscribe", token, error=errors.Forbidden)
    try:
        return str(payload["s"]), str(payload["c"])
    except KeyError:
        raise errors.Forbidden("invalid unsubscribe link", code="invalid_unsubscribe") from None


def preview_token(shop_id: str, order_id: str, link: str) -> str:
    """The token of a link in a preview or test email (`link`: review, unsubscribe). Signed for previews only,
    so every buyer's page refuses it: a test email forwarded anywhere cannot review, postpone or unsubscribe
    a real order, and the owner cannot review their own buyer's order from the console."""
    return signing.sign("preview", {"s": shop_id, "o": order_id, "l": link}, ttl_seconds=REVIEW_LINK_DAYS * 86400)
