"""Amazon SES: raw MIME messages, so headers such as List-Unsubscribe go out as built."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from email.message import EmailMessage


# SES's answer that refuses the message itself (in the sandbox, a recipient that is not verified), rather than
# the service failing: https://docs.aws.amazon.com/ses/latest/APIReference/API_SendRawEmail.html
REFUSALS = ("MessageRejected",)


class SesMailer:
    def __init__(self, region: str) -> None:
        self.region = region
        self._client: Any = None

    def send(self, message: EmailMessage, to: str) -> str:
        from chalicelib.mail.mailbox import addressed

        recipient = addressed(message, to)
        if self._client is None:
            import boto3

            self._client = boto3.client("ses", region_name=self.region)
        from botocore.exceptions import ClientError

        try:
            # The envelope names the one recipient: SES then sends to it alone, whatever the headers say.
            answer = self._client.send_raw_email(Destinations=[recipient], RawMessage={"Data": message.as_bytes()})
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in REFUSALS:
                from chalicelib.mail.errors import MailRefused

                raise MailRefused(exc.response["Error"].get("Message") or "message rejected") from exc
            raise
        return str(answer["MessageId"])
