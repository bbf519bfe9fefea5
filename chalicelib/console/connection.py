"""The connect page's one-key path: the form read into the same body PUT /shops/{id}/connection takes and connected
by the same code; what the page shows of a connection (never the credential); the webhooks registered again.

Webhook registration (chalicelib/connections/webhooks.py) is imported when asked for, so the page works, without
the button, in a build that does not have it."""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from chalicelib import errors

if TYPE_CHECKING:
    from chalicelib.console.models import ConnectForm
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

REGISTRATION = "chalicelib.connections.webhooks"
REGISTERED = ("registered", "kept", "replaced")

# What each field holds when its value has the wrong shape (the models' patterns, in words).
SHAPES = {
    "access_token": "An Admin API access token is shpat_ followed by 32 to 64 letters and digits.",
    "api_secret_key": "An API secret key is 32 to 64 letters and digits.",
    "consumer_key": "A consumer key is ck_ followed by 40 characters 0-9 and a-f.",
    "consumer_secret": "A consumer secret is cs_ followed by 40 characters 0-9 and a-f.",
}
EMPTY = {
    "access_token": "Paste the Admin API access token.",
    "consumer_key": "Paste the consumer key.",
    "consumer_secret": "Paste the consumer secret.",
}
# The field a refusal of the whole credential goes beside, by platform.
MAIN_FIELD = {"shopify": "access_token", "woocommerce": "consumer_key"}


def _body(shop: Shop, form: ConnectForm) -> tuple[Any, str]:
    """The form as PUT's body (the platform whose fields were filled, else the shop's), and that platform."""
    shopify_sent = bool(form.access_token.strip() or form.api_secret_key.strip())
    woo_sent = bool(form.consumer_key.strip() or form.consumer_secret.strip())
    platform = shop.platform
    if shopify_sent != woo_sent:
        platform = "shopify" if shopify_sent else "woocommerce"
    if platform == "shopify":
        credential: dict[str, Any] = {"access_token": form.access_token}
        if form.api_secret_key.strip():
            credential["api_secret_key"] = form.api_secret_key
        return {"shopify": credential}, platform
    return {"woocommerce": {"consumer_key": form.consumer_key, "consumer_secret": form.consumer_secret}}, platform


def _shape_errors(exc: Any, form: ConnectForm) -> dict[str, str]:
    """A ConnectionIn's refusal as a message by form field (never the value sent)."""
    found: dict[str, str] = {}
    for problem in exc.errors(include_url=False, include_input=False):
        name = str(problem["loc"][-1]) if problem["loc"] else ""
        if name not in SHAPES:
            continue
        empty = not str(getattr(form, name, "")).strip()
        found.setdefault(name, EMPTY.get(name, SHAPES[name]) if empty else SHAPES[name])
    return found


def connect_form(table: Table, shop: Shop, form: ConnectForm) -> tuple[dict[str, Any] | None, dict[str, str], int]:
    """Connect the shop from the form by PUT /connection's code: (the connection, {}, 200), or (None, the
    errors by field, the status PUT would answer: 422 refused or malformed, 409 another store, 503 unreachable)."""
    from pydantic import ValidationError

    from chalicelib.connections.models import ConnectionIn
    from chalicelib.connections.service import connect

    if shop.platform not in MAIN_FIELD:  # its page has no such form: the error page says why
        raise errors.ValidationFailed(
            f"a {shop.platform} shop sends its own signed webhooks; it has no store API to connect",
            code="platform_mismatch",
        )
    data, platform = _body(shop, form)
    try:
        body = ConnectionIn.model_validate(data)
    except ValidationError as exc:
        if platform != shop.platform:  # the other platform's fields, which this shop's page does not show
            mismatch = f"this shop is a {shop.platform} shop; send a {shop.platform} credential"
            return None, {MAIN_FIELD[shop.platform]: mismatch}, 422
        return None, _shape_errors(exc, form) or {MAIN_FIELD[platform]: SHAPES[MAIN_FIELD[platform]]}, 422
    try:
        return connect(table, shop, body), {}, 200
    except errors.ProofloopError as exc:  # beside the field the page shows, the shop's platform's
        return None, {MAIN_FIELD[shop.platform]: exc.message}, exc.status


def connection_card(table: Table, shop: Shop) -> dict[str, Any] | None:
    """The connection as GET /connection answers it, and when the credential was checked; None when there is none."""
    from chalicelib.connections.service import connection
    from chalicelib.store.connections import get_connection

    try:
        view = connection(table, shop)
    except errors.NotFound:
        return None
    item = get_connection(table, shop.shop_id) or {}
    return {**view, "checked_at": item.get("checked_at")}


def _key(topic: str) -> str:
    """A topic as either spelling names it: Shopify's `orders/create` or its enum `ORDERS_CREATE`."""
    return topic.strip().upper().replace("/", "_").replace(".", "_")


def registration_texts(webhooks: list[dict[str, Any]]) -> dict[str, str]:
    """What the health table's "Registered" column says per topic (absent: registered by hand, if at all)."""
    texts: dict[str, str] = {}
    for hook in webhooks:
        status, reason = hook.get("status"), hook.get("reason") or "no reason given"
        texts[_key(str(hook.get("topic", "")))] = (
            "Registered by proofloop" if status in REGISTERED else f"Not registered: {reason}"
        )
    return texts


def registration_of(texts: dict[str, str], topic: str) -> str | None:
    """The topic's text, or None when proofloop has not registered it (by hand, if at all)."""
    return texts.get(_key(topic))


def can_register() -> bool:
    """Whether this build registers webhooks with the store."""
    return importlib.util.find_spec(REGISTRATION) is not None


def _registrations(result: Any) -> list[dict[str, Any]]:
    """register_webhooks's answer as `{"topic", "status", "reason"}` items (a list, or a mapping holding one)."""
    if isinstance(result, dict):
        result = result.get("webhooks", [])
    found = []
    for hook in result or []:
        read = hook.get if isinstance(hook, dict) else lambda name, h=hook: getattr(h, name, None)
        found.append({"topic": str(read("topic") or ""), "status": str(read("status") or ""), "reason": read("reason")})
    return found


def register_again(table: Table, shop: Shop) -> tuple[list[dict[str, Any]], str | None, int]:
    """Register the shop's webhooks with its store again: (what each topic came to, None, 200), or ([], why not,
    409 not connected / 422 refused / 503 the store or this build cannot now)."""
    from chalicelib.connections.api import StoreCallFailed, store_api

    if not can_register():
        return [], "This version of proofloop does not register webhooks with the store; register them by hand.", 503
    try:
        api = store_api(table, shop)
        if api is None:
            return [], "The store is not connected: connect it with its key first.", 409
        registration = importlib.import_module(REGISTRATION)
        result = registration.register_webhooks(table, shop, api)
    except StoreCallFailed as exc:
        return [], f"The store did not take the registrations: {exc.reason}.", 503 if exc.retryable else 422
    except errors.ProofloopError as exc:
        return [], exc.message, exc.status
    return _registrations(result), None, 200
