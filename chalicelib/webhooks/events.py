"""The normalized events every adapter produces and the intake applies."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.web.languages import Language

# Bounds that keep an order's item far below DynamoDB's 400 KB whatever a storefront sends.
MAX_ITEMS = 80  # lines kept of an order (each ~0.5 KB at most)
MAX_CODES = 20  # discount codes and note attributes that may name a referrer
MAX_CODE_LENGTH = 64  # our share codes are 12 characters; longer codes cannot be ours
MAX_URL_LENGTH = 2000
MAX_REFUNDS = 100  # refunds one delivery may list (an order keeps at most orders.planner.MAX_REFUNDS_PER_ORDER)
MAX_LANDING_LENGTH = 4000  # a landing URL carries the ref code among tracking parameters
MAX_ATTRIBUTION_URLS = 2  # WooCommerce's order attribution: the session's entry page and its referrer
MAX_PRODUCT_CODES = 20  # SKUs, GTINs or MPNs kept per product (one per variant, the first variants)
MAX_PRODUCT_CODE_LENGTH = 70  # what Google's feeds take for an SKU or an MPN


def product_codes(values: list[str | None]) -> list[str]:
    """Distinct non-empty codes, in their first order, at most MAX_PRODUCT_CODES of sane length."""
    kept: list[str] = []
    for value in values:
        code = (value or "").strip()
        if code and len(code) <= MAX_PRODUCT_CODE_LENGTH and code not in kept and code.isprintable():
            kept.append(code)
    return kept[:MAX_PRODUCT_CODES]


def gtin(value: str | None) -> str | None:
    """A GTIN (8, 12, 13 or 14 digits, spaces and hyphens dropped) whose check digit is right, or None:
    a barcode field holds anything an owner typed, and Google refuses a product with a wrong GTIN."""
    digits = "".join(c for c in (value or "") if c not in " -")
    if len(digits) not in (8, 12, 13, 14) or not digits.isdigit():
        return None
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return digits if (10 - total % 10) % 10 == check else None


def gtins(values: list[str | None]) -> list[str]:
    return product_codes([gtin(v) for v in values])


class Item(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True, str_strip_whitespace=True)

    product_id: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=300)
    quantity: int = Field(default=1, ge=0, le=100_000)
    price: Decimal = Field(default=Decimal(0), ge=0, le=Decimal("100000000"))
    url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    image_url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    # What identifies the product in Google's product review feed (generic senders name them per item).
    sku: str | None = Field(default=None, max_length=MAX_PRODUCT_CODE_LENGTH)
    gtin: str | None = Field(default=None, max_length=MAX_PRODUCT_CODE_LENGTH)
    mpn: str | None = Field(default=None, max_length=MAX_PRODUCT_CODE_LENGTH)
    brand: str | None = Field(default=None, max_length=MAX_PRODUCT_CODE_LENGTH)

    @property
    def identified(self) -> bool:
        return any((self.url, self.image_url, self.sku, self.gtin, self.mpn, self.brand))


MAX_ADDRESS_LENGTH = 255  # Shopify's and WooCommerce's own bound of an address field
_SEPARATORS = re.compile(r"[\W_]+")  # runs of white space and punctuation


def _address_text(value: str) -> str:
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", value).lower()).strip()


class ShippingAddress(BaseModel):
    """Where an order ships, as read from the platform's body: only ever kept as its keyed hash (`shipping_hash`),
    which the self-referral rule compares; the address itself is never stored."""

    model_config = ConfigDict(coerce_numbers_to_str=True, str_strip_whitespace=True)

    address1: str = Field(default="", max_length=MAX_ADDRESS_LENGTH)
    address2: str = Field(default="", max_length=MAX_ADDRESS_LENGTH)
    city: str = Field(default="", max_length=MAX_ADDRESS_LENGTH)
    postcode: str = Field(default="", max_length=MAX_ADDRESS_LENGTH)
    country: str = Field(default="", max_length=MAX_ADDRESS_LENGTH)

    def normalised(self) -> str | None:
        """The address as one text, however it was typed: lower case, runs of white space and punctuation one space,
        the country upper-cased; None without a street line (a city alone is no one's address)."""
        street = _address_text(f"{self.address1} {self.address2}")
        if not street:
            return None
        parts = [street, _address_text(self.city), _address_text(self.postcode), self.country.strip().upper()]
        return "|".join(parts)

    def keyed_hash(self) -> str | None:
        from chalicelib.signing import keyed_hash

        text = self.normalised()
        return keyed_hash("shipping", text) if text else None


class OrderSnapshot(BaseModel):
    """What we keep of an order: enough to ask for a review and to attribute it."""

    model_config = ConfigDict(coerce_numbers_to_str=True, str_strip_whitespace=True)

    order_id: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=128)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    total: Decimal = Field(ge=0, le=Decimal("100000000"))
    created_at: datetime
    landing_url: str | None = Field(default=None, max_length=MAX_LANDING_LENGTH)
    # What may name a referrer, each kept apart: which one named the advocate is the referral's signal.
    discount_codes: list[Annotated[str, Field(max_length=MAX_CODE_LENGTH)]] = Field(
        default_factory=list, max_length=MAX_CODES, description="the discount codes the buyer applied"
    )
    note_codes: list[Annotated[str, Field(max_length=MAX_CODE_LENGTH)]] = Field(
        default_factory=list, max_length=MAX_CODES, description="note attributes (or order meta) naming a referrer"
    )
    attribution_urls: list[Annotated[str, Field(max_length=MAX_LANDING_LENGTH)]] = Field(
        default_factory=list,
        max_length=MAX_ATTRIBUTION_URLS,
        description="the platform's own order attribution: the visit's entry page, its referrer",
    )
    items: list[Item] = Field(default_factory=list, max_length=MAX_ITEMS)
    language: Language | None = Field(default=None, description="the buyer's language, when the order names ours")
    shipping: ShippingAddress | None = Field(default=None, description="where it ships: kept as a keyed hash only")

    @property
    def codes(self) -> list[str]:
        """Every code the order names as typed (discount codes, then notes): what the order keeps."""
        return [*self.discount_codes, *self.note_codes]

    @property
    def shipping_hash(self) -> str | None:
        """The shipping address as kept: its keyed hash, or None without one."""
        return self.shipping.keyed_hash() if self.shipping else None

    @property
    def entry_url(self) -> str | None:
        """Where the buyer's visit began, as the storefront says: its landing URL, else its attribution's entry."""
        return self.landing_url or next(iter(self.attribution_urls), None)

    @field_validator("email", mode="before")
    @classmethod
    def _one_mailbox(cls, value: object) -> str | None:
        """What is kept and written to: one normalized mailbox, or None (nobody to ask; the order still counts)."""
        from chalicelib.mail.mailbox import mailbox

        return mailbox(value)


class OrderEvent(BaseModel):
    """Something happened to one order: it became known, was fulfilled, delivered, cancelled or refunded."""

    kind: Literal["order"] = "order"
    order_id: str
    occurred_at: datetime
    snapshot: OrderSnapshot | None = None
    fulfilled_at: datetime | None = None
    delivered_at: datetime | None = None  # the carrier delivered it (what review_after=delivery waits for)
    cancelled_at: datetime | None = None
    refunds: dict[str, Decimal] = Field(default_factory=dict, description="refund id -> amount")


class ProductEvent(BaseModel):
    kind: Literal["product"] = "product"
    product_id: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=300)
    url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    image_url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    updated_at: datetime
    skus: list[str] = Field(default_factory=list, max_length=MAX_PRODUCT_CODES)
    gtins: list[str] = Field(default_factory=list, max_length=MAX_PRODUCT_CODES)
    mpns: list[str] = Field(default_factory=list, max_length=MAX_PRODUCT_CODES)
    brand: str | None = Field(default=None, max_length=MAX_PRODUCT_CODE_LENGTH)


class CustomerRedactEvent(BaseModel):
    kind: Literal["customer_redact"] = "customer_redact"
    customer_id: str | None = None
    email: str | None = None
    order_ids: list[str] = Field(default_factory=list)


class ShopRedactEvent(BaseModel):
    kind: Literal["shop_redact"] = "shop_redact"


class DataRequestEvent(BaseModel):
    kind: Literal["data_request"] = "data_request"
    request_id: str
    customer_id: str | None = None
    email: str | None = None
    order_ids: list[str] = Field(default_factory=list)


Event = OrderEvent | ProductEvent | CustomerRedactEvent | ShopRedactEvent | DataRequestEvent


class Ignored(BaseModel):
    """A delivery we acknowledge and do nothing with (a topic we do not use, a ping)."""

    reason: str
