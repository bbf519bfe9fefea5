"""The operator's admin token: what creates shops and runs the due work by hand."""

from __future__ import annotations

import hmac

from chalicelib import errors
from chalicelib.config import get_settings


def require_admin(token: str | None) -> None:
    """The admin token, or 401; a service without one configured refuses everyone (503 not_configured)."""
    expected = get_settings().require_admin_token()
    if not token:
        raise errors.Unauthorized("send Authorization: Bearer <admin token>")
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise errors.Unauthorized("the admin token is not valid")
