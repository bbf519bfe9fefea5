"""Codes made by the shop's own store, one per holder: Shopify's `discountCodeBasicCreate`, WooCommerce's coupons.

A holder's code is derived from a keyed hash of (shop, pool, holder), `PL-XXXX-XXXX` in an alphabet without look-alike
characters, so every attempt for one holder asks the store for the same code. The store is asked to create it; an
answer that the code already exists (Shopify's userError TAKEN, WooCommerce's `..._coupon_code_already_exists`) means
an earlier attempt made it and its answer was lost, or a concurrent run made it a moment ago: it is ours, and used.
Once the store has it, it is recorded as the pools record a code handed out (chalicelib/store/made_codes.py), and a
later ask by the same holder reads that record without calling the store. A derived code some other item already
holds (a pool's code, another holder's) is passed over for the holder's next derivation.

The store is called only from the due work (`due_work=True`): in a buyer's request the source answers what is
recorded, or None, and the claim waits for its code as with an empty pool (the `friend_codes` job makes it and sends
it). A failed call is counted on the connection (`note_failure`) and as a metric, then raised for the job to put its
item off (chalicelib/backoff.py), never retried here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors

if TYPE_CHECKING:
    from chalicelib.connections.api import ShopifyApi, StoreApi, WooCommerceApi
    from chalicelib.referrals import Pool
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: a code read out or typed from an email
PREFIX = "PL"
DERIVATIONS = 5  # derived codes tried for one holder when others already hold the first ones
SHOPIFY_TAKEN = "TAKEN"
WOO_TAKEN = "woocommerce_rest_coupon_code_already_exists"
TITLES = {"friend": "Referral: a friend's offer", "advocate": "Referral: an advocate's reward"}

SHOPIFY_CREATE = (
    "mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) { "
    "discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) { "
    "codeDiscountNode { id } userErrors { field code message } } }"
)


@dataclass(frozen=True)
class CodeOffer:
    """What a code takes off: a percent or an amount (the shop's currency), from a minimum order subtotal."""

    type: str  # "percent" | "amount"
    value: str
    minimum_order: str = "0"


def offer_for(shop: Shop, pool: Pool) -> CodeOffer:
    """The offer a pool's code carries by the shop's settings: the friend's offer, or the advocate's reward."""
    program = shop.settings.referral
    if pool == "friend":
        offer = program.friend_offer
        return CodeOffer(offer.type, str(offer.value), str(offer.minimum_order or "0"))
    return CodeOffer(program.advocate_reward.type, str(program.advocate_reward.value))


def derive_code(shop_id: str, pool: str, holder: str, derivation: int = 0) -> str:
    """The holder's code: the same for every attempt, unguessable without the instance's key."""
    from chalicelib.signing import mac

    number = int(mac("store-code", f"{shop_id}\x1f{pool}\x1f{holder}\x1f{derivation}")[:16], 16)
    chars = []
    for _ in range(8):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return f"{PREFIX}-{''.join(chars[:4])}-{''.join(chars[4:])}"


class StoreCodeFailed(Exception):
    """The store did not make the holder's code now; `retryable` when the same call may pass later."""

    def __init__(self, reason: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class StoreSource:
    """A code made by the shop's connected store for each holder, exactly once (see the module's docstring)."""

    table: Table
    due_work: bool = False
    name: str = ""

    def claim(
        self,
        shop: Shop,
        pool: Pool,
        holder: str,
        *,
        email: str | None = None,
        offer: CodeOffer | None = None,
    ) -> str | None:
        from chalicelib.store import made_codes
        from chalicelib.store.referral_codes import held_code

        held = held_code(self.table, shop.shop_id, pool, holder)
        if held is not None or not self.due_work:
            return held  # in a buyer's request the store is never called: the code follows by email
        api = self._api(shop)
        wanted = offer or offer_for(shop, pool)
        for derivation in range(DERIVATIONS):
            code = derive_code(shop.shop_id, pool, holder, derivation)
            self._create(shop, api, pool, code, wanted, email)
            outcome = made_codes.record(self.table, shop.shop_id, pool, holder, code, self.name)
            if outcome == "recorded":
                return code
            if outcome in ("holder_has_one", "conflict"):
                held = held_code(self.table, shop.shop_id, pool, holder)
                if held is not None:
                    return held  # a concurrent run recorded it a moment ago: the same code
                raise errors.RetryLater("the code's record met another write; try again")
            # code_taken: another item holds this code (a pool's, another holder's): the next derivation
        raise StoreCodeFailed(f"{DERIVATIONS} derived codes were all taken", retryable=False)

    def _api(self, shop: Shop) -> StoreApi:
        from chalicelib.connections.api import store_api

        api = store_api(self.table, shop)
        if api is None or api.platform != self.name:
            reason = f"the shop is not connected to its {self.name} store"
            _count(self.table, shop, "not_connected", reason, note=False)
            raise StoreCodeFailed(reason, retryable=False)
        return api

    def _create(self, shop: Shop, api: StoreApi, pool: Pool, code: str, offer: CodeOffer, email: str | None) -> None:
        from chalicelib.connections.api import StoreCallFailed

        try:
            self._make(shop, api, pool, code, offer, email)
        except StoreCallFailed as exc:
            _count(self.table, shop, exc.kind, exc.reason)
            raise StoreCodeFailed(exc.reason, exc.retryable, exc.retry_after) from None

    def _make(self, shop: Shop, api: Any, pool: Pool, code: str, offer: CodeOffer, email: str | None) -> None:
        raise NotImplementedError


def _window(shop: Shop) -> tuple[str, str]:
    now = clock.now()
    return clock.iso(now), clock.iso(now + timedelta(days=shop.settings.attribution_window_days))


def _count(table: Table, shop: Shop, kind: str, reason: str, *, note: bool = True) -> None:
    from chalicelib.connections.api import record_failure

    record_failure(table, shop.shop_id, "discount code", kind, reason, note=note)


@dataclass(frozen=True)
class ShopifySource(StoreSource):
    """Shopify's amount-off code discount: the offer's value on every item, one use, once per customer, from now
    until the end of the shop's attribution window."""

    name: str = "shopify"

    def _make(self, shop: Shop, api: ShopifyApi, pool: Pool, code: str, offer: CodeOffer, email: str | None) -> None:
        from chalicelib.connections.api import StoreCallFailed

        data = api.graphql(SHOPIFY_CREATE, {"basicCodeDiscount": shopify_input(shop, pool, code, offer)})
        payload = data.get("discountCodeBasicCreate")
        if not isinstance(payload, dict):
            raise StoreCallFailed("unexpected", "Shopify's answer had no discountCodeBasicCreate")
        problems = [p for p in payload.get("userErrors") or [] if isinstance(p, dict)]
        if not problems:
            if not payload.get("codeDiscountNode"):
                raise StoreCallFailed("unexpected", "Shopify made no discount and said nothing why")
            return
        if any(p.get("code") == SHOPIFY_TAKEN for p in problems):
            return  # an earlier attempt (or a concurrent run) made this code: it is ours
        said = "; ".join(f"{p.get('code') or ''} {p.get('message') or ''}".strip() for p in problems)
        raise StoreCallFailed("unexpected", f"Shopify refused the discount: {said[:200]}")


def shopify_input(shop: Shop, pool: Pool, code: str, offer: CodeOffer) -> dict[str, Any]:
    """The DiscountCodeBasicInput of a holder's code (Admin API 2026-10: `context` says who may use it)."""
    starts, ends = _window(shop)
    value: dict[str, Any]
    if offer.type == "percent":
        value = {"percentage": float(Decimal(offer.value) / 100)}
    else:
        value = {"discountAmount": {"amount": str(Decimal(offer.value)), "appliesOnEachItem": False}}
    basic: dict[str, Any] = {
        "title": f"{TITLES.get(pool, 'Referral')} ({code})",
        "code": code,
        "startsAt": starts,
        "endsAt": ends,
        "context": {"all": "ALL"},
        "customerGets": {"value": value, "items": {"all": True}},
        "usageLimit": 1,
        "appliesOncePerCustomer": True,
    }
    if Decimal(offer.minimum_order or "0") > 0:
        basic["minimumRequirement"] = {"subtotal": {"greaterThanOrEqualToSubtotal": str(Decimal(offer.minimum_order))}}
    return basic


@dataclass(frozen=True)
class WooCommerceSource(StoreSource):
    """A WooCommerce coupon: the offer's value off the cart, one use, restricted to the holder's mailbox when it is
    known, expiring with the shop's attribution window."""

    name: str = "woocommerce"

    def _make(
        self, shop: Shop, api: WooCommerceApi, pool: Pool, code: str, offer: CodeOffer, email: str | None
    ) -> None:
        from chalicelib.connections.api import StoreCallFailed

        status, body = api.request("POST", "/coupons", woocommerce_coupon(shop, pool, code, offer, email))
        if status in (200, 201):
            return
        said = body if isinstance(body, dict) else {}
        if said.get("code") == WOO_TAKEN:
            return  # an earlier attempt (or a concurrent run) made this code: it is ours
        message = str(said.get("message") or said.get("code") or f"status {status}")
        raise StoreCallFailed("unexpected", f"WooCommerce refused the coupon ({status}): {message[:200]}")


def woocommerce_coupon(shop: Shop, pool: Pool, code: str, offer: CodeOffer, email: str | None) -> dict[str, Any]:
    """The coupon of a holder's code (wc/v3 POST /coupons)."""
    _, ends = _window(shop)
    coupon: dict[str, Any] = {
        "code": code,
        "discount_type": "percent" if offer.type == "percent" else "fixed_cart",
        "amount": str(offer.value),
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "date_expires_gmt": ends.removesuffix("Z")[:19],
        "description": TITLES.get(pool, "Referral"),
    }
    if email:
        coupon["email_restrictions"] = [email.lower()]  # WooCommerce compares them in lower case
    if Decimal(offer.minimum_order or "0") > 0:
        coupon["minimum_amount"] = str(offer.minimum_order)
    return coupon
