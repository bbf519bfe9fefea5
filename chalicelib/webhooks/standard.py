"""Our own normalized order events, delivered per the Standard Webhooks spec."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from chalicelib.signing import guest_customer_id
from chalicelib.webhooks.common import MAX_AMOUNT, BuyerLanguage, Email, Instant, OptionalInstant
from chalicelib.webhooks.events import (
    MAX_ADDRESS_LENGTH,
    MAX_CODE_LENGTH,
    MAX_CODES,
    MAX_ITEMS,
    MAX_LANDING_LENGTH,
    CustomerRedactEvent,
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


class GenericShippingAddress(BaseModel):
    """Where the order ships: only its keyed hash is kept (the self-referral rule compares it)."""

    model_config = ConfigDict(coerce_numbers_to_str=True, str_strip_whitespace=True)

    address1: str = Field(default="", max_length=MAX_ADDRESS_LENGTH, description="the street line")
    address2: str = Field(default="", max_length=MAX_ADDRESS_LENGTH)
    city: str = Field(default="", max_length=MAX_ADDRESS_LENGTH)
    zip: str = Field(default="", max_length=MAX_ADDRESS_LENGTH, description="the postal code")
    country: str = Field(default="", max_length=MAX_ADDRESS_LENGTH, description="ISO 3166 alpha-2 code (US, FR)")


class GenericOrderData(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True, str_strip_whitespace=True)

    order_id: str = Field(min_length=1, max_length=64)
    customer_id: str | None = Field(default=None, max_length=128)
    email: Email = Field(
        default=None, description="the buyer's one address; anything else (a list, a name with it) asks nobody"
    )
    name: str | None = Field(default=None, max_length=200)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    total: Decimal = Field(ge=0, le=Decimal("100000000"))
    created_at: OptionalInstant = None
    landing_url: str | None = Field(default=None, max_length=MAX_LANDING_LENGTH)
    discount_codes: list[Annotated[str, Field(max_length=MAX_CODE_LENGTH)]] = Field(
        default_factory=list, max_length=MAX_CODES
    )
    items: list[Item] = Field(default_factory=list, max_length=MAX_ITEMS)
    amount: Decimal | None = Field(default=None, ge=0, le=MAX_AMOUNT, description="refunded amount (order.refunded)")
    refund_id: str | None = Field(default=None, max_length=128)
    locale: BuyerLanguage = Field(
        default=None,
        description="the buyer's locale (fr, fr-CA, pt_BR); emails and pages use its language when it is en, es, fr, "
        "de or pt, else the shop's",
    )
    shipping_address: GenericShippingAddress | None = Field(
        default=None, description="where the order ships; kept only as a keyed hash, for the self-referral rule"
    )


class GenericRedactData(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)

    customer_id: str | None = Field(default=None, max_length=128)
    email: Email = None


class GenericEnvelope(BaseModel):
    """The body of a generic webhook: `{"type", "timestamp", "data"}`."""

    type: Literal[
        "order.created",
        "order.fulfilled",
        "order.delivered",
        "order.refunded",
        "order.cancelled",
        "customer.redact",
        "webhook.test",
    ]
    timestamp: Instant
    data: dict[str, Any]


class GenericOrderEvent(BaseModel):
    """An order became known, was fulfilled, delivered, refunded or cancelled."""

    type: Literal["order.created", "order.fulfilled", "order.delivered", "order.refunded", "order.cancelled"]
    timestamp: Instant
    data: GenericOrderData


class GenericRedactEvent(BaseModel):
    """Erase what is kept about one buyer."""

    type: Literal["customer.redact"]
    timestamp: Instant
    data: GenericRedactData


class GenericTestEvent(BaseModel):
    """A signed test delivery (the console sends one): acknowledged, and it changes nothing but the health panel."""

    type: Literal["webhook.test"]
    timestamp: Instant
    data: dict[str, Any] = Field(default_factory=dict)


class GenericWebhookBody(RootModel[GenericOrderEvent | GenericRedactEvent | GenericTestEvent]):
    """The body of a generic webhook, as OpenAPI describes it (GenericEnvelope reads it in two steps)."""


def _shipping(address: GenericShippingAddress | None) -> ShippingAddress | None:
    if address is None:
        return None
    return ShippingAddress(
        address1=address.address1,
        address2=address.address2,
        city=address.city,
        postcode=address.zip,
        country=address.country,
    )


def to_events(body: dict[str, Any]) -> list[Event] | Ignored:
    from chalicelib.http import validation_failed

    try:
        envelope = GenericEnvelope.model_validate(body)
        if envelope.type == "webhook.test":
            return Ignored(reason="test event: signature and body accepted")
        if envelope.type == "customer.redact":
            redact = GenericRedactData.model_validate(envelope.data)
            return [CustomerRedactEvent(customer_id=redact.customer_id, email=redact.email)]
        data = GenericOrderData.model_validate(envelope.data)
        snapshot = OrderSnapshot(
            order_id=data.order_id,
            customer_id=data.customer_id or guest_customer_id(data.email, data.order_id),
            email=data.email,
            name=data.name,
            currency=data.currency,
            total=data.total,
            created_at=data.created_at or envelope.timestamp,
            landing_url=data.landing_url,
            discount_codes=data.discount_codes,
            items=data.items,
            language=data.locale,
            shipping=_shipping(data.shipping_address),
        )
    except ValidationError as exc:
        raise validation_failed(exc) from None
    refunds: dict[str, Decimal] = {}
    if envelope.type == "order.refunded":
        amount = data.total if data.amount is None else data.amount
        refund_id = data.refund_id or f"{envelope.timestamp.isoformat()}:{amount}"
        refunds[refund_id] = amount
    events: list[Event] = [
        OrderEvent(
            order_id=data.order_id,
            occurred_at=envelope.timestamp,
            snapshot=snapshot,
            fulfilled_at=envelope.timestamp if envelope.type in ("order.fulfilled", "order.delivered") else None,
            delivered_at=envelope.timestamp if envelope.type == "order.delivered" else None,
            cancelled_at=envelope.timestamp if envelope.type == "order.cancelled" else None,
            refunds=refunds,
        )
    ]
    events += [
        ProductEvent(
            product_id=i.product_id,
            title=i.title,
            url=i.url,
            image_url=i.image_url,
            updated_at=envelope.timestamp,
            skus=product_codes([i.sku]),
            gtins=gtins([i.gtin]),
            mpns=product_codes([i.mpn]),
            brand=(i.brand or "").strip() or None,
        )
        for i in data.items
        if i.identified
    ]
    return events
