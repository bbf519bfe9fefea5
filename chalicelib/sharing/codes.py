"""Share codes: one per customer per shop, short, unguessable and stable; and the share offer."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.sharing.channels import CHANNELS
from chalicelib.store import codes, customers, keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes
CODE_LENGTH = 9  # 55^9 ~ 4.6e15: not guessable by walking /s/
CODE_PREFIX = "pl-"


def new_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def looks_like_code(text: str) -> bool:
    body = text[len(CODE_PREFIX) :]
    return text.startswith(CODE_PREFIX) and len(body) == CODE_LENGTH and all(c in ALPHABET for c in body)


def _preview(review: dict[str, Any]) -> dict[str, Any]:
    return {
        "product_id": review["product_id"],
        "product_title": review.get("product_title") or "",
        "rating": int(review["rating"]),
        "quote": (review.get("body") or "")[:300],
        "quote_title": review.get("title") or "",
        "author": review.get("author") or "",
        "review_id": review["review_id"],
    }


def card_version() -> str:
    """A new version of a code's card. It names the card's address on the link's preview (card_address), so a
    changed review gets a new address and the networks, which keep a preview's picture for days, fetch the new
    card."""
    return secrets.token_hex(8)


def card_mark(code: str) -> dict[str, str]:
    """What a change of a code's card sets on the code: due for the due work (keys.card_due_keys), and a new
    card version (card_version)."""
    return {**keys.card_due_keys(code), "card_version": card_version()}


def card_address(item: dict[str, Any]) -> str | None:
    """Where the link's preview says its card is: our own address for the card's version, whose first request
    draws it (GET /s/{code}/card/{version}.png). None when the code has no card: its customer was erased, or
    its review rejected (or it was marked before cards had versions: the preview names the stored card)."""
    from chalicelib.config import get_settings

    if item.get("redacted") or not item.get("card_version"):
        return None
    return f"{get_settings().base_url}/s/{item['code']}/card/{item['card_version']}.png"


def ensure_share_code(table: Table, shop: Shop, customer: dict[str, Any], review: dict[str, Any]) -> str:
    """The customer's code (made on their first happy review), pointing at their latest happy review."""
    preview = _preview(review)
    code = customer.get("share_code")
    if code:
        # The preview changed: a new card, drawn on its first request or by the due work, whichever comes first.
        codes.repointed(table, code, preview, card_version())
        return str(code)
    return _new_code(table, shop, customer, {"card_version": card_version(), **preview}, card=True)


def ensure_refer_code(table: Table, shop: Shop, customer: dict[str, Any], author: str) -> str:
    """The customer's code whatever they thought of their order, or whether they said: theirs if they have one
    (as it is: a happy review's preview stays), else a new one that previews no review (no product, rating,
    quote or card; `author` is who the friend's page says invites them) until a happy review repoints it. The
    same customer always gets the same code."""
    code = customer.get("share_code")
    if code:
        return str(code)
    return _new_code(table, shop, customer, {"author": author}, card=False)


def _new_code(table: Table, shop: Shop, customer: dict[str, Any], fields: dict[str, Any], card: bool) -> str:
    """A new code for the customer, named on their record in the same transaction; a concurrent maker's code when
    theirs was named first."""
    for _ in range(5):
        code = new_code()
        item = {
            **keys.code_key(code),
            "type": "code",
            "code": code,
            "shop_id": shop.shop_id,
            "customer_id": customer["customer_id"],
            "email_hash": customer.get("email_hash"),
            "created_at": clock.iso(),
            **fields,
        }
        try:
            table.transact(
                [
                    ("code", codes.created_op(table, item, card=card)),
                    ("customer", customers.share_code_op(table, shop.shop_id, customer["customer_id"], code)),
                ]
            )
            return code
        except ConditionFailed as exc:
            if exc.failed("customer"):
                # A concurrent review (or refer page) made the code first: use theirs.
                current = table.get(keys.customer_key(shop.shop_id, customer["customer_id"]), consistent=True)
                if current and current.get("share_code"):
                    return str(current["share_code"])
            # Otherwise the random code was taken (astronomically rare): draw again.
    raise errors.RetryLater("could not make a share code; try again")


NEUTRAL_REVIEWER = "A customer"


def reviewer_label(item: dict[str, Any]) -> str:
    """Who the link's preview says rated the product: never a customer whose data was erased."""
    author = str(item.get("author") or "")
    return NEUTRAL_REVIEWER if item.get("redacted") or not author else author


def share_offer(code: str) -> dict[str, Any]:
    from chalicelib.config import get_settings

    base = get_settings().base_url
    return {
        "code": code,
        "link": f"{base}/s/{code}",
        "channels": {channel: f"{base}/share/{code}/{channel}" for channel in CHANNELS},
    }


def get_code(table: Table, code: str) -> dict[str, Any]:
    item = table.get(keys.code_key(code)) if looks_like_code(code) else None
    if item is None:
        raise errors.NotFound("no such share link", code="unknown_code")
    return item
