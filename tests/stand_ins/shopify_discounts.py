"""Shopify's `discountCodeBasicCreate` (Admin API 2026-10), in the shapes Shopify documents.

The payload is `{"codeDiscountNode": {"id", "codeDiscount": {...}} | null, "userErrors": [{"field", "code",
"message"}]}`; a code the store already has (codes are unique without regard to case) is the userError TAKEN on
`["basicCodeDiscount", "code"]`, and a missing required input field is BLANK. What was created is kept in
`Store.discounts` (code -> the discount as created). `lose_answers(admin, n)`: the next n creations happen, but their
answer is lost on the way (a 503), as when a connection drops after Shopify did the work.
"""

from __future__ import annotations

import json
from typing import Any

from tests.stand_ins.shopify_admin import ShopifyAdmin, Store, root_fields, user_error

FIELD = "discountCodeBasicCreate"
REQUIRED = ("title", "code", "startsAt", "customerGets")


def install(admin: ShopifyAdmin) -> None:
    admin.fields[FIELD] = _create
    admin.lost_discount_answers = 0  # type: ignore[attr-defined]
    answer = admin.answer

    def answer_or_lose(request: Any) -> tuple[int, Any]:
        status, body = answer(request)
        if admin.lost_discount_answers > 0 and status == 200 and _created(request, body):  # type: ignore[attr-defined]
            admin.lost_discount_answers -= 1  # type: ignore[attr-defined]
            return 503, {"errors": "Service Unavailable"}
        return status, body

    admin.answer = answer_or_lose  # type: ignore[method-assign]


def lose_answers(admin: ShopifyAdmin, count: int = 1) -> None:
    admin.lost_discount_answers = count  # type: ignore[attr-defined]


def _created(request: Any, body: Any) -> bool:
    try:
        query = json.loads(request.body).get("query", "")
    except ValueError:
        return False
    if FIELD not in root_fields(query):
        return False
    payload = ((body or {}).get("data") or {}).get(FIELD) or {}
    return bool(payload.get("codeDiscountNode"))


def _create(store: Store, variables: dict[str, Any]) -> Any:
    basic = variables.get("basicCodeDiscount") or {}
    missing = [name for name in REQUIRED if not basic.get(name)]
    if basic.get("context") not in ({"all": "ALL"},) and not (basic.get("context") or {}).get("customers"):
        missing.append("context")  # 2026-10: `context` (the deprecated customerSelection is not taken here)
    if missing:
        errors = [user_error(["basicCodeDiscount", n], f"{n} can't be blank", "BLANK") for n in missing]
        return {"codeDiscountNode": None, "userErrors": errors}
    value = (basic["customerGets"] or {}).get("value") or {}
    percentage = value.get("percentage")
    if percentage is not None and not 0 <= float(percentage) <= 1:
        error = user_error(
            ["basicCodeDiscount", "customerGets", "value", "percentage"],
            "Value must be between 0.0 and 1.0",
            "VALUE_OUTSIDE_RANGE",
        )
        return {"codeDiscountNode": None, "userErrors": [error]}
    code = str(basic["code"])
    if code.upper() in (known.upper() for known in store.discounts):
        error = user_error(["basicCodeDiscount", "code"], "Code must be unique. Please try a different code.", "TAKEN")
        return {"codeDiscountNode": None, "userErrors": [error]}
    gid = f"gid://shopify/DiscountCodeNode/{1000 + len(store.discounts)}"
    discount = {
        "id": gid,
        "title": basic["title"],
        "codes": {"nodes": [{"code": code}]},
        "startsAt": basic["startsAt"],
        "endsAt": basic.get("endsAt"),
        "usageLimit": basic.get("usageLimit"),
        "appliesOncePerCustomer": bool(basic.get("appliesOncePerCustomer")),
        "context": basic.get("context"),
        "customerGets": basic["customerGets"],
        "minimumRequirement": basic.get("minimumRequirement"),
        "status": "ACTIVE",
    }
    store.discounts[code] = discount
    return {"codeDiscountNode": {"id": gid, "codeDiscount": discount}, "userErrors": []}
