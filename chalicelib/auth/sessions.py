"""The owner's console sessions: signed, bound to the shop's session generation, so a sign-out or a new owner key
ends every copy of the cookie on the server."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib import errors, signing
from chalicelib.auth.csrf import csrf_token
from chalicelib.config import get_settings

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

COOKIE = "pl_session"
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Session:
    """A signed-in owner: the shop (read once per request, also to check the session is still live)."""

    shop: Shop
    token: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def new_session(shop: Shop) -> tuple[str, str]:
    """A signed session for one shop, bound to its current session generation, and its Set-Cookie value."""
    payload = {"s": shop.shop_id, "g": shop.session_generation, "n": secrets.token_urlsafe(12)}
    token = signing.sign("session", payload, ttl_seconds=SESSION_SECONDS)
    secure = "; Secure" if get_settings().base_url.startswith("https://") else ""
    path = f"Path=/shops/{shop.shop_id}"
    return token, f"{COOKIE}={token}; {path}; Max-Age={SESSION_SECONDS}; HttpOnly; SameSite=Strict{secure}"


def clear_cookie(shop_id: str) -> str:
    return f"{COOKIE}=; Path=/shops/{shop_id}; Max-Age=0; HttpOnly; SameSite=Strict"


def open_session(table: Table, shop_id: str, token: str | None) -> Session:
    """The session a cookie carries if it is this shop's, unexpired, and not ended by a sign-out or a new
    owner key (it was begun in the shop's current session generation); otherwise 401.

    One consistent read of the shop, which the dashboard needs anyway: a sign-out holds at once."""
    from chalicelib.store.shop_records import get_shop

    ended = errors.Unauthorized("your session ended; sign in again", code="no_session")
    if not token:
        raise errors.Unauthorized("sign in to the dashboard first", code="no_session")
    try:
        payload = signing.verify("session", token, error=errors.Unauthorized)
    except errors.Unauthorized:
        raise ended from None
    if payload.get("s") != shop_id:
        raise ended
    shop = get_shop(table, shop_id, consistent=True)
    if shop is None or payload.get("g") != shop.session_generation:
        raise ended
    return Session(shop=shop, token=token)


def end_session(table: Table, session: Session) -> None:
    """Sign out: the owner's sessions of this shop end on the server, wherever their cookies were copied."""
    from chalicelib.store.shop_records import end_sessions

    end_sessions(table, session.shop.shop_id)
