"""The CSRF token of the console's forms: derived from the session, checked on every form post."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from chalicelib import errors, signing

if TYPE_CHECKING:
    from chalicelib.auth.sessions import Session


def csrf_token(session_token: str) -> str:
    # Its own derived key: knowing a CSRF token tells nothing about any other signed value.
    return signing.mac("csrf", session_token)


def check_csrf(session: Session, presented: str | None) -> None:
    if not presented or not hmac.compare_digest(session.csrf.encode(), presented.encode()):
        raise errors.Forbidden("the form is stale or was not sent from the dashboard; reload it", code="csrf")
