"""Amazon SES: raw MIME messages, so headers such as List-Unsubscribe go out as built."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from email.message import EmailMessage


class SesMailer:
    def __init__(self, region: str) -> None:
        self.region = region
        self._client: Any = None

    def send(self, message: EmailMessage) -> str:
        if self._client is None:
            import boto3

            self._client = boto3.client("ses", region_name=self.region)
        answer = self._client.send_raw_email(RawMessage={"Data": message.as_bytes()})
        return str(answer["MessageId"])
