"""What the console's reviews section takes: its filters (a GET form) and the bulk moderation form."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

BULK_LIMIT = 100  # reviews one bulk action may name: one BatchGetItem, and a request well inside Lambda's time
STATUSES = ("any", "pending", "published", "rejected")
# The rating filter's choices as the form offers them; any "n" or "n-m" (1 to 5, n <= m) is understood.
RATINGS = (
    ("", "Any rating"),
    ("5", "5 stars"),
    ("4", "4 stars"),
    ("3", "3 stars"),
    ("2", "2 stars"),
    ("1", "1 star"),
    ("1-2", "1-2 stars"),
    ("1-3", "1-3 stars"),
    ("4-5", "4-5 stars"),
)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RATING = re.compile(r"^([1-5])(?:-([1-5]))?$")


class ReviewFilters(BaseModel):
    """The reviews section's filters, as its GET form sends them; every one may be left empty."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", str_strip_whitespace=True)

    status: Literal["any", "pending", "published", "rejected"] = Field(
        "any", description="any, pending, published or rejected"
    )
    rating: str = Field("", description="stars: one number (4) or a range (1-2)")
    product: str = Field("", max_length=200, description="a product id")
    q: str = Field("", max_length=100, description="words in the title, the text or the author, in any case")
    date_from: date | None = Field(None, alias="from", description="created on or after, YYYY-MM-DD, shop's zone")
    date_to: date | None = Field(None, alias="to", description="created on or before, YYYY-MM-DD, shop's zone")
    cursor: str = Field("", max_length=4000, description="the signed position a 'Next page' link carries")

    @field_validator("status", mode="before")
    @classmethod
    def _blank_status(cls, value: Any) -> Any:
        return "any" if value == "" else value

    @field_validator("rating")
    @classmethod
    def _rating(cls, value: str) -> str:
        if not value:
            return value
        found = _RATING.match(value)
        if not found:
            raise ValueError("choose a number of stars, 1 to 5, or a range such as 1-2")
        if found.group(2) and int(found.group(2)) < int(found.group(1)):
            raise ValueError("a range goes from the fewer stars to the more, such as 1-2")
        return value

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not _DAY.match(value.strip()):
            raise ValueError("enter a date as YYYY-MM-DD")
        return value.strip()

    @field_validator("date_to")
    @classmethod
    def _after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("date_from")
        if value is not None and start is not None and value < start:
            raise ValueError("the end date is before the start date")
        return value

    @property
    def stars(self) -> tuple[int, int] | None:
        """The rating filter as the lowest and highest number of stars it keeps."""
        if not self.rating:
            return None
        low, _, high = self.rating.partition("-")
        return int(low), int(high or low)

    def params(self, cursor: bool = False) -> dict[str, str]:
        """The filters that narrow anything, by their query names, in one order (the canonical query)."""
        out: dict[str, str] = {}
        if self.status != "any":
            out["status"] = self.status
        for name, value in (("rating", self.rating), ("product", self.product), ("q", self.q)):
            if value:
                out[name] = value
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        if cursor and self.cursor:
            out["cursor"] = self.cursor
        return out

    def query(self, cursor: bool = False) -> str:
        return urlencode(self.params(cursor))


ReviewId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class BulkModerationForm(BaseModel):
    """Publish or reject the reviews ticked on the console's reviews page, all at once."""

    csrf: str = Field("", description="the token the console page put in the form")
    action: Literal["publish", "reject"] = Field(description="what to do with every review named")
    ids: list[ReviewId] = Field(
        default_factory=list, max_length=BULK_LIMIT, description=f"the reviews, at most {BULK_LIMIT}"
    )
    back: str = Field(
        "reviews",
        max_length=4000,
        description="the page to go back to: `reviews` with its filters' query (`reviews?status=pending`)",
    )
