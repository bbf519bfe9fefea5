"""What a mailer answers when the mail service refuses a message."""

from __future__ import annotations


class MailRefused(Exception):
    """The mail service refused one message for what it is (an address it will not send to), not for being
    down: the sender may say so and carry on."""


class MailSetupRefused(MailRefused):
    """The mail service refuses every message from us, whatever its recipient: the sender is not verified, a
    configuration set is missing, sending is paused or not allowed. No buyer is at fault; the account is."""
