"""What the API takes and answers about shops: creation, the profile and its settings, the owner key, the
owner's webhook endpoint. Like every capability's models.py, they validate input and generate /openapi.json."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from chalicelib.model_base import Strict
from chalicelib.store import shop_settings
from chalicelib.store.shop_settings import DEFAULTS, AttributionModel, ReviewAfter
from chalicelib.web.languages import Language

MAX_SUBJECT_LENGTH = 150
MAX_INTRO_LENGTH = 600
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _plain_line(value: str) -> str:
    """One line of plain text: shown escaped, so markup is harmless, but no line breaks or control characters
    (a subject is a mail header)."""
    if _CONTROL.search(value):
        raise ValueError("one line of text: no line breaks or control characters")
    return value


class EmailTexts(Strict):
    """The shop's own words for its emails in one language; empty keeps ours. Plain text, shown escaped."""

    request_subject: str = Field("", max_length=MAX_SUBJECT_LENGTH, description="subject of the review request")
    request_intro: str = Field("", max_length=MAX_INTRO_LENGTH, description="first paragraph of the request")
    reminder_subject: str = Field("", max_length=MAX_SUBJECT_LENGTH, description="subject of the reminder")
    reminder_intro: str = Field("", max_length=MAX_INTRO_LENGTH, description="first paragraph of the reminder")

    @field_validator("request_subject", "request_intro", "reminder_subject", "reminder_intro")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return _plain_line(value)


SHOP_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
_HOST = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$"
)


# What an owner may send; the shop keeps it as a shop_settings.ShopSettings, which declares the defaults.
class ShopSettings(Strict):
    review_delay_days: int = Field(
        DEFAULTS.review_delay_days, ge=0, le=365, description="days after fulfilment before the review request"
    )
    reminder_after_days: int = Field(
        DEFAULTS.reminder_after_days, ge=0, le=90, description="days before the one reminder; 0 sends none"
    )
    happy_threshold: int = Field(
        DEFAULTS.happy_threshold, ge=1, le=5, description="lowest rating that earns a share offer"
    )
    auto_publish: bool = Field(
        DEFAULTS.auto_publish, description="publish reviews that pass moderation without the owner"
    )
    attribution_window_days: int = Field(DEFAULTS.attribution_window_days, ge=1, le=365)
    attribution_model: AttributionModel = DEFAULTS.attribution_model
    timezone: str = Field(DEFAULTS.timezone, description="IANA time zone of the shop's reports")
    review_after: ReviewAfter = Field(
        DEFAULTS.review_after,
        description="count review_delay_days from the fulfilment, or from the delivery the platform reports",
    )
    delivery_fallback_days: int = Field(
        DEFAULTS.delivery_fallback_days,
        ge=0,
        le=90,
        description="with review_after=delivery: the delivery assumed this many days after fulfilment when none "
        "is reported",
    )
    delivered_status: str = Field(
        DEFAULTS.delivered_status,
        max_length=40,
        pattern=r"^[a-z0-9_-]*$",
        description="the WooCommerce order status that means delivered (empty: none)",
    )
    language: Language = Field(
        DEFAULTS.language, description="the language of emails and pages for a buyer whose order names none of ours"
    )
    email_texts: dict[Language, EmailTexts] = Field(
        default_factory=dict,
        max_length=5,
        description="per language (en, es, fr, de, pt): the shop's own subject and intro of the request and reminder "
        "emails; a text left empty is ours. Sent whole: it replaces the stored map",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def stored(self) -> shop_settings.ShopSettings:
        """The record the shop keeps."""
        return shop_settings.ShopSettings(**self.model_dump())


def _clean_domains(values: list[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in values:
        host = raw.strip().lower().rstrip(".")
        if not _HOST.match(host):
            raise ValueError(f"{raw!r} is not a host name (no scheme, path or spaces; an optional :port)")
        if host not in cleaned:
            cleaned.append(host)
    return cleaned


def _standard_secret_shape(value: str) -> str:
    if value.startswith("whsec_"):
        import base64
        import binascii

        try:
            base64.b64decode(value[len("whsec_") :], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("a whsec_ secret must be base64 after the prefix") from None
    return value


class ShopCreate(Strict):
    shop_id: str = Field(pattern=SHOP_ID_PATTERN, description="lower-case letters, digits and dashes")
    name: str = Field(min_length=1, max_length=120)
    platform: Literal["shopify", "woocommerce", "generic"]
    domains: list[str] = Field(
        min_length=1, max_length=20, description="the storefront hosts; the first is home; share links only go here"
    )
    webhook_secret: str = Field(min_length=16, max_length=512, description="the secret webhooks are signed with")
    settings: ShopSettings = Field(default_factory=ShopSettings)

    @field_validator("domains")
    @classmethod
    def _valid_domains(cls, values: list[str]) -> list[str]:
        return _clean_domains(values)

    @field_validator("webhook_secret")
    @classmethod
    def _generic_secret_shape(cls, value: str) -> str:
        return _standard_secret_shape(value)


class ShopCreated(BaseModel):
    shop_id: str
    api_key: str = Field(description="the owner API key; shown once, stored only as a hash")


class ShopView(BaseModel):
    shop_id: str
    name: str
    platform: str
    domains: list[str]
    settings: ShopSettings
    created_at: str


class ShopUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=120)
    domains: list[str] | None = Field(None, min_length=1, max_length=20)
    webhook_secret: str | None = Field(None, min_length=16, max_length=512)
    settings: dict[str, object] | None = Field(None, description="settings to change; others keep their value")

    @field_validator("domains")
    @classmethod
    def _valid_domains(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _clean_domains(values)

    @field_validator("webhook_secret")
    @classmethod
    def _generic_secret_shape(cls, value: str | None) -> str | None:
        return None if value is None else _standard_secret_shape(value)


class ApiKeyRotated(BaseModel):
    api_key: str


class WebhookEndpointIn(Strict):
    url: str = Field(min_length=8, max_length=2000, description="https URL of the owner's receiver")
    events: list[Literal["review.published", "share.recorded", "referral.confirmed", "referral.reversed"]] = Field(
        min_length=1, max_length=4
    )


class WebhookEndpointOut(BaseModel):
    """The registered endpoint; `secret` (whsec_...) is shown only when it is registered."""

    url: str
    events: list[str]
    secret: str | None = None


class ParkedItem(BaseModel):
    """One due item the due work parked after its last attempt (a refused address at once)."""

    entry: str = Field(description="names the item for its retry")
    job: str = Field(description="review_requests, outbound_events, photos, share_cards, imports or erasures")
    name: str = Field(description="what it is, in words")
    which: str = Field(description="which one: the order, the event, the photo...")
    reason: str = Field(description="why it failed, in our words (never the text of the error)")
    attempts: int
    parked_at: str


class ParkedItems(BaseModel):
    """A shop's parked items, the most recently parked first, a page at a time."""

    parked: list[ParkedItem]
    cursor: str | None = None


class ParkedRetryIn(Strict):
    entry: str = Field(min_length=1, max_length=1024, description="the `entry` of a parked item")


class ParkedRetryOut(BaseModel):
    """The item is due again, now, with a fresh run of attempts: the next run of the due work takes it."""

    retried: bool
