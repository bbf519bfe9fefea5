"""What the API takes and answers about shops: creation, the profile and its settings, the owner key, the
owner's webhook endpoint. Like every capability's models.py, they validate input and generate /openapi.json."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, get_type_hints

from pydantic import BaseModel, Field, ValidationInfo, create_model, field_validator

from chalicelib.model_base import Strict
from chalicelib.store import shop_settings
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


class _Settings(Strict):
    def stored(self) -> shop_settings.ShopSettings:
        """The record the shop keeps."""
        return shop_settings.ShopSettings.from_map(self.model_dump())


def _checked(check: shop_settings.Check) -> Any:
    """A setting's check as a field validator: it sees the fields of its record validated before it."""

    def validate(cls: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
        return check(value, info.data)

    return validate


def settings_model(
    record: type[Any], base: type[BaseModel] = Strict, types: Mapping[str, Any] | None = None, doc: bool = True
) -> type[BaseModel]:
    """The model of what an owner may send for a settings record (chalicelib/store/shop_settings.py), built from
    its fields: each one's type, default, bounds, check and description; a group (a nested record) is a model of
    its own. `types` gives a field the API shapes otherwise than the record stores it."""
    hints, defaults = get_type_hints(record), record()
    definitions: dict[str, Any] = {}
    validators: dict[str, Any] = {}
    for spec in dataclasses.fields(record):
        meta = spec.metadata
        options: dict[str, Any] = dict(meta["bounds"])
        if meta["description"]:
            options["description"] = meta["description"]
        kind = (types or {}).get(spec.name, hints[spec.name])
        default = getattr(defaults, spec.name)
        if dataclasses.is_dataclass(default):
            kind = options["default_factory"] = settings_model(type(default))
        elif spec.default_factory is not dataclasses.MISSING:
            options["default_factory"] = spec.default_factory
        else:
            options["default"] = default
        if meta["check"] is not None:
            options["validate_default"] = True
            validators[f"check_{spec.name}"] = field_validator(spec.name)(_checked(meta["check"]))
        definitions[spec.name] = (kind, Field(**options))
    return create_model(
        record.__name__,
        __base__=base,
        __doc__=record.__doc__ if doc else None,
        __validators__=validators,
        **definitions,
    )


# What an owner may send; the shop keeps it as a shop_settings.ShopSettings, which declares each setting.
if TYPE_CHECKING:

    class ShopSettings(_Settings): ...

else:
    ShopSettings = settings_model(
        shop_settings.ShopSettings, _Settings, {"email_texts": dict[Language, EmailTexts]}, doc=False
    )


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
    events: list[
        Literal[
            "review.published",
            "share.recorded",
            "referral.confirmed",
            "referral.reversed",
            "friend.claimed",
            "reward.issued",
            "reward.void",
        ]
    ] = Field(min_length=1, max_length=7)


class WebhookEndpointOut(BaseModel):
    """The registered endpoint; `secret` (whsec_...) is shown only when it is registered."""

    url: str
    events: list[str]
    secret: str | None = None


class ParkedItem(BaseModel):
    """One due item the due work parked after its last attempt (a refused address at once)."""

    entry: str = Field(description="names the item for its retry")
    job: str = Field(description="review_requests, outbound_events, photos, share_cards, imports, erasures or rewards")
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
