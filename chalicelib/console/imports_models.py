"""What the console's import forms send: the session's CSRF token (the job and the action are in the path)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImportJobForm(BaseModel):
    """Confirm a checked import, or cancel one."""

    csrf: str = Field("", description="the token the console page put in the form")
