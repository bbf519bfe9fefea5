"""The owner's console: its sections, the settings form read into the same change as PATCH, the connect page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalicelib import errors, routes
from chalicelib.store.shop_settings import console_fields

if TYPE_CHECKING:
    from chalicelib.console.models import SettingsForm, SetupForm
    from chalicelib.http import HttpResponse
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

# The sections that exist, in the nav's order: section -> its label (the route table declares them).
SECTIONS: dict[str, str] = {section.name: section.label for section in routes.SECTIONS}

# Every setting the settings page shows: (name, label, kind, meaning). Kinds: int, bool, text, or a tuple of
# choices. Each is declared with its setting, in chalicelib/store/shop_settings.py.
SETTING_FIELDS: tuple[tuple[str, str, Any, str], ...] = console_fields()

_SPLIT = re.compile(r"[\s,]+")


def split_hosts(text: str) -> list[str]:
    """Hosts as a form sends them: separated by spaces, commas or lines."""
    return [h for h in _SPLIT.split(text.strip()) if h]


def field_errors(exc: errors.ValidationFailed | errors.Conflict, fallback: str) -> dict[str, str]:
    """A refusal as messages by form field: `settings.timezone` and `domains.0` are the fields `timezone` and
    `domains`; a refusal that names no field goes beside `fallback`."""
    found: dict[str, str] = {}
    for problem in exc.details or []:
        parts = str(problem.get("field", "")).split(".")
        name = parts[1] if parts[0] == "settings" and len(parts) > 1 else parts[0]
        found.setdefault(name or fallback, str(problem.get("problem", exc.message)))
    if not found:
        found[fallback] = exc.message
    return found


def settings_values(shop: Shop) -> dict[str, Any]:
    """What the settings form shows: the stored values, as text."""
    values: dict[str, Any] = {"name": shop.name, "domains": "\n".join(shop.domains)}
    values.update(shop.settings.to_map())
    return values


def save_settings(table: Table, shop: Shop, form: SettingsForm) -> tuple[Shop | None, dict[str, str]]:
    """The form read into the change PATCH /shops/{id} makes, and made by the same code; or the errors by field."""
    from pydantic import ValidationError

    from chalicelib.http import validation_failed
    from chalicelib.shops.models import ShopUpdate
    from chalicelib.shops.service import update_shop

    problems: dict[str, str] = {}
    settings: dict[str, object] = {}
    for name, _, kind, _ in SETTING_FIELDS:
        raw = str(getattr(form, name)).strip()
        if kind == "bool":
            settings[name] = raw != ""
        elif kind == "int":
            try:
                settings[name] = int(raw)
            except ValueError:
                problems[name] = "enter a whole number"
        else:
            settings[name] = raw
    try:
        change = ShopUpdate(name=form.name.strip(), domains=split_hosts(form.domains), settings=settings)
    except ValidationError as exc:
        problems = {**field_errors(validation_failed(exc), "name"), **problems}
        return None, problems
    if problems:
        return None, problems
    try:
        return update_shop(table, shop, change), {}
    except errors.ValidationFailed as exc:
        return None, field_errors(exc, "name")
    except errors.Conflict as exc:
        return None, {"domains" if exc.code == "domain_taken" else "name": exc.message}


def new_webhook_secret(platform: str) -> str:
    """A fresh signing secret: Standard Webhooks' whsec_ form for generic senders, plain text otherwise."""
    import base64
    import secrets

    if platform == "generic":
        return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    return secrets.token_urlsafe(32)


def send_test_event(shop: Shop) -> tuple[bytes, dict[str, str]]:
    """A `webhook.test` event signed with the shop's secret, as a generic sender would sign it."""
    import json
    import secrets

    from chalicelib import clock
    from chalicelib.webhooks.signatures import standard_signature

    body = json.dumps({"type": "webhook.test", "timestamp": clock.iso(), "data": {}}).encode()
    msg_id, stamp = "msg_test_" + secrets.token_hex(8), str(clock.epoch())
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": standard_signature(shop.webhook_secret, msg_id, stamp, body),
    }
    return body, headers


PLATFORMS = (
    ("shopify", "Shopify"),
    ("woocommerce", "WooCommerce"),
    ("generic", "Another platform (Standard Webhooks)"),
)


def create_first_shop(table: Table, form: SetupForm) -> tuple[Shop | None, str, dict[str, str]]:
    """The instance's first shop, made by the same code as POST /shops, with a fresh signing secret; the owner
    key (shown once); or the errors by field. Refused (409) once the instance has a shop."""
    from pydantic import ValidationError

    from chalicelib.http import validation_failed
    from chalicelib.shops.models import ShopCreate
    from chalicelib.shops.service import create_shop

    try:
        request = ShopCreate(
            shop_id=form.shop_id.strip(),
            name=form.name.strip(),
            platform=form.platform,  # the model checks it is one of the three
            domains=split_hosts(form.domains),
            webhook_secret=new_webhook_secret(form.platform),
            settings={"timezone": form.timezone.strip() or "UTC"},  # validated as a model
        )
    except ValidationError as exc:
        return None, "", field_errors(validation_failed(exc), "name")
    try:
        shop, api_key = create_shop(table, request, first=True)
    except errors.Conflict as exc:
        if exc.code == "already_set_up":
            raise
        return None, "", {"domains" if exc.code == "domain_taken" else "shop_id": exc.message}
    return shop, api_key, {}


def setup_form(
    table: Table, status: int = 200, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> HttpResponse:
    """The set-up page: the form while the instance has no shop, else where to sign in."""
    from chalicelib.store.shop_records import instance_has_shop
    from chalicelib.web.render import page

    defaults = {"shop_id": "", "name": "", "platform": "", "domains": "", "timezone": "UTC"}
    return page(
        "setup.html",
        status=status,
        set_up=instance_has_shop(table),
        platforms=PLATFORMS,
        values={**defaults, **(values or {})},
        errors=errors or {},
    )
