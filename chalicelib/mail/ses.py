"""Amazon SES: raw MIME messages, so headers such as List-Unsubscribe go out as built."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from email.message import EmailMessage


# SES's answer that refuses the message itself (in the sandbox, a recipient that is not verified), rather than
# the service failing: https://docs.aws.amazon.com/ses/latest/APIReference/API_SendRawEmail.html
REFUSALS = ("MessageRejected",)
# Answers that refuse every message from this account, whoever it is to (the same page, and IAM's).
SETUP_REFUSALS = (
    "MailFromDomainNotVerified",
    "MailFromDomainNotVerifiedException",
    "ConfigurationSetDoesNotExist",
    "ConfigurationSetDoesNotExistException",
    "ConfigurationSetSendingPausedException",
    "AccountSendingPausedException",
    "AccessDenied",
    "AccessDeniedException",
)


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
            error = exc.response.get("Error", {})
            code, text = str(error.get("Code") or ""), str(error.get("Message") or "message rejected")
            if code in SETUP_REFUSALS or (code in REFUSALS and refuses_sender(text, str(message["From"] or ""))):
                from chalicelib.mail.errors import MailSetupRefused

                raise MailSetupRefused(f"{code}: {text}") from exc
            if code in REFUSALS:
                from chalicelib.mail.errors import MailRefused

                raise MailRefused(text) from exc
            raise
        return str(answer["MessageId"])


def refuses_sender(text: str, sender: str) -> bool:
    """Whether a MessageRejected is about our sender rather than the recipient: SES says "Email address is not
    verified. The following identities failed the check in region ...: <identities>" (the sender's address or
    domain among them when it is the sender), or that we have no authority to send from an address."""
    import re
    from email.utils import parseaddr

    lowered = text.lower()
    if "authority to send" in lowered:
        return True
    address = parseaddr(sender)[1].lower()
    if not address or "failed the check" not in lowered:
        return False
    listed = lowered.split("failed the check", 1)[1].partition(":")[2]
    identities = {part.strip(" .;:") for part in re.split(r"[\s,]+", listed)}
    return address in identities or address.rpartition("@")[2] in identities
