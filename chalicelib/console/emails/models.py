"""What the console's emails section takes: the preview's choice (a query) and its two forms, as text; the domain
(chalicelib/console/emails/) checks each field and answers errors beside them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PreviewChoice(BaseModel):
    """Which email to preview: for an order of the shop (chosen, or its id typed) or a sample, in a language."""

    order: str = Field("", description="an order id from the list; empty: a sample order")
    order_id: str = Field("", description="an order id typed in; wins over `order`")
    lang: str = Field("", description="en, es, fr, de or pt; empty: the order's own language, else the shop's")
    email: str = Field("request", description="request or reminder")


class SendTestForm(PreviewChoice):
    """Send the previewed email to one address, as a test."""

    csrf: str = Field("", description="the token the console page put in the form")
    to: str = Field("", description="the one address to send the test to")


class EmailTextsForm(PreviewChoice):
    """The shop's own subject and intro of each email in one language (empty keeps ours)."""

    csrf: str = Field("", description="the token the console page put in the form")
    language: str = Field("", description="the language these texts are for: en, es, fr, de or pt")
    request_subject: str = ""
    request_intro: str = ""
    reminder_subject: str = ""
    reminder_intro: str = ""
    share_prompt: str = Field("", description="the heading above the share buttons after a happy review; empty: ours")
