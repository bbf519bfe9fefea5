"""Shopify's `metafieldsSet` and `metafieldsDelete` (Admin GraphQL 2025-07), as Shopify documents them, on the
products of a stand-in `Store` (`Store.products`: product gid -> {"metafields": {"<namespace>.<key>": {"type",
"value"}}}).

- metafieldsSet takes at most 25 metafields and is atomic: any userError and none is set. A userError names its
  input by `field` (["metafields", "<index>", "<input field>"]) and `elementIndex`, with a MetafieldsSetUserErrorCode.
  An owner the store does not have (a deleted product) is a userError on its `ownerId`.
- Values are checked as Shopify checks them: `rating` is JSON `{"value", "scale_min", "scale_max"}` (decimal strings,
  the value within the scale); `number_integer` an integer string; the standard definitions `reviews.rating`
  (rating, scale 1 to 5) and `reviews.rating_count` (number_integer, at least 0) take no other type.
- metafieldsDelete takes MetafieldIdentifierInput (ownerId, namespace, key) and answers `deletedMetafields` in the
  same order, null where no such metafield is (so a deleted product is null too).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from tests.stand_ins.shopify_admin import ShopifyAdmin, Store, user_error

MAX_INPUTS = 25
STANDARD = {"reviews.rating": "rating", "reviews.rating_count": "number_integer"}
STANDARD_SCALE = (Decimal(1), Decimal(5))


def install(admin: ShopifyAdmin) -> None:
    admin.fields["metafieldsSet"] = metafields_set
    admin.fields["metafieldsDelete"] = metafields_delete


def _error(index: int, field_name: str, message: str, code: str) -> dict[str, Any]:
    return {**user_error(["metafields", str(index), field_name], message, code), "elementIndex": index}


def _decimal(text: Any) -> Decimal | None:
    if not isinstance(text, str):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _value_problem(kind: str, value: Any, standard: bool) -> str | None:
    """Why Shopify would refuse this value for this type (None: it takes it)."""
    if not isinstance(value, str):
        return "Value must be a string."
    if kind == "number_integer":
        try:
            number = int(value)
        except ValueError:
            return "Value must be an integer."
        return "Value must be greater than or equal to 0." if standard and number < 0 else None
    if kind == "rating":
        try:
            rating = json.loads(value)
        except ValueError:
            return "Value is invalid JSON."
        if not isinstance(rating, dict) or set(rating) != {"value", "scale_min", "scale_max"}:
            return "Value must have the keys value, scale_min and scale_max."
        low, high, given = (_decimal(rating[k]) for k in ("scale_min", "scale_max", "value"))
        if low is None or high is None or given is None:
            return "Value's value, scale_min and scale_max must be decimal strings."
        if standard and (low, high) != STANDARD_SCALE:
            return "Value's scale must be the definition's: 1 to 5."
        if not low <= given <= high:
            return f"Value must be between {rating['scale_min']} and {rating['scale_max']}."
        return None
    return None


def metafields_set(store: Store, variables: dict[str, Any]) -> Any:
    inputs = variables.get("metafields") or []
    if len(inputs) > MAX_INPUTS:
        error = user_error(["metafields"], f"Exceeds the maximum input size of {MAX_INPUTS}.", "LESS_THAN_OR_EQUAL_TO")
        return {"metafields": None, "userErrors": [{**error, "elementIndex": None}]}
    errors: list[dict[str, Any]] = []
    for index, given in enumerate(inputs):
        owner = given.get("ownerId")
        name = f"{given.get('namespace')}.{given.get('key')}"
        if owner not in store.products:
            errors.append(_error(index, "ownerId", "Owner does not exist.", "INVALID"))
            continue
        if not given.get("namespace") or not given.get("key"):
            errors.append(_error(index, "key", "Key can't be blank.", "BLANK"))
            continue
        kind = given.get("type") or (store.products[owner]["metafields"].get(name) or {}).get("type")
        if kind not in ("rating", "number_integer", "single_line_text_field", "json"):
            errors.append(_error(index, "type", "Type is invalid.", "INVALID_TYPE"))
            continue
        if name in STANDARD and kind != STANDARD[name]:
            errors.append(
                _error(index, "type", f"Type must be {STANDARD[name]} (the standard definition's).", "INVALID_TYPE")
            )
            continue
        problem = _value_problem(kind, given.get("value"), name in STANDARD)
        if problem is not None:
            errors.append(_error(index, "value", problem, "INVALID_VALUE"))
    if errors:
        return {"metafields": [], "userErrors": errors}  # atomic: none is set
    out = []
    for given in inputs:
        name = f"{given['namespace']}.{given['key']}"
        kind = given.get("type") or store.products[given["ownerId"]]["metafields"][name]["type"]
        store.products[given["ownerId"]]["metafields"][name] = {"type": kind, "value": given["value"]}
        out.append({"key": given["key"], "namespace": given["namespace"], "ownerId": given["ownerId"]})
    return {"metafields": out, "userErrors": []}


def metafields_delete(store: Store, variables: dict[str, Any]) -> Any:
    deleted: list[dict[str, Any] | None] = []
    for given in variables.get("metafields") or []:
        product = store.products.get(given.get("ownerId"))
        name = f"{given.get('namespace')}.{given.get('key')}"
        if product is None or name not in product["metafields"]:
            deleted.append(None)
            continue
        del product["metafields"][name]
        deleted.append({"key": given["key"], "namespace": given["namespace"], "ownerId": given["ownerId"]})
    return {"deletedMetafields": deleted, "userErrors": []}
