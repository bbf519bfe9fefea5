"""A shop's settings as its item stores them: one typed record, every default declared here and only here.

The API model (chalicelib/shops/models.py ShopSettings) validates changes and takes its defaults from DEFAULTS;
what the code reads is this record, on Shop.settings. No pydantic here: the click route loads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from chalicelib.clock import DEFAULT_TIMEZONE
from chalicelib.web.languages import DEFAULT_LANGUAGE, Language

AttributionModel = Literal["last_click", "first_click"]
ReviewAfter = Literal["fulfillment", "delivery"]
# The texts of its emails a shop may write itself, per language; an empty or missing one is ours.
EMAIL_TEXTS = ("request_subject", "request_intro", "reminder_subject", "reminder_intro")


@dataclass(frozen=True)
class ShopSettings:
    """Field names are the keys stored in the shop item's `settings` map."""

    review_delay_days: int = 7
    reminder_after_days: int = 7
    happy_threshold: int = 4
    auto_publish: bool = True
    attribution_window_days: int = 30
    attribution_model: AttributionModel = "last_click"
    timezone: str = DEFAULT_TIMEZONE
    review_after: ReviewAfter = "fulfillment"
    delivery_fallback_days: int = 10
    delivered_status: str = "delivered"
    language: Language = DEFAULT_LANGUAGE  # a buyer's whose order names none of ours
    email_texts: dict[str, dict[str, str]] = field(default_factory=dict)  # language -> EMAIL_TEXTS -> text

    def email_text(self, language: str, name: str) -> str:
        """The shop's own text of its emails in this language, or "" to write ours."""
        return (self.email_texts.get(language) or {}).get(name) or ""

    @classmethod
    def from_map(cls, stored: Mapping[str, Any] | None) -> ShopSettings:
        """The record from a stored map: a key an older item lacks (or holds empty) takes its default, and a
        number (DynamoDB gives Decimal) the type of its field; keys no field names are left behind."""
        kept: dict[str, Any] = {}
        for name, default in asdict(DEFAULTS).items():
            value = (stored or {}).get(name)
            if value is not None and (value != "" or name in EMPTY_MEANS_NONE):
                kept[name] = type(default)(value)
        return replace(DEFAULTS, **kept)

    def to_map(self) -> dict[str, Any]:
        """The map the shop item stores (and the API answers with)."""
        return asdict(self)


DEFAULTS = ShopSettings()
# Settings whose empty value is a choice ("no such status"), not a gap an older item left.
EMPTY_MEANS_NONE = frozenset({"delivered_status"})
