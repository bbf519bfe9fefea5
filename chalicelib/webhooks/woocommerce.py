"""WooCommerce webhooks (REST API v3 payloads): typed models of orders and products, and their facts.

An order's facts come from its body: `completed` status fulfils it, the shop's delivered status (a
shipping plugin's, named in its settings) delivers it, `cancelled` cancels it, refunds
are the body's refund entries (or the whole total when the status is `refunded` and it lists none).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from chalicelib import errors
from chalicelib.signing import guest_customer_id
from chalicelib.web.languages import Language, country_language, language_of
from chalicelib.webhooks.common import (
    NULL_IS_EMPTY,
    AddressLine,
    Amount,
    Currency,
    Email,
    Money,
    OptionalId,
    OptionalInstant,
    Payload,
    PersonName,
    PlatformId,
    Title,
    full_name,
    parse_payload,
    translating,
)
from chalicelib.webhooks.events import (
    MAX_CODE_LENGTH,
    MAX_CODES,
    MAX_ITEMS,
    MAX_LANDING_LENGTH,
    MAX_PRODUCT_CODE_LENGTH,
    MAX_REFUNDS,
    MAX_URL_LENGTH,
    Event,
    Ignored,
    Item,
    OrderEvent,
    OrderSnapshot,
    ProductEvent,
    ShippingAddress,
    gtins,
    product_codes,
)

FULFILLED = "completed"
CANCELLED = "cancelled"
REFUNDED = "refunded"
ORDER_TOPICS = {"order.created", "order.updated", "order.restored"}
PRODUCT_TOPICS = {"product.created", "product.updated"}
LANDING_META_KEYS = ("_landing_page", "landing_page", "_proofloop_landing")
# WooCommerce's own order attribution (since 8.5): the page the converting visit began on, and its referrer.
ATTRIBUTION_META_KEYS = ("_wc_order_attribution_session_entry", "_wc_order_attribution_referrer")
# Where multilingual plugins (WPML, Polylang) and others keep the language the buyer ordered in.
LANGUAGE_META_KEYS = ("wpml_language", "_wpml_language", "pll_language", "locale")
REF_META_KEYS = ("ref", "_ref", "proofloop_ref", "_proofloop_ref", "referral")


def _country_code(value: Any) -> str | None:
    """An ISO 3166 alpha-2 code, or None: a country field is free text in some shops, and never refuses an order."""
    if not isinstance(value, str) or len(value.strip()) != 2 or not value.strip().isalpha():
        return None
    return value.strip().upper()


CountryCode = Annotated[str | None, BeforeValidator(_country_code)]


class WooBilling(Payload):
    email: Email = None
    first_name: PersonName = ""
    last_name: PersonName = ""
    country: CountryCode = None


class WooShipping(Payload):
    """Where the order ships (only its keyed hash is kept, for the self-referral rule)."""

    address_1: AddressLine = ""
    address_2: AddressLine = ""
    city: AddressLine = ""
    postcode: AddressLine = ""
    country: AddressLine = ""


class WooMeta(Payload):
    key: str | None = None
    value: Any = None  # plugins keep anything here; only text and numbers are read

    @property
    def text(self) -> str | None:
        if isinstance(self.value, bool) or not isinstance(self.value, (str, int, Decimal)):
            return None
        return str(self.value).strip() or None


class WooLineItem(Payload):
    product_id: OptionalId = None  # 0 when the product was deleted: nothing to review
    name: Title = ""
    quantity: int = Field(default=1, ge=0, le=100_000)
    price: Money = Decimal(0)


class WooCoupon(Payload):
    code: str | None = None


class WooRefund(Payload):
    id: PlatformId
    total: Amount = Decimal(0)  # WooCommerce lists refunds as negative totals


class WooOrder(Payload):
    id: PlatformId
    status: str = Field(min_length=1, max_length=64)
    currency: Currency
    total: Money
    customer_id: OptionalId = None
    billing: WooBilling | None = None
    shipping: WooShipping | None = None
    date_created: OptionalInstant = None
    date_created_gmt: OptionalInstant = None
    date_modified: OptionalInstant = None
    date_modified_gmt: OptionalInstant = None
    date_completed: OptionalInstant = None
    date_completed_gmt: OptionalInstant = None
    meta_data: Annotated[list[WooMeta], NULL_IS_EMPTY] = Field(default_factory=list)
    line_items: Annotated[list[WooLineItem], NULL_IS_EMPTY] = Field(default_factory=list)
    coupon_lines: Annotated[list[WooCoupon], NULL_IS_EMPTY] = Field(default_factory=list)
    refunds: Annotated[list[WooRefund], NULL_IS_EMPTY] = Field(default_factory=list, max_length=MAX_REFUNDS)

    @property
    def created(self) -> datetime:
        """WooCommerce sends local and *_gmt times; the _gmt one, without an offset, is UTC."""
        value = self.date_created_gmt or self.date_created
        if value is None:
            raise errors.ValidationFailed(
                "date_created: required", details=[{"field": "date_created", "problem": "Field required"}]
            )
        return value

    @property
    def modified(self) -> datetime:
        return self.date_modified_gmt or self.date_modified or self.created

    @property
    def completed(self) -> datetime | None:
        return self.date_completed_gmt or self.date_completed


class WooImage(Payload):
    src: str | None = None


class WooBrand(Payload):
    name: str | None = Field(default=None, max_length=255)


# Where WooCommerce and the common product-feed plugins keep a product's GTIN and MPN in its meta_data
# (WooCommerce itself has `global_unique_id` since 9.2, and its own brands since 9.6).
GTIN_META_KEYS = ("_global_unique_id", "_wpm_gtin_code", "hwp_product_gtin", "_gtin", "gtin")
MPN_META_KEYS = ("_mpn", "mpn", "hwp_product_mpn")
BRAND_META_KEYS = ("_brand", "brand")


class WooProduct(Payload):
    id: PlatformId
    name: Title  # every product has one; a body without it is not a product
    permalink: str | None = None
    images: Annotated[list[WooImage], NULL_IS_EMPTY] = Field(default_factory=list)
    sku: str | None = Field(default=None, max_length=255)
    global_unique_id: str | None = Field(default=None, max_length=255)
    brands: Annotated[list[WooBrand], NULL_IS_EMPTY] = Field(default_factory=list, max_length=100)
    meta_data: Annotated[list[WooMeta], NULL_IS_EMPTY] = Field(default_factory=list)
    date_modified: OptionalInstant = None
    date_modified_gmt: OptionalInstant = None


def _kept(codes: list[str]) -> list[str]:
    """Codes that may name an advocate, of a length ours and the pools' can have."""
    return [c for c in codes if c and len(c) <= MAX_CODE_LENGTH][:MAX_CODES]


def _language(billing: WooBilling, meta: dict[str, str]) -> Language | None:
    """The buyer's language: what a multilingual plugin noted on the order, else their billing country's."""
    noted = (language_of(meta.get(key)) for key in LANGUAGE_META_KEYS)
    return next((language for language in noted if language), None) or country_language(billing.country)


def _snapshot(order: WooOrder) -> OrderSnapshot:
    billing = order.billing or WooBilling()
    meta = {m.key: text for m in order.meta_data if m.key and (text := m.text)}
    landing = next((meta[k] for k in LANDING_META_KEYS if meta.get(k)), None)
    attribution = [meta[k] for k in ATTRIBUTION_META_KEYS if meta.get(k)]
    coupons = [c.code or "" for c in order.coupon_lines]
    notes = [meta[k] for k in REF_META_KEYS if meta.get(k)]
    return OrderSnapshot(
        order_id=order.id,
        customer_id=order.customer_id or guest_customer_id(billing.email, order.id),
        email=billing.email,
        name=full_name(billing.first_name, billing.last_name),
        currency=order.currency,
        total=order.total,
        created_at=order.created,
        landing_url=landing if landing and len(landing) <= MAX_LANDING_LENGTH else None,
        discount_codes=_kept(coupons),
        note_codes=_kept(notes),
        attribution_urls=[url for url in attribution if len(url) <= MAX_LANDING_LENGTH],
        items=[
            Item(product_id=line.product_id, title=line.name, quantity=line.quantity, price=line.price)
            for line in order.line_items[:MAX_ITEMS]
            if line.product_id is not None
        ],
        language=_language(billing, meta),
        shipping=_shipping(order.shipping),
    )


def _shipping(address: WooShipping | None) -> ShippingAddress | None:
    if address is None:
        return None
    return ShippingAddress(
        address1=address.address_1,
        address2=address.address_2,
        city=address.city,
        postcode=address.postcode,
        country=address.country,
    )


def _order_event(order: WooOrder, delivered_status: str) -> OrderEvent:
    snapshot = _snapshot(order)
    status = order.status.lower()
    delivered = bool(delivered_status) and status == delivered_status.lower()
    refunds = {r.id: abs(r.total) for r in order.refunds if r.total}
    if status == REFUNDED and not refunds:
        refunds = {f"status-refunded-{snapshot.order_id}": snapshot.total}
    return OrderEvent(
        order_id=snapshot.order_id,
        occurred_at=order.modified,
        snapshot=snapshot,
        fulfilled_at=(order.completed or order.modified) if status == FULFILLED or delivered else None,
        delivered_at=order.modified if delivered else None,
        cancelled_at=order.modified if status == CANCELLED else None,
        refunds=refunds,
    )


def _product_event(product: WooProduct) -> ProductEvent:
    changed = product.date_modified_gmt or product.date_modified
    if changed is None:
        raise errors.ValidationFailed(
            "date_modified: required", details=[{"field": "date_modified", "problem": "Field required"}]
        )
    image = next((i.src for i in product.images if i.src), None)
    permalink = product.permalink or None
    meta = {m.key: text for m in product.meta_data if m.key and (text := m.text)}
    return ProductEvent(
        product_id=product.id,
        title=product.name,
        url=permalink if permalink and len(permalink) <= MAX_URL_LENGTH else None,
        image_url=image if image and len(image) <= MAX_URL_LENGTH else None,
        updated_at=changed,
        skus=product_codes([product.sku]),
        gtins=gtins([product.global_unique_id, *(meta.get(k) for k in GTIN_META_KEYS)]),
        mpns=product_codes([meta.get(k) for k in MPN_META_KEYS]),
        brand=next(
            (
                brand.strip()
                for brand in [*(b.name for b in product.brands), *(meta.get(k) for k in BRAND_META_KEYS)]
                if brand and brand.strip() and len(brand.strip()) <= MAX_PRODUCT_CODE_LENGTH
            ),
            None,
        ),
    )


def to_events(topic: str, body: dict[str, Any], delivered_status: str = "") -> list[Event] | Ignored:
    """The normalized events one WooCommerce delivery stands for. WooCommerce has no delivered status of its
    own: the shop names the one its shipping plugin sets (settings.delivered_status)."""
    topic = topic.strip().lower()
    if topic in ORDER_TOPICS:
        order = parse_payload(WooOrder, body)
        return [translating(lambda: _order_event(order, delivered_status))]
    if topic in PRODUCT_TOPICS:
        product = parse_payload(WooProduct, body)
        return [translating(lambda: _product_event(product))]
    return Ignored(reason=f"topic {topic or '(none)'} is not used")
