"""What the console's customers section takes: its search, as the query string sends it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from chalicelib.model_base import MAX_SEARCH_LENGTH


class CustomerSearch(BaseModel):
    """GET /shops/{shop_id}/dashboard/customers?q=...: a name or an email; without one, the top advocates."""

    q: str = Field("", max_length=MAX_SEARCH_LENGTH, description="a whole email (any case) or words of a name")
    after: str = Field("", max_length=2000, description="the next page of the top advocates (its cursor)")
