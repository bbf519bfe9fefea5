"""What the API answers about sharing: a happy reviewer's share offer (the link and each channel's page)."""

from __future__ import annotations

from pydantic import BaseModel


class ShareOffer(BaseModel):
    code: str
    link: str
    channels: dict[str, str]
