"""The connect page's one-key path: the form read into the same body PUT /shops/{id}/connection takes and connected
by the same code; what the page shows of a connection (never the credential); the webhooks registered again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib import errors

if TYPE_CHECKING:
    from chalicelib.console.models import ConnectForm
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

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


def registration_texts(webhooks: list[dict[str, Any]], manual: Sequence[str] = ()) -> dict[str, str]:
    """What the health table's "Registered" column says per topic (absent: registered by hand, if at all); `manual`:
    the topics no API may subscribe (Shopify's compliance topics), set in the app's own configuration."""
    texts: dict[str, str] = {_key(topic): "Set in the app's configuration" for topic in manual}
    for hook in webhooks:
        status, reason = hook.get("status"), hook.get("reason") or "no reason given"
        texts[_key(str(hook.get("topic", "")))] = (
            "Registered by proofloop" if status in REGISTERED else f"Not registered: {reason}"
        )
    return texts


def registration_of(texts: dict[str, str], topic: str) -> str | None:
    """The topic's text, or None when proofloop has not registered it (by hand, if at all)."""
    return texts.get(_key(topic))


def register_again(table: Table, shop: Shop) -> tuple[list[dict[str, Any]], str | None, int]:
    """Register the shop's webhooks with its store again, by POST /connection/webhooks's code: (what each topic came
    to, None, 200), or ([], why not, 409 when the shop is not connected, or the error's own status)."""
    from chalicelib.connections.service import register

    try:
        view = register(table, shop)
    except errors.NotFound:
        return [], "The store is not connected: connect it with its key first.", 409
    except errors.ProofloopError as exc:
        return [], exc.message, exc.status
    return list(view["webhooks"]), None, 200
