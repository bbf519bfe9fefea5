"""WooCommerce's coupons route (wc/v3 `POST /coupons`), in the shapes WooCommerce documents.

A new coupon is 201 with the coupon as WooCommerce shows it; a code the site already has (without regard to case) is
400 `woocommerce_rest_coupon_code_already_exists`; no code is WordPress's 400 `rest_missing_callback_param`.
State: `Site.coupons` (id -> coupon). `lose_answers(rest, n)`: the next n
creations happen, but their answer is lost on the way (a 503).
"""

from __future__ import annotations

import re
from typing import Any

from tests.stand_ins.woocommerce_rest import Site, WooCommerceRest, rest_error

ROUTE = re.compile(r"^/coupons$")


def install(rest: WooCommerceRest) -> None:
    rest.routes.append(("POST", ROUTE, _create))
    rest.lost_coupon_answers = 0  # type: ignore[attr-defined]
    answer = rest.answer

    def answer_or_lose(request: Any) -> tuple[int, Any]:
        status, body = answer(request)
        if rest.lost_coupon_answers > 0 and status == 201 and request.path.endswith("/coupons"):  # type: ignore[attr-defined]
            rest.lost_coupon_answers -= 1  # type: ignore[attr-defined]
            return 503, {"code": "internal_server_error", "message": "Error", "data": {"status": 503}}
        return status, body

    rest.answer = answer_or_lose  # type: ignore[method-assign]


def lose_answers(rest: WooCommerceRest, count: int = 1) -> None:
    rest.lost_coupon_answers = count  # type: ignore[attr-defined]


def _create(site: Site, match: re.Match[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
    body = body or {}
    code = str(body.get("code") or "").strip()
    if not code:
        return rest_error(400, "rest_missing_callback_param", "Missing parameter(s): code")
    if any(str(c["code"]).lower() == code.lower() for c in site.coupons.values()):
        return rest_error(400, "woocommerce_rest_coupon_code_already_exists", "The coupon code already exists")
    site.next_id += 1
    coupon = {
        "id": site.next_id,
        "code": code,
        "amount": str(body.get("amount") or "0"),
        "discount_type": body.get("discount_type") or "fixed_cart",
        "description": body.get("description") or "",
        "date_expires": body.get("date_expires") or body.get("date_expires_gmt"),
        "date_expires_gmt": body.get("date_expires_gmt") or body.get("date_expires"),
        "usage_count": 0,
        "individual_use": bool(body.get("individual_use")),
        "usage_limit": body.get("usage_limit"),
        "usage_limit_per_user": body.get("usage_limit_per_user"),
        "email_restrictions": list(body.get("email_restrictions") or []),
        "minimum_amount": str(body.get("minimum_amount") or "0.00"),
        "used_by": [],
    }
    site.coupons[site.next_id] = coupon
    return 201, coupon
