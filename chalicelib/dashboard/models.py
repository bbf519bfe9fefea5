"""What the dashboard's forms send: the sign-in form, and the session's forms (sign-out, moderation)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DashboardSignIn(BaseModel):
    """The dashboard's sign-in form."""

    api_key: str = Field("", description="the shop's owner API key; a wrong one answers the sign-in page again")


class DashboardForm(BaseModel):
    """A dashboard form: the session's CSRF token, and the text of a reply."""

    csrf: str = Field("", description="the token the dashboard page put in the form")
    body: str = Field("", description="the reply, 1 to 2000 characters (the reply action only)")
    photo_id: str = Field("", max_length=64, description="the photo to hide or show (those actions only)")
