"""The normalized events every adapter produces and the intake applies."""

from __future__ import annotations

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


class Item(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True, str_strip_whitespace=True)

    product_id: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=300)
    quantity: int = Field(default=1, ge=0, le=100_000)
    price: Decimal = Field(default=Decimal(0), ge=0, le=Decimal("100000000"))
    url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    image_url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)


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
    codes: list[Annotated[str, Field(max_length=MAX_CODE_LENGTH)]] = Field(
        default_factory=list, max_length=MAX_CODES, description="discount codes and note attributes naming a referrer"
    )
    items: list[Item] = Field(default_factory=list, max_length=MAX_ITEMS)
    language: Language | None = Field(default=None, description="the buyer's language, when the order names ours")

    @field_validator("email")
    @classmethod
    def _plain_email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if "@" not in value or any(c.isspace() for c in value):
            raise ValueError("not an email address")
        return value


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
