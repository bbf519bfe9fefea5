"""Local email: each message becomes an .eml file in the outbox folder, and the path is logged."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from email.message import EmailMessage


class OutboxMailer:
    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)

    def send(self, message: EmailMessage, to: str) -> str:
        from chalicelib.mail.mailbox import addressed
        from chalicelib.observability import logger

        recipient = addressed(message, to)
        self.folder.mkdir(parents=True, exist_ok=True)
        named = re.sub(r"[^a-zA-Z0-9@._-]", "_", recipient)[:60]
        # One reading of the clock names the file, so the names sort in the order the messages were written
        # (a second read apart, a message written at a second's turn sorted before the ones of the second it ended).
        seconds, nanos = divmod(time.time_ns(), 10**9)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(seconds))
        path = self.folder / f"{stamp}-{nanos:09d}-{named}-{uuid.uuid4().hex[:6]}.eml"
        path.write_bytes(message.as_bytes())
        logger.info("email written to outbox", extra={"path": str(path), "subject": str(message["Subject"])})
        return str(path)
