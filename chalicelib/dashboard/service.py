"""The owner's console: revocable signed sessions, CSRF tokens, the funnel's bars and promoter figures."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib import errors, signing
from chalicelib.config import get_settings

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

COOKIE = "pl_session"
SESSION_SECONDS = 12 * 3600
FUNNEL_STAGES = (
    ("customers", "Customers"),
    ("reviewers", "Reviewers"),
    ("promoters", "Promoters"),
    ("sharers", "Sharers"),
    ("clicks", "Friends' clicks"),
    ("referred_orders", "Referred orders"),
    ("advocates", "Advocates"),
)


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


def csrf_token(session_token: str) -> str:
    # Its own derived key: knowing a CSRF token tells nothing about any other signed value.
    return signing.mac("csrf", session_token)


def check_csrf(session: Session, presented: str | None) -> None:
    if not presented or not hmac.compare_digest(session.csrf.encode(), presented.encode()):
        raise errors.Forbidden("the form is stale or was not sent from the dashboard; reload it", code="csrf")


def funnel_bars(funnel: dict[str, Any]) -> list[dict[str, Any]]:
    """Bars of the funnel with each stage's conversion from the one before."""
    values = []
    for key, label in FUNNEL_STAGES:
        value = funnel.get(key, 0)
        values.append((label, int(value["total"] if isinstance(value, dict) else value)))
    widest = max((v for _, v in values), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(values):
        previous = values[index - 1][1] if index else None
        bars.append(
            {
                "label": label,
                "value": value,
                "width": round(100 * value / widest, 1),
                "conversion": None if not previous else round(100 * value / previous, 1),
                "previous": values[index - 1][0] if index else None,
            }
        )
    return bars


def promoter_figures(funnel: dict[str, Any]) -> dict[str, float | None]:
    """Promoter share (happy reviews of all reviews) and an NPS-style net: % 5-star minus % 1-3 stars."""
    ratings = {int(k): int(v) for k, v in funnel.get("ratings", {}).items()}
    total = sum(ratings.values())
    if not total:
        return {"promoter_share": None, "net_promoter": None}
    detractors = sum(ratings.get(r, 0) for r in (1, 2, 3))
    return {
        "promoter_share": round(100 * int(funnel.get("happy_reviews", 0)) / total, 1),
        "net_promoter": round(100 * (ratings.get(5, 0) - detractors) / total, 1),
    }
