"""Shopify webhooks (REST payloads): typed models of each topic's body, and the facts the body states.

The signature says the shop sent the body; only the body says what happened. X-Shopify-Topic is the
sender's claim: `orders/cancelled` cancels only a body with `cancelled_at`, `orders/fulfilled` fulfils
only a body with a successful fulfilment (or `fulfillment_status: fulfilled`), `refunds/create` refunds
only the money its transactions moved, `fulfillment_events/create` delivers only with status `delivered`,
and privacy topics act only on a body of their own shape for the shop that sent it. A topic whose body
does not state its fact is acknowledged and ignored.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import Field

from chalicelib import errors
from chalicelib.signing import guest_customer_id
from chalicelib.webhooks.common import (
    NULL_IS_EMPTY,
    AddressLine,
    BuyerLanguage,
    Currency,
    Email,
    Instant,
    Money,
    OptionalId,
    OptionalInstant,
    OptionalMoney,
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
    CustomerRedactEvent,
    DataRequestEvent,
    Event,
    Ignored,
    Item,
    OrderEvent,
    OrderSnapshot,
    ProductEvent,
    ShippingAddress,
    ShopRedactEvent,
    gtins,
    product_codes,
)

ORDER_TOPICS = {"orders/create", "orders/paid", "orders/fulfilled", "orders/cancelled", "orders/updated"}
PRODUCT_TOPICS = {"products/create", "products/update"}
DELIVERED = "delivered"  # a fulfilment event's status, or a fulfilment's shipment_status, once it arrived
REFERRAL_NOTE_NAMES = ("ref", "referral", "proofloop")


class ShopifyCustomer(Payload):
    id: OptionalId = None
    email: Email = None
    first_name: PersonName = ""
    last_name: PersonName = ""


class ShopifyShippingAddress(Payload):
    """Where the order ships (only its keyed hash is kept, for the self-referral rule)."""

    address1: AddressLine = ""
    address2: AddressLine = ""
    city: AddressLine = ""
    zip: AddressLine = ""
    country_code: AddressLine = ""


class ShopifyDiscountCode(Payload):
    code: str | None = None


class ShopifyNoteAttribute(Payload):
    name: str | None = None
    value: str | None = None


class ShopifyLineItem(Payload):
    product_id: OptionalId = None  # custom line items (tips, gift wrap) have none, and nothing to review
    title: Title = ""
    name: Title = ""
    quantity: int = Field(default=1, ge=0, le=100_000)
    price: Money = Decimal(0)


class ShopifyFulfillment(Payload):
    status: str | None = None
    shipment_status: str | None = None  # the carrier's last word: "delivered" when it arrived
    created_at: OptionalInstant = None
    updated_at: OptionalInstant = None


class ShopifyFulfillmentEvent(Payload):
    """`fulfillment_events/create`: a tracking event of one fulfilment (in transit, out for delivery, delivered)."""

    order_id: PlatformId
    status: str = Field(min_length=1, max_length=64)
    happened_at: OptionalInstant = None
    created_at: Instant


class ShopifyTransaction(Payload):
    kind: str | None = None
    status: str | None = None
    amount: OptionalMoney = None


class ShopifyRefund(Payload):
    """A refund, inside an order or as the body of refunds/create."""

    id: PlatformId
    created_at: OptionalInstant = None
    transactions: Annotated[list[ShopifyTransaction], NULL_IS_EMPTY] = Field(default_factory=list)

    def amount(self) -> Decimal:
        """The money this refund moved: its successful refund transactions."""
        return sum(
            (
                t.amount
                for t in self.transactions
                if t.amount is not None and t.kind == "refund" and t.status == "success"
            ),
            start=Decimal(0),
        )


class ShopifyRefundDelivery(ShopifyRefund):
    order_id: PlatformId
    created_at: Instant


class ShopifyOrder(Payload):
    id: PlatformId
    email: Email = None
    contact_email: Email = None
    customer: ShopifyCustomer | None = None
    currency: Currency | None = None
    presentment_currency: Currency | None = None
    total_price: Money
    created_at: Instant
    updated_at: OptionalInstant = None
    cancelled_at: OptionalInstant = None
    fulfillment_status: str | None = None
    fulfillments: Annotated[list[ShopifyFulfillment], NULL_IS_EMPTY] = Field(default_factory=list)
    refunds: Annotated[list[ShopifyRefund], NULL_IS_EMPTY] = Field(default_factory=list, max_length=MAX_REFUNDS)
    landing_site: str | None = None
    discount_codes: Annotated[list[ShopifyDiscountCode], NULL_IS_EMPTY] = Field(default_factory=list)
    note_attributes: Annotated[list[ShopifyNoteAttribute], NULL_IS_EMPTY] = Field(default_factory=list)
    line_items: Annotated[list[ShopifyLineItem], NULL_IS_EMPTY] = Field(default_factory=list)
    customer_locale: BuyerLanguage = None  # the storefront language the buyer checked out in
    shipping_address: ShopifyShippingAddress | None = None  # none for an order that does not ship

    @property
    def changed_at(self) -> datetime:
        return self.updated_at or self.created_at


class ShopifyImage(Payload):
    src: str | None = None


class ShopifyVariant(Payload):
    sku: str | None = Field(default=None, max_length=255)
    barcode: str | None = Field(default=None, max_length=255)  # the GTIN (UPC, EAN, ISBN) when the owner set one


class ShopifyProduct(Payload):
    id: PlatformId
    title: Title  # every product has one; a body without it is not a product
    handle: str | None = Field(default=None, max_length=255)
    vendor: str | None = Field(default=None, max_length=255)  # the brand, as Shopify's own Google feed reads it
    variants: Annotated[list[ShopifyVariant], NULL_IS_EMPTY] = Field(default_factory=list, max_length=2048)
    image: ShopifyImage | None = None
    images: Annotated[list[ShopifyImage], NULL_IS_EMPTY] = Field(default_factory=list)
    created_at: OptionalInstant = None
    updated_at: OptionalInstant = None


class ShopifyRedactedCustomer(Payload):
    id: OptionalId = None
    email: Email = None


class ShopifyPrivacyRequest(Payload):
    """What every privacy webhook states: the shop it is about."""

    shop_domain: str = Field(min_length=1, max_length=255)


class ShopifyCustomersRedact(ShopifyPrivacyRequest):
    customer: ShopifyRedactedCustomer
    orders_to_redact: list[PlatformId]


class ShopifyDataRequestId(Payload):
    id: PlatformId


class ShopifyCustomersDataRequest(ShopifyPrivacyRequest):
    customer: ShopifyRedactedCustomer
    orders_requested: list[PlatformId]
    data_request: ShopifyDataRequestId


def _kept(codes: list[str]) -> list[str]:
    """Codes that may name an advocate, of a length ours and the pools' can have."""
    return [c for c in codes if c and len(c) <= MAX_CODE_LENGTH][:MAX_CODES]


def _discount_codes(order: ShopifyOrder) -> list[str]:
    return _kept([d.code or "" for d in order.discount_codes])


def _note_codes(order: ShopifyOrder) -> list[str]:
    """Note attributes called ref (or referral, proofloop): a share code a storefront script noted on the cart."""
    return _kept([a.value or "" for a in order.note_attributes if (a.name or "").lower() in REFERRAL_NOTE_NAMES])


def _landing_url(order: ShopifyOrder, home: str) -> str | None:
    landing = order.landing_site or None
    if landing and landing.startswith("/"):
        landing = f"https://{home}{landing}"
    return landing if landing and len(landing) <= MAX_LANDING_LENGTH else None


def _snapshot(order: ShopifyOrder, home: str) -> OrderSnapshot:
    customer = order.customer or ShopifyCustomer()
    email = order.email or order.contact_email or customer.email
    currency = order.currency or order.presentment_currency
    if currency is None:
        raise errors.ValidationFailed(
            "currency: required", details=[{"field": "currency", "problem": "Field required"}]
        )
    return OrderSnapshot(
        order_id=order.id,
        customer_id=customer.id or guest_customer_id(email, order.id),
        email=email,
        name=full_name(customer.first_name, customer.last_name),
        currency=currency,
        total=order.total_price,
        created_at=order.created_at,
        landing_url=_landing_url(order, home),
        discount_codes=_discount_codes(order),
        note_codes=_note_codes(order),
        items=[
            Item(product_id=line.product_id, title=line.title or line.name, quantity=line.quantity, price=line.price)
            for line in order.line_items[:MAX_ITEMS]
            if line.product_id is not None
        ],
        language=order.customer_locale,
        shipping=_shipping(order.shipping_address),
    )


def _shipping(address: ShopifyShippingAddress | None) -> ShippingAddress | None:
    if address is None:
        return None
    return ShippingAddress(
        address1=address.address1,
        address2=address.address2,
        city=address.city,
        postcode=address.zip,
        country=address.country_code,
    )


def _fulfilled_at(order: ShopifyOrder) -> datetime | None:
    """When the body says the order was fulfilled: its successful fulfilments, or its fulfilment status."""
    done = [f.created_at for f in order.fulfillments if f.created_at and f.status == "success"]
    if done:
        return max(done)
    if order.fulfillment_status == "fulfilled":
        return order.changed_at
    return None


def _delivered_at(order: ShopifyOrder) -> datetime | None:
    """When the body says the carrier delivered it: a successful fulfilment whose shipment status is delivered."""
    done = [
        f.updated_at or f.created_at or order.changed_at
        for f in order.fulfillments
        if f.status == "success" and (f.shipment_status or "").lower() == DELIVERED
    ]
    return max(done) if done else None


def _order_event(order: ShopifyOrder, home: str) -> OrderEvent:
    return OrderEvent(
        order_id=order.id,
        occurred_at=order.changed_at,
        snapshot=_snapshot(order, home),
        fulfilled_at=_fulfilled_at(order),
        delivered_at=_delivered_at(order),
        cancelled_at=order.cancelled_at,
        refunds={r.id: amount for r in order.refunds if (amount := r.amount()) > 0},
    )


def _product_event(product: ShopifyProduct, home: str) -> ProductEvent:
    changed = product.updated_at or product.created_at
    if changed is None:
        raise errors.ValidationFailed(
            "updated_at: required", details=[{"field": "updated_at", "problem": "Field required"}]
        )
    image = product.image or next(iter(product.images), None)
    src = image.src if image else None
    handle = (product.handle or "").strip()
    return ProductEvent(
        product_id=product.id,
        title=product.title,
        url=f"https://{home}/products/{quote(handle, safe='-_.~')}" if handle else None,
        image_url=src if src and len(src) <= MAX_URL_LENGTH else None,
        updated_at=changed,
        skus=product_codes([v.sku for v in product.variants]),
        gtins=gtins([v.barcode for v in product.variants]),
        brand=_brand(product.vendor),
    )


def _brand(text: str | None) -> str | None:
    brand = (text or "").strip()
    return brand if brand and len(brand) <= MAX_PRODUCT_CODE_LENGTH else None


def _for_this_shop(request: ShopifyPrivacyRequest, sender_domain: str) -> Ignored | None:
    if sender_domain and request.shop_domain.strip().lower() != sender_domain:
        return Ignored(reason="the body names another shop than the one that sent it")
    return None


def to_events(topic: str, body: dict[str, Any], home: str, sender_domain: str = "") -> list[Event] | Ignored:
    """The normalized events one Shopify delivery stands for: the body's facts, whatever the topic claims."""
    topic = topic.strip().lower()
    if not topic:
        raise errors.BadRequest("X-Shopify-Topic is missing", code="missing_topic")
    sender_domain = sender_domain.strip().lower()
    if topic in ORDER_TOPICS:
        order = parse_payload(ShopifyOrder, body)
        event = translating(lambda: _order_event(order, home))
        if topic == "orders/cancelled" and event.cancelled_at is None:
            return Ignored(reason="orders/cancelled without cancelled_at: the body does not say it was cancelled")
        if topic == "orders/fulfilled" and event.fulfilled_at is None:
            return Ignored(reason="orders/fulfilled without a successful fulfilment: the body does not say so")
        return [event]
    if topic == "refunds/create":
        refund = parse_payload(ShopifyRefundDelivery, body)
        amount = refund.amount()
        if amount <= 0:
            return Ignored(reason="the refund moved no money: no successful refund transaction")
        return [
            translating(
                lambda: OrderEvent(order_id=refund.order_id, occurred_at=refund.created_at, refunds={refund.id: amount})
            )
        ]
    if topic == "fulfillment_events/create":
        tracking = parse_payload(ShopifyFulfillmentEvent, body)
        if tracking.status.strip().lower() != DELIVERED:
            return Ignored(reason=f"fulfilment event {tracking.status!r}: only a delivery is used")
        delivered = tracking.happened_at or tracking.created_at
        return [
            translating(
                lambda: OrderEvent(order_id=tracking.order_id, occurred_at=tracking.created_at, delivered_at=delivered)
            )
        ]
    if topic in PRODUCT_TOPICS:
        product = parse_payload(ShopifyProduct, body)
        return [translating(lambda: _product_event(product, home))]
    if topic == "customers/redact":
        redact = parse_payload(ShopifyCustomersRedact, body)
        if other := _for_this_shop(redact, sender_domain):
            return other
        if redact.customer.id is None and redact.customer.email is None:
            return Ignored(reason="the body names no customer")
        return [
            CustomerRedactEvent(
                customer_id=redact.customer.id, email=redact.customer.email, order_ids=redact.orders_to_redact
            )
        ]
    if topic == "customers/data_request":
        request = parse_payload(ShopifyCustomersDataRequest, body)
        if other := _for_this_shop(request, sender_domain):
            return other
        return [
            DataRequestEvent(
                request_id=request.data_request.id,
                customer_id=request.customer.id,
                email=request.customer.email,
                order_ids=request.orders_requested,
            )
        ]
    if topic == "shop/redact":
        shop_request = parse_payload(ShopifyPrivacyRequest, body)
        if other := _for_this_shop(shop_request, sender_domain):
            return other
        return [ShopRedactEvent()]
    return Ignored(reason=f"topic {topic} is not used")
