"""The CSRF token of the console's forms: derived from the session, checked on every form post."""

from __future__ import annotations

import hmac

from chalicelib import errors, signing


def csrf_token(session_token: str) -> str:
    # Its own derived key: knowing a CSRF token tells nothing about any other signed value.
    return signing.mac("csrf", session_token)


def check_csrf(expected: str, presented: str | None) -> None:
    """The form's token is the session's own (`expected`: Session.csrf), else 403."""
    if not presented or not hmac.compare_digest(expected.encode(), presented.encode()):
        raise errors.Forbidden("the form is stale or was not sent from the dashboard; reload it", code="csrf")
