"""Which advocate, if any, brought an order: pure functions over what the order names.

An order can name its advocate five ways, strongest first (`SIGNALS`): `code`, a friend's code from the pool among
its discount codes (the code's holder is a friend's claim, the claim names the share link), or a share code typed
as a discount code; `email`, the order's mailbox is a friend's who claimed the offer within the window before it;
`landing`, `ref` in its landing URL; `note`, a note attribute naming a share code; `wc_attribution`,
WooCommerce's own order attribution (the visit's entry page or referrer) naming a share link. The first signal
that names a code that may credit wins. A share code named by a URL, a note or typed as a discount code credits
only when it was clicked within the window (`choose_referral`); a claim is itself the friend's act.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from chalicelib.sharing.codes import looks_like_code

MAX_CANDIDATES = 5  # share codes read for one order, over every signal
MAX_POOL_CODES = 5  # discount codes looked up among the pools' codes

Signal = Literal["code", "email", "landing", "note", "wc_attribution"]
SIGNALS: tuple[Signal, ...] = ("code", "email", "landing", "note", "wc_attribution")
FRIEND_HOLDER = "friend:"  # a pool code's holder when a friend's claim was handed it (referrals/claims.py)
SHARE_PATH = "s"  # a share link is <base URL>/s/<code>
CLOCK_SKEW = timedelta(minutes=10)  # the store's clock stamps the order, ours the claim


@dataclass(frozen=True)
class Named:
    """What one order names that may credit an advocate, by signal: share codes (`shares`), discount codes that
    may be a friend's pool code (`pool_codes`), and the friend key of its buyer's mailbox (`friend`)."""

    shares: dict[Signal, list[str]] = field(default_factory=dict)
    pool_codes: list[str] = field(default_factory=list)
    friend: str | None = None

    def share_codes(self) -> list[str]:
        """The distinct share codes to read, strongest signal first, at most MAX_CANDIDATES."""
        found: list[str] = []
        for signal in SIGNALS:
            found += [c for c in self.shares.get(signal, ()) if c not in found]
        return found[:MAX_CANDIDATES]


def _ref_codes(url: str | None) -> list[str]:
    """The `ref` values of a URL's query."""
    if not url:
        return []
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    return [v for k, v in parse_qsl(query) if k == "ref"]


def _share_link_code(url: str, base_url: str) -> list[str]:
    """The code of a share link on our base URL (`<base>/s/<code>`, or a page below it such as its claim)."""
    try:
        parts, base = urlsplit(url), urlsplit(base_url)
    except ValueError:
        return []
    if not base.netloc or parts.netloc.lower() != base.netloc.lower():
        return []
    prefix = [p for p in base.path.split("/") if p]
    path = [p for p in parts.path.split("/") if p]
    if path[: len(prefix)] != prefix:
        return []
    rest = path[len(prefix) :]
    return [rest[1]] if len(rest) >= 2 and rest[0] == SHARE_PATH else []


def _codes(found: list[str]) -> list[str]:
    unique: list[str] = []
    for code in (c.strip() for c in found):
        if looks_like_code(code) and code not in unique:
            unique.append(code)
    return unique


def named_by_signal(
    *,
    landing_url: str | None,
    discount_codes: list[str],
    note_codes: list[str],
    attribution_urls: list[str],
    base_url: str,
    friend: str | None,
) -> Named:
    """What an order names, by signal (pure: the caller gives the friend key of the order's mailbox)."""
    wc: list[str] = []
    for url in attribution_urls:
        wc += _ref_codes(url) + _share_link_code(url, base_url)
    shares: dict[Signal, list[str]] = {
        "code": _codes(discount_codes),
        "landing": _codes(_ref_codes(landing_url)),
        "note": _codes(note_codes),
        "wc_attribution": _codes(wc),
    }
    pool: list[str] = []
    for code in (c.strip() for c in discount_codes):
        if code and code.upper() not in (p.upper() for p in pool) and not looks_like_code(code):
            pool.append(code)
    return Named(shares={k: v for k, v in shares.items() if v}, pool_codes=pool[:MAX_POOL_CODES], friend=friend)


def friend_of(pool_code: dict[str, Any]) -> str | None:
    """The friend key a handed-out friend's code was given to, or None (an advocate's reward, not handed out)."""
    holder = str(pool_code.get("holder") or "")
    if pool_code.get("pool") != "friend" or not holder.startswith(FRIEND_HOLDER):
        return None
    return holder[len(FRIEND_HOLDER) :] or None


def choose_referral(
    candidates: list[dict[str, Any]],
    *,
    shop_id: str,
    order_day: str,
    window_days: int,
    model: str,
    buyer_id: str,
    buyer_email_hash: str | None,
) -> dict[str, Any] | None:
    """The crediting code: the shop's own, not the buyer's own, clicked within the window before the order.

    With several, `last_click` credits the code clicked most recently before the order and
    `first_click` the one clicked earliest in the window; ties go to the order the codes were named in.
    """
    end = date.fromisoformat(order_day)
    start = end - timedelta(days=window_days)
    eligible: list[tuple[str, int, dict[str, Any]]] = []
    for index, code in enumerate(candidates):
        if code.get("shop_id") != shop_id or code.get("customer_id") == buyer_id:
            continue
        if buyer_email_hash and code.get("email_hash") == buyer_email_hash:
            continue  # the same person under another customer record: never a self-referral
        days = sorted(d for d in code.get("click_days", ()) if start.isoformat() <= d <= end.isoformat())
        if not days:
            continue
        eligible.append((days[-1] if model == "last_click" else days[0], index, code))
    if not eligible:
        return None
    if model == "last_click":
        eligible.sort(key=lambda e: (e[0], -e[1]), reverse=True)
    else:
        eligible.sort(key=lambda e: (e[0], e[1]))
    return eligible[0][2]


def _from_claim(claim: dict[str, Any] | None, signal: Signal, shop_id: str, buyer_id: str) -> dict[str, Any] | None:
    """The referral a friend's claim makes, unless it is not the shop's or its advocate is the buyer."""
    if not claim or claim.get("shop_id") != shop_id or not claim.get("share_code"):
        return None
    advocate = str(claim.get("advocate_id") or "")
    if not advocate or advocate == buyer_id:
        return None
    chosen: dict[str, Any] = {
        "code": str(claim["share_code"]),
        "customer_id": advocate,
        "shop_id": shop_id,
        "signal": signal,
    }
    if claim.get("experiments"):  # the claim's offer experiments: its order is credited to the claim's variants
        chosen["experiments"] = dict(claim["experiments"])
        if claim.get("visitor"):  # ...and converts the claim's visitor, their unit
            chosen["visitor"] = str(claim["visitor"])
        if (claim.get("offers") or {}).get("advocate_reward"):
            chosen["reward"] = dict(claim["offers"]["advocate_reward"])
    return chosen


def choose_signal(
    named: Named,
    *,
    shares: list[dict[str, Any]],
    pool_codes: list[dict[str, Any]],
    claims: list[dict[str, Any]],
    shop_id: str,
    order_at: datetime,
    order_day: str,
    window_days: int,
    model: str,
    buyer_id: str,
    buyer_email_hash: str | None,
) -> dict[str, Any] | None:
    """The referral an order makes, from the items its names were read as: `{"code", "customer_id", "signal"}` (a
    share code item's fields), or None. Each signal in turn, strongest first; the first that names a code that
    may credit wins.

    `shares` are share code items, `pool_codes` the pools' code items of the order's discount codes, `claims` the
    friends' claims read (the buyer's own, and those the pool codes were handed to)."""
    by_friend = {str(c.get("friend")): c for c in claims}
    by_code = {str(c.get("code")): c for c in shares}
    for signal in SIGNALS:
        if signal == "code":
            pools = {str(p.get("code", "")).upper(): p for p in pool_codes if p.get("shop_id") == shop_id}
            for code in named.pool_codes:
                friend = friend_of(pools.get(code.upper(), {}))
                chosen = _from_claim(by_friend.get(friend or ""), "code", shop_id, buyer_id) if friend else None
                if chosen:
                    return chosen
        if signal == "email":
            claim = by_friend.get(named.friend or "") if named.friend else None
            if claim and _claimed_within(str(claim.get("created_at") or ""), order_at, window_days):
                chosen = _from_claim(claim, "email", shop_id, buyer_id)
                if chosen:
                    return chosen
            continue
        candidates = [by_code[c] for c in named.shares.get(signal, ()) if c in by_code]
        share = choose_referral(
            candidates,
            shop_id=shop_id,
            order_day=order_day,
            window_days=window_days,
            model=model,
            buyer_id=buyer_id,
            buyer_email_hash=buyer_email_hash,
        )
        if share is not None:
            return {**share, "signal": signal}
    return None


def _claimed_within(created_at: str, order_at: datetime, window_days: int) -> bool:
    """Whether a claim was made in the window before the order (not after it, give or take the two clocks')."""
    try:
        claimed = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    claimed, order_at = _utc(claimed), _utc(order_at)
    return order_at - timedelta(days=window_days) <= claimed <= order_at + CLOCK_SKEW


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
