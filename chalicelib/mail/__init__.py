"""Outgoing email: one interface, an outbox folder locally and Amazon SES on AWS."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from email.message import EmailMessage


class Mailer(Protocol):
    def send(self, message: EmailMessage, to: str) -> str:
        """Send one message to the one mailbox `to`, whatever its headers name (mailbox.addressed makes `to` its
        only recipient); returns where it went (a path or a provider message id). Raises MailRefused when `to`
        is not one address."""
        ...


@lru_cache(maxsize=1)
def get_mailer() -> Mailer:
    from chalicelib.config import get_settings

    settings = get_settings()
    if settings.mail_backend == "ses":
        from chalicelib.mail.ses import SesMailer

        return SesMailer(settings.region)
    from chalicelib.mail.outbox import OutboxMailer

    return OutboxMailer(settings.outbox)


def reset_mailer() -> None:
    get_mailer.cache_clear()
