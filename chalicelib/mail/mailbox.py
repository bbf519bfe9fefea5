"""One mailbox from outside text (an address to write to, or None: nobody to ask); the one recipient of a message."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from email.message import EmailMessage

MAX_TEXT = 320  # longer than any address (254 at most): refused before the validator reads it


def mailbox(text: object) -> str | None:
    """`text` as exactly one email address, normalized, or None.

    The maintained `email-validator` reads the syntax (no DNS look-up). A list, a group, a display name,
    angle brackets, a quoted or internationalized local part (SES takes 7-bit addresses only), an IP
    literal, a control character anywhere (CR/LF that could start a header), a reserved domain (.test,
    .localhost...) or anything else is None. Blanks around the address are dropped. The answer is the
    validator's normalized address in its ASCII form (an international domain as Punycode): the one form
    both headers and SES take, so one mailbox is always the same text.
    """
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return None
    if any(unicodedata.category(c) == "Cc" for c in text):
        return None
    text = text.strip()
    if not text:
        return None
    # Loaded here, not at import: compiling its patterns costs tens of milliseconds of a cold start.
    from email_validator import EmailNotValidError, validate_email

    try:
        # Every rule named, so no module-wide default of the library (its tests set some) can loosen ours.
        found = validate_email(
            text,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_empty_local=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            globally_deliverable=True,
            test_environment=False,
            strict=True,  # a local part of at most 64 characters, as SMTP allows
        )
    except EmailNotValidError:
        return None
    return found.ascii_email


def addressed(message: EmailMessage, to: str) -> str:
    """The one recipient a mailer sends `message` to: `to` as one normalized mailbox, written as the message's
    only To header (no Cc or Bcc header is kept). Text that is not exactly one address is refused, as a mail
    service refuses an address."""
    from email.headerregistry import Address

    from chalicelib.mail.errors import MailRefused

    recipient = mailbox(to)
    if recipient is None:
        raise MailRefused("not one email address")
    for header in ("To", "Cc", "Bcc"):
        del message[header]
    message["To"] = Address(addr_spec=recipient)
    return recipient
