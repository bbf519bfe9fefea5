"""Which advocate, if any, brought an order: pure functions over the codes the order names."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from chalicelib.sharing.codes import looks_like_code

MAX_CANDIDATES = 5


def named_codes(landing_url: str | None, codes: list[str]) -> list[str]:
    """Share codes an order names: `ref` in its landing URL first, then discount codes and note attributes."""
    found: list[str] = []
    if landing_url:
        try:
            query = urlsplit(landing_url).query
        except ValueError:
            query = ""
        found += [v for k, v in parse_qsl(query) if k == "ref"]
    found += codes
    unique: list[str] = []
    for code in (c.strip() for c in found):
        if looks_like_code(code) and code not in unique:
            unique.append(code)
    return unique[:MAX_CANDIDATES]


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
