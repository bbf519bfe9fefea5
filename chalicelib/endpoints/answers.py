"""The service's own answers in the API's contract: the error body any operation may give, health, due work.

Operations name these models (`model` in chalicelib/routes.py) rather than import them; OpenAPI resolves them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="snake_case error code")
    message: str
    details: list[dict[str, str]] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class RunDueResult(BaseModel):
    """How many items each due job handled; `more` means the run's time ran out with work left."""

    ran: dict[str, int]
    more: bool = Field(description="true when the time budget ran out first; run again for the rest")
