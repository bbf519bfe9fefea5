"""What a mailer answers when the mail service refuses a message: the refusals every channel shares, by mail's names."""

from __future__ import annotations

from chalicelib.errors import ChannelSetupRefused, RecipientRefused

MailRefused = RecipientRefused  # the mail service refused this one message (its recipient), not for being down
MailSetupRefused = ChannelSetupRefused  # the mail service refuses every message from us: the account is at fault

__all__ = ["MailRefused", "MailSetupRefused"]
