"""What the platform payload models share: the JSON body, typed ids, money, instants and text; guest buyers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from chalicelib import errors
from chalicelib.http import MAX_BODY_BYTES, decode_json, parse_model, validation_failed
from chalicelib.web.languages import MAX_TAG_LENGTH, Language, language_of

WEBHOOK_MAX_BODY = 2 * MAX_BODY_BYTES  # a large order is larger than any request we take elsewhere
MAX_ID_LENGTH = 64  # platform ids are integers of at most 20 digits; ours are short strings
MAX_AMOUNT = Decimal("100000000")
MAX_NAME_LENGTH = 200
EARLIEST_YEAR, LATEST_YEAR = 1990, 2200  # any instant outside is not a real order's, and breaks day arithmetic

R = TypeVar("R")
parse_payload = parse_model  # a platform payload through its typed model: an odd shape is a 422 naming the field


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, numbers as Decimal; broken JSON is 400, another JSON value 422."""
    data = decode_json(body, WEBHOOK_MAX_BODY, parse_float=Decimal)
    if not isinstance(data, dict):
        raise errors.ValidationFailed(
            "webhook body must be a JSON object", details=[{"field": "(body)", "problem": "not a JSON object"}]
        )
    return data


def translating(events: Callable[[], R]) -> R:
    """Build the normalized events from a parsed payload. The payload models are at least as strict as the
    event models, so this never fails; if they ever drift apart, the answer is still a 422, never a 500."""
    from pydantic import ValidationError

    try:
        return events()
    except ValidationError as exc:
        raise validation_failed(exc) from None


class Payload(BaseModel):
    """A platform's JSON object: unknown fields ignored, numbers accepted where text is expected."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, str_strip_whitespace=True)


def _platform_id(value: Any) -> str:
    """Platform ids come as numbers or strings; ours are always strings."""
    if isinstance(value, bool) or value is None:
        raise ValueError("an id is required")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("an id is not negative")
        text = str(value)
    elif isinstance(value, Decimal):
        # Only a whole number of few digits: int() of 1E+1000000 alone would take half a minute.
        if (
            not value.is_finite()
            or value < 0
            or value.adjusted() >= MAX_ID_LENGTH
            or value != value.to_integral_value()
        ):
            raise ValueError("an id is a whole number or a string")
        text = str(int(value))
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueError("an id is a number or a string")
    if not text:
        raise ValueError("an id is required")
    if len(text) > MAX_ID_LENGTH:
        raise ValueError(f"an id is at most {MAX_ID_LENGTH} characters")
    return text


def _optional_id(value: Any) -> str | None:
    """An id a guest has none of: null, empty, or 0 (WooCommerce's guest customer)."""
    if value is None or value == "" or (not isinstance(value, bool) and value in (0, "0")):
        return None
    return _platform_id(value)


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError("an amount is a number or a numeric string")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError("not an amount") from None
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        raise ValueError(f"an amount is a finite number of at most {MAX_AMOUNT}")
    return amount


def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("an amount is not negative")
    return value


def _optional_amount(value: Any) -> Decimal | None:
    return None if value is None or value == "" else _not_negative(_amount(value))


def _instant(value: datetime) -> datetime:
    """Aware and in UTC (a time without an offset is UTC, as WooCommerce's *_gmt fields are), in a sane range."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"a time between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value.astimezone(UTC)


def _optional_instant(value: datetime | None) -> datetime | None:
    return None if value is None else _instant(value)


def _none_is_empty(value: Any) -> Any:
    return [] if value is None else value


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


def _usable_email(value: Any) -> Any:
    """One mailbox we could write to, normalized, or none: anything else (a list, a group, a display name, a line
    break) asks nobody for a review, and refuses no order. Read before pydantic strips the text, so a CR or LF
    anywhere is seen. A number is no address either; any other shape is left to the field's type to refuse."""
    from chalicelib.mail.mailbox import mailbox

    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return None
    return mailbox(value) if isinstance(value, str) else value


def _text(limit: int) -> BeforeValidator:
    """Free text of the platform's (a title, a name): null is empty, longer than we keep is cut, not refused."""

    def clip(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            value = str(value)
        return value[:limit].strip() if isinstance(value, str) else value

    return BeforeValidator(clip)


PlatformId = Annotated[str, BeforeValidator(_platform_id)]
OptionalId = Annotated[str | None, BeforeValidator(_optional_id)]
Amount = Annotated[Decimal, BeforeValidator(_amount)]
Money = Annotated[Decimal, BeforeValidator(_amount), AfterValidator(_not_negative)]
OptionalMoney = Annotated[Decimal | None, BeforeValidator(_optional_amount)]
Instant = Annotated[datetime, AfterValidator(_instant)]
OptionalInstant = Annotated[datetime | None, BeforeValidator(_blank_is_none), AfterValidator(_optional_instant)]
NULL_IS_EMPTY = BeforeValidator(_none_is_empty)  # a list the platform may also send as null
Title = Annotated[str, _text(300)]
PersonName = Annotated[str, _text(100)]
AddressLine = Annotated[str, _text(255)]  # a line of a shipping address: only its keyed hash is kept
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
# An address from outside: one mailbox, or None. Its schema says text: no text is refused for not being an address.
Email = Annotated[
    str | None,
    BeforeValidator(_usable_email),
    WithJsonSchema({"type": ["string", "null"], "examples": ["ana.lima@example.net"]}),
]
# A locale tag (`fr`, `fr-CA`, `pt_BR`) as one of our languages; an unknown or malformed one is None, never refused:
# the buyer is then written to in the shop's language.
BuyerLanguage = Annotated[
    Language | None,
    BeforeValidator(language_of),
    WithJsonSchema({"type": ["string", "null"], "maxLength": MAX_TAG_LENGTH, "examples": ["fr", "fr-CA", "pt_BR"]}),
]


def full_name(*parts: str | None) -> str | None:
    return " ".join(p for p in parts if p)[:MAX_NAME_LENGTH].strip() or None
