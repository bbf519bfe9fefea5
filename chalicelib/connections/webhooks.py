"""The store's webhooks registered for the owner through its own API, and kept right.

With a connection, every topic proofloop uses (chalicelib/webhook_health.py TOPICS) is subscribed at proofloop's own
address (chalicelib/webhook_health.py `webhook_address`): Shopify's `webhookSubscriptionCreate` (JSON), WooCommerce's
`POST /webhooks` signed with the shop's webhook secret. The rules, per topic:

- a subscription of the topic already at our current address is "kept" and adopted as ours (no call);
- one we registered earlier (its id recorded on the connection) at another address, the base URL having changed, is
  replaced: the new one is created first, then the old one deleted ("replaced");
- what we did not register (another app's, another address not recorded as ours) is left alone;
- a create that fails (userErrors, a refused call) makes that topic "failed" with the reason; the others go on. A
  throttled, unavailable or refused store is asked nothing more in this request (every topic left is "failed", not
  tried): registration runs in the owner's request, which never waits on a store, and they can run it again.

Running it twice changes nothing: the second run keeps every topic. Shopify's compliance topics cannot be subscribed
through the API at all (only in the app's configuration): they are not asked for, and the view names them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import clock

if TYPE_CHECKING:
    from chalicelib.connections.api import StoreApi, StoreCallFailed
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

# Shopify lets only an app's configuration (shopify.app.toml, the Partner or Dev Dashboard) subscribe these.
MANUAL_TOPICS: dict[str, tuple[str, ...]] = {
    "shopify": ("customers/data_request", "customers/redact", "shop/redact"),
    "woocommerce": (),
}
WOO_NAME = "proofloop {topic}"
SHOPIFY_LIST = "query Subscriptions($first: Int!) { webhookSubscriptions(first: $first) { nodes { id topic uri } } }"
SHOPIFY_CREATE = (
    "mutation Subscribe($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) "
    "{ webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) "
    "{ webhookSubscription { id topic uri } userErrors { field message } } }"
)
SHOPIFY_DELETE = (
    "mutation Unsubscribe($id: ID!) "
    "{ webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }"
)
PAGE = 100  # one page: proofloop's own topics are a dozen at most; more of them are other subscriptions


class _Stop(Exception):
    """The store should be asked nothing more now (throttled, unavailable, the credential refused)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Refused(Exception):
    """The store refused this one call in words (a userError, a 4xx): the topic fails, the others go on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def address(shop: Shop) -> str:
    from chalicelib.config import get_settings
    from chalicelib.webhook_health import webhook_address

    return webhook_address(get_settings().base_url, shop)


def topics(platform: str) -> list[str]:
    """The topics proofloop registers through the platform's API, in the console's order."""
    from chalicelib.webhook_health import TOPICS

    manual = MANUAL_TOPICS.get(platform, ())
    return [t for t in TOPICS.get(platform, ()) if t not in manual]


def shopify_enum(topic: str) -> str:
    """orders/create -> ORDERS_CREATE (Shopify's WebhookSubscriptionTopic)."""
    return topic.replace("/", "_").upper()


def _shopify_topic(enum: str) -> str:
    head, _, tail = enum.lower().rpartition("_")
    return f"{head}/{tail}" if head else enum.lower()


def register_webhooks(table: Table, shop: Shop, api: StoreApi) -> list[dict[str, Any]]:
    """Register every topic at our address, keep what is right, replace our stale ones; record which are ours on
    the connection and answer each topic's outcome (`{"topic", "status", "reason"?}`)."""
    from chalicelib.store import connections as records

    here = address(shop)
    item = records.get_connection(table, shop.shop_id) or {}
    recorded = {w["topic"]: w for w in item.get("webhooks") or [] if isinstance(w, dict) and w.get("topic")}
    entries: list[dict[str, Any]] = []
    stopped: str | None = None
    try:
        existing = _list(table, shop, api)
    except _Stop as stop:
        existing, stopped = [], f"the store's webhooks could not be listed: {stop.reason}"
    for topic in topics(shop.platform):
        before = recorded.get(topic) or {}
        if stopped is not None:
            entries.append(_failed(topic, before, stopped))
            continue
        try:
            entry, stop_reason = _register_topic(table, shop, api, topic, here, before, existing)
            entries.append(entry)
            if stop_reason is not None:
                stopped = f"not tried: {stop_reason}"
        except _Stop as stop:
            stopped = f"not tried: {stop.reason}"
            entries.append(_failed(topic, before, stop.reason))
        except _Refused as refused:
            entries.append(_failed(topic, before, refused.reason))
    records.set_webhooks(table, shop.shop_id, entries, clock.iso())
    return [_outcome(e) for e in entries]


def _register_topic(
    table: Table,
    shop: Shop,
    api: StoreApi,
    topic: str,
    here: str,
    before: dict[str, Any],
    existing: list[dict[str, Any]],
) -> tuple[dict[str, Any], str | None]:
    """One topic's entry, and why the store should be asked nothing more (None: go on)."""
    same_topic = [s for s in existing if s["topic"] == topic]
    mine = {str(i) for i in before.get("ids") or []}
    stale = [s for s in same_topic if s["id"] in mine and not _usable(s, here)]
    at_ours = [s["id"] for s in same_topic if _usable(s, here)]  # every one at our address is ours now
    status = "kept"
    if not at_ours:
        at_ours = [_create(table, shop, api, topic, here)["id"]]
        status = "registered"
    for n, old in enumerate(stale):
        try:
            _delete(table, shop, api, old["id"], stop_on_refused=False)
        except (_Refused, _Stop) as failure:
            entry = _entry(topic, "failed", [*at_ours, *(s["id"] for s in stale[n:])], here)
            entry["reason"] = f"now at {here}, but the old one at {old['address']} stays: {failure.reason}"
            return entry, failure.reason if isinstance(failure, _Stop) else None
        status = "replaced"
    return _entry(topic, status, at_ours, here), None


def _usable(subscription: dict[str, Any], here: str) -> bool:
    return subscription["address"] == here and subscription.get("active") is not False


def _entry(topic: str, status: str, ids: list[str], here: str) -> dict[str, Any]:
    return {"topic": topic, "status": status, "ids": ids, "address": here}


def _failed(topic: str, before: dict[str, Any], reason: str) -> dict[str, Any]:
    """A failed topic keeps what it recorded before: those subscriptions are still ours, to replace or remove."""
    entry: dict[str, Any] = {"topic": topic, "status": "failed", "reason": reason, "ids": list(before.get("ids") or [])}
    if before.get("address"):
        entry["address"] = before["address"]
    return entry


def _outcome(entry: dict[str, Any]) -> dict[str, Any]:
    out = {"topic": entry["topic"], "status": entry["status"]}
    if entry.get("reason"):
        out["reason"] = entry["reason"]
    return out


def view(stored: list[dict[str, Any]], here: str) -> list[dict[str, Any]]:
    """The recorded registrations as the owner sees them; one that points at an address no longer ours says so."""
    out = []
    for entry in stored:
        shown = _outcome(entry)
        if entry["status"] != "failed" and entry.get("address") and entry["address"] != here:
            shown["reason"] = f"stale: it points at {entry['address']}, no longer proofloop's address; register again"
        out.append(shown)
    return out


def remove_webhooks(table: Table, shop: Shop, api: StoreApi) -> list[dict[str, Any]]:
    """Delete every subscription recorded as ours (best effort: one already gone is fine; a store that cannot be
    asked stops it). Answers what was not removed, `{"topic", "reason"}` each."""
    from chalicelib.store import connections as records

    item = records.get_connection(table, shop.shop_id) or {}
    left: list[dict[str, Any]] = []
    stopped: str | None = None
    for entry in item.get("webhooks") or []:
        for ident in entry.get("ids") or []:
            if stopped is not None:
                left.append({"topic": entry["topic"], "reason": f"not tried: {stopped}"})
                continue
            try:
                _delete(table, shop, api, str(ident))
            except _Stop as stop:
                stopped = stop.reason
                left.append({"topic": entry["topic"], "reason": stop.reason})
            except _Refused as refused:
                left.append({"topic": entry["topic"], "reason": refused.reason})
    return left


# --- the platforms' calls ------------------------------------------------------------------------------------------
def _noted(table: Table, shop: Shop, what: str, failure: StoreCallFailed) -> None:
    from chalicelib.connections.api import record_failure

    record_failure(table, shop.shop_id, what, failure.kind, failure.reason)


def _call(table: Table, shop: Shop, what: str, call: Any, *, stop_on_refused: bool = True) -> Any:
    """Run one call; a failure is counted on the connection, then raised as _Stop or _Refused. A refusal stops
    everything unless the call is one topic's after the list was read with the same credential: then it is that
    topic's refusal (Shopify's ACCESS_DENIED for a topic whose scope the token lacks)."""
    from chalicelib.connections.api import StoreCallFailed

    try:
        return call()
    except StoreCallFailed as failure:
        _noted(table, shop, what, failure)
        if failure.retryable or (failure.kind == "refused" and stop_on_refused):
            raise _Stop(failure.reason) from None
        raise _Refused(failure.reason) from None


def _user_errors(table: Table, shop: Shop, what: str, payload: Any) -> None:
    from chalicelib.connections.api import StoreCallFailed

    problems = payload.get("userErrors") if isinstance(payload, dict) else None
    if problems:
        reason = "; ".join(str(p.get("message", "")) for p in problems if isinstance(p, dict))[:300]
        _noted(table, shop, what, StoreCallFailed("unexpected", f"Shopify said: {reason}"))
        raise _Refused(f"Shopify said: {reason}")


def _list(table: Table, shop: Shop, api: StoreApi) -> list[dict[str, Any]]:
    """The store's subscriptions, each `{"id", "topic", "address", "active"}` (topic as proofloop names it)."""
    from chalicelib.connections.api import ShopifyApi

    try:
        if isinstance(api, ShopifyApi):
            data = _call(table, shop, "list webhooks", lambda: api.graphql(SHOPIFY_LIST, {"first": PAGE}))
            nodes = (data.get("webhookSubscriptions") or {}).get("nodes") or []
            return [
                {"id": str(n["id"]), "topic": _shopify_topic(str(n["topic"])), "address": str(n.get("uri") or "")}
                for n in nodes
                if isinstance(n, dict) and n.get("id") and n.get("topic")
            ]
        status, body = _call(table, shop, "list webhooks", lambda: api.request("GET", f"/webhooks?per_page={PAGE}"))
    except _Refused as refused:
        raise _Stop(refused.reason) from None  # without the list, no topic can be judged
    if status != 200 or not isinstance(body, list):
        raise _Stop(f"the store's list of webhooks could not be read (it answered {status})")
    return [
        {
            "id": str(w["id"]),
            "topic": str(w.get("topic") or ""),
            "address": str(w.get("delivery_url") or ""),
            "active": w.get("status") == "active",
        }
        for w in body
        if isinstance(w, dict) and w.get("id") is not None
    ]


def _create(table: Table, shop: Shop, api: StoreApi, topic: str, here: str) -> dict[str, Any]:
    from chalicelib.connections.api import ShopifyApi

    what = f"register webhook {topic}"
    if isinstance(api, ShopifyApi):
        variables = {"topic": shopify_enum(topic), "webhookSubscription": {"uri": here, "format": "JSON"}}
        data = _call(table, shop, what, lambda: api.graphql(SHOPIFY_CREATE, variables), stop_on_refused=False)
        payload = data.get("webhookSubscriptionCreate")
        _user_errors(table, shop, what, payload)
        created = (payload or {}).get("webhookSubscription") or {}
        if not created.get("id"):
            raise _Refused("Shopify answered without the new subscription")
        return {"id": str(created["id"])}
    body = {
        "name": WOO_NAME.format(topic=topic),
        "topic": topic,
        "delivery_url": here,
        "secret": shop.webhook_secret,
        "status": "active",
    }
    status, answer = _call(table, shop, what, lambda: api.request("POST", "/webhooks", body), stop_on_refused=False)
    if status not in (200, 201) or not isinstance(answer, dict) or answer.get("id") is None:
        message = answer.get("message") if isinstance(answer, dict) else None
        reason = f"WooCommerce said: {str(message)[:200]}" if message else f"WooCommerce answered {status}"
        from chalicelib.connections.api import StoreCallFailed

        _noted(table, shop, what, StoreCallFailed("unexpected", reason))
        raise _Refused(reason)
    return {"id": str(answer["id"])}


def _delete(table: Table, shop: Shop, api: StoreApi, ident: str, *, stop_on_refused: bool = True) -> None:
    """Delete one subscription; one the store no longer has is already what we want."""
    from chalicelib.connections.api import ShopifyApi, StoreCallFailed

    what = "remove webhook"
    if isinstance(api, ShopifyApi):
        data = _call(
            table, shop, what, lambda: api.graphql(SHOPIFY_DELETE, {"id": ident}), stop_on_refused=stop_on_refused
        )
        payload = data.get("webhookSubscriptionDelete") or {}
        problems = payload.get("userErrors") or []
        if problems and not any("not exist" in str(p.get("message", "")).lower() for p in problems):
            _user_errors(table, shop, what, payload)
        return

    def delete() -> tuple[int, Any]:
        try:
            return api.request("DELETE", f"/webhooks/{ident}?force=true")
        except StoreCallFailed as failure:
            if failure.kind == "not_found":
                return 404, None
            raise

    status, answer = _call(table, shop, what, delete, stop_on_refused=stop_on_refused)
    if status not in (200, 404):
        message = answer.get("message") if isinstance(answer, dict) else None
        reason = f"WooCommerce said: {str(message)[:200]}" if message else f"WooCommerce answered {status}"
        _noted(table, shop, what, StoreCallFailed("unexpected", reason))
        raise _Refused(reason)
