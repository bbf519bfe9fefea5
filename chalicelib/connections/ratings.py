"""The due work that keeps the stars in a Shopify store's own product data: the standard `reviews.rating` and
`reviews.rating_count` metafields of each reviewed product, equal to its published reviews.

A review published, rejected or imported marks its product (chalicelib/store/store_ratings.py, pattern 66). Each
run takes the markers due, by shop, and for a shop connected with `write_products` reads the products' aggregates
and tells the store: `metafieldsSet` for a product with published reviews (2 metafields each, 12 products a call,
within Shopify's 25), `metafieldsDelete` for one that has none any more. A marker goes once its product is written.

- A product deleted in the store: `metafieldsSet` is atomic and answers a userError on that product's `ownerId`;
  its marker is dropped (counted, logged) and the rest of the call is sent again in the same run.
- A shop with no connection, or one without `write_products`, has its markers dropped: there is nothing to write to
  (the connect answer and page already name the missing scope and what it is for).
- The store failing (throttled, 429, 5xx, no answer): the shop's markers left are put off with STORE_RATINGS, at
  least as long as the store asked, and parked at the last attempt; a refused credential parks them at once. Every
  failure is counted on the connection (the connect page shows it) and as StoreCallFailed. Another shop's markers
  go on in the same run; nothing here waits.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.connections.api import StoreCallFailed
from chalicelib.observability import logger
from chalicelib.store import store_ratings as store

if TYPE_CHECKING:
    from chalicelib.budget import Budget
    from chalicelib.connections.api import ShopifyApi
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.store_ratings import DueProduct
    from chalicelib.store.table import Table

PAGE = 250  # markers taken a page
MAX_PAGES = 8  # pages a run: what is left (the budget permitting) waits for the next run
PRODUCTS_PER_CALL = 12  # 2 metafields each: 24, within metafieldsSet's 25
NAMESPACE = "reviews"
SCALE_MIN, SCALE_MAX = "1", "5"
SCOPE = "write_products"
PRODUCT_GID = "gid://shopify/Product/"
WHAT = "stars in the product data (reviews.rating metafields)"

SET_MUTATION = (
    "mutation StarsSet($metafields: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $metafields) "
    "{ metafields { key namespace ownerId } userErrors { field message code elementIndex } } }"
)
DELETE_MUTATION = (
    "mutation StarsDelete($metafields: [MetafieldIdentifierInput!]!) { metafieldsDelete(metafields: $metafields) "
    "{ deletedMetafields { key namespace ownerId } userErrors { field message } } }"
)


def product_gid(product_id: str) -> str | None:
    """The product's id in Shopify's Admin API: Shopify's webhooks name products by their numeric id."""
    if product_id.startswith(PRODUCT_GID) and product_id[len(PRODUCT_GID) :].isdigit():
        return product_id
    return PRODUCT_GID + product_id if product_id.isdigit() else None


def rating_value(count: int, total: Decimal) -> str:
    """The average rating as the `rating` type's decimal string: two places at most, at least one ("5.0")."""
    average = (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = format(average.normalize(), "f")
    return text if "." in text else f"{text}.0"


def metafields(gid: str, count: int, total: Decimal) -> list[dict[str, str]]:
    """The product's two standard metafields, as metafieldsSet takes them."""
    rating = {"value": rating_value(count, total), "scale_min": SCALE_MIN, "scale_max": SCALE_MAX}
    return [
        {"ownerId": gid, "namespace": NAMESPACE, "key": "rating", "type": "rating", "value": json.dumps(rating)},
        {"ownerId": gid, "namespace": NAMESPACE, "key": "rating_count", "type": "number_integer", "value": str(count)},
    ]


def identifiers(gid: str) -> list[dict[str, str]]:
    return [{"ownerId": gid, "namespace": NAMESPACE, "key": key} for key in ("rating", "rating_count")]


def mark_every_product(table: Table, shop: Shop) -> int:
    """A new connection's first sync: every product with published reviews due now (markers dropped while the shop
    had no connection left the store behind). For the connect flow, once the credential is kept with write_products;
    how many products were marked."""
    if not store.wanted(shop.platform):
        return 0
    return store.mark_every_product(table, shop.shop_id, clock.iso())


def sync_store_ratings(table: Table, budget: Budget | None = None) -> int:
    """The due work: each shop's products marked since, written to its store. Returns the markers handled."""
    now = clock.now()
    handled = 0
    for _ in range(MAX_PAGES):
        markers = store.due(table, clock.iso(now), PAGE)
        by_shop: dict[str, list[DueProduct]] = {}
        for marker in markers:
            by_shop.setdefault(marker.shop_id, []).append(marker)
        for shop_id, group in by_shop.items():
            if budget is not None and budget.spent():
                return handled
            handled += len(group)
            try:
                _sync_shop(table, shop_id, group, now, budget)
            except Exception as exc:  # noqa: BLE001 - one shop's failure never stops the others
                logger.warning("store ratings not written", extra={"shop_id": shop_id, "reason": repr(exc)})
                _put_off(table, group, now, exc)
        if len(markers) < PAGE:
            break
    return handled


def _sync_shop(table: Table, shop_id: str, markers: list[DueProduct], now: datetime, budget: Budget | None) -> None:
    from chalicelib.connections.api import ShopifyApi, store_api
    from chalicelib.store import connections as records
    from chalicelib.store.shop_records import get_shop

    shop = get_shop(table, shop_id)
    if shop is None or not store.wanted(shop.platform):
        _drop(table, markers, "the shop is gone, or its platform keeps no stars in the store")
        return
    connection = records.get_connection(table, shop_id)
    if connection is None or connection.get("platform") != "shopify":
        _drop(table, markers, "the shop is not connected to its store")
        return
    if SCOPE in {str(m.get("scope")) for m in connection.get("missing_scopes") or []}:
        _drop(table, markers, f"the store's access token lacks {SCOPE}")
        return
    api = store_api(table, shop)
    if not isinstance(api, ShopifyApi):
        _drop(table, markers, "the shop is not connected to its store")
        return
    stats = store.stats(table, shop_id, [m.product_id for m in markers])
    writes: list[tuple[DueProduct, str, list[dict[str, str]]]] = []
    removals: list[tuple[DueProduct, str]] = []
    for marker in markers:
        gid = product_gid(marker.product_id)
        if gid is None:
            _drop(table, [marker], "the product id is not a Shopify product's")
            continue
        stat = stats.get(marker.product_id) or {}
        count = int(stat.get("review_count") or 0)
        if count > 0:
            writes.append((marker, gid, metafields(gid, count, Decimal(stat.get("rating_sum") or 0))))
        else:
            removals.append((marker, gid))
    handled: set[str] = set()  # products whose marker was done, dropped or parked in this run
    try:
        for start in range(0, len(writes), PRODUCTS_PER_CALL):
            if budget is not None and budget.spent():
                return  # the rest stay due, untouched: the next run goes on
            _set(table, api, shop_id, writes[start : start + PRODUCTS_PER_CALL], now, handled)
        for start in range(0, len(removals), PRODUCTS_PER_CALL):
            if budget is not None and budget.spent():
                return
            _delete(table, api, removals[start : start + PRODUCTS_PER_CALL], now, handled)
    except Exception as exc:  # noqa: BLE001 - what this run did stays done; the rest waits
        if isinstance(exc, StoreCallFailed):
            failed(table, shop_id, exc, now)
        else:
            logger.warning("store ratings not written", extra={"shop_id": shop_id, "reason": repr(exc)})
        left = [m for m, _, _ in writes] + [m for m, _ in removals]
        retry_after = exc.retry_after if isinstance(exc, StoreCallFailed) else None
        _put_off(table, [m for m in left if m.product_id not in handled], now, exc, retry_after)


def _set(
    table: Table,
    api: ShopifyApi,
    shop_id: str,
    chunk: list[tuple[DueProduct, str, list[dict[str, str]]]],
    now: datetime,
    handled: set[str],
) -> None:
    """One metafieldsSet call for a chunk of products; a product the store no longer has is dropped and the rest
    sent again (the mutation is atomic: none was set)."""
    while chunk:
        data = api.graphql(SET_MUTATION, {"metafields": [f for _, _, fields in chunk for f in fields]})
        errors = _user_errors(data, "metafieldsSet")
        if not errors:
            for marker, _, _ in chunk:
                store.done(table, marker)
                handled.add(marker.product_id)
            return
        gone: set[int] = set()
        refused: dict[int, str] = {}
        for error in errors:
            index, on_owner = _element(error)
            if index is None or index // 2 >= len(chunk):
                _park(table, [m for m, _, _ in chunk], now, f"Shopify refused the stars: {_message(error)}")
                handled.update(m.product_id for m, _, _ in chunk)
                return
            if on_owner:
                gone.add(index // 2)
            else:
                refused[index // 2] = _message(error)
        for position in sorted(gone):
            marker = chunk[position][0]
            logger.info("product gone from the store: its stars are not written", extra={"shop_id": shop_id})
            store.done(table, marker)
            handled.add(marker.product_id)
        for position, message in sorted(refused.items()):
            _park(table, [chunk[position][0]], now, f"Shopify refused the stars: {message}")
            handled.add(chunk[position][0].product_id)
        chunk = [c for i, c in enumerate(chunk) if i not in gone and i not in refused]


def _delete(
    table: Table, api: ShopifyApi, gone: list[tuple[DueProduct, str]], now: datetime, handled: set[str]
) -> None:
    """One metafieldsDelete call: products with no published review any more lose both metafields (a metafield
    that is not there, or a product deleted, is answered null: nothing to do)."""
    data = api.graphql(DELETE_MUTATION, {"metafields": [i for _, gid in gone for i in identifiers(gid)]})
    errors = _user_errors(data, "metafieldsDelete")
    if errors:
        _park(table, [m for m, _ in gone], now, f"Shopify refused to remove the stars: {_message(errors[0])}")
    else:
        for marker, _ in gone:
            store.done(table, marker)
    handled.update(m.product_id for m, _ in gone)


def _user_errors(data: dict[str, Any], field: str) -> list[dict[str, Any]]:
    payload = data.get(field)
    if not isinstance(payload, dict):
        raise StoreCallFailed("unexpected", f"the store's answer had no {field}")
    errors = payload.get("userErrors") or []
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _element(error: dict[str, Any]) -> tuple[int | None, bool]:
    """Which metafield of the call a userError is about (its elementIndex, or its field path
    ["metafields", "<i>", ...]), and whether it is about the owner (a product the store does not have)."""
    path = [str(p) for p in error.get("field") or []] if isinstance(error.get("field"), list) else []
    index: int | None = None
    if len(path) >= 2 and path[0] == "metafields" and path[1].isdigit():
        index = int(path[1])
    elif isinstance(error.get("elementIndex"), int):
        index = int(error["elementIndex"])
    on_owner = (bool(path) and path[-1] == "ownerId") or error.get("code") == "INVALID_OWNER"
    return index, on_owner


def _message(error: dict[str, Any]) -> str:
    return str(error.get("message") or "no reason given")[:200]


def failed(table: Table, shop_id: str, exc: StoreCallFailed, now: datetime) -> None:
    """One failed call to the store: counted on the connection (the connect page shows it) and as a metric."""
    from chalicelib.connections.api import record_failure

    record_failure(table, shop_id, WHAT, exc.kind, exc.reason)


def _drop(table: Table, markers: list[DueProduct], why: str) -> None:
    """Markers with nothing to do: gone, each counted in the log (a marked-again one stays due)."""
    for marker in markers:
        store.done(table, marker)
    if markers:
        logger.info(
            "store ratings markers dropped", extra={"shop_id": markers[0].shop_id, "n": len(markers), "why": why}
        )


def _put_off(
    table: Table, markers: list[DueProduct], now: datetime, exc: Exception, retry_after: float | None = None
) -> None:
    """The markers wait with the backoff (at least as long as the store asked), then are parked with the reason; a
    failure that will not pass by waiting (a refused credential, an answer of the wrong shape) parks them at once."""
    from chalicelib.backoff import STORE_RATINGS
    from chalicelib.parked import JOB_STORE_RATINGS, counted_parked, failure_reason
    from chalicelib.store.due import ATTEMPTS, Change, Failure, apply, park, put_off

    retryable = exc.retryable if isinstance(exc, StoreCallFailed) else True
    for marker in markers:
        attempts = int(marker.item.get(ATTEMPTS, 0)) + 1
        if isinstance(exc, StoreCallFailed):
            times = "once" if attempts == 1 else f"{attempts} times"
            reason = f"{exc.reason} ({times})"
        else:
            reason = failure_reason("writing the stars to the store", attempts, exc)
        failure = Failure(attempts, reason, clock.iso(now))
        wait = STORE_RATINGS.wait_after(attempts) if retryable else None
        change = Change(equal=store.unchanged(marker))
        what = {"shop_id": marker.shop_id, "product_id": marker.product_id}
        if wait is not None:
            wait = max(wait, timedelta(seconds=retry_after or 0))
            apply(
                table,
                store.marker_key(marker),
                put_off(change, store.due_keys(clock.iso(now + wait), marker), failure),
                what,
            )
            continue
        park(change, marker.shop_id, JOB_STORE_RATINGS, marker.product_id, failure, clock.stamp(now))
        if apply(table, store.marker_key(marker), change, what):
            counted_parked(JOB_STORE_RATINGS, marker.shop_id, marker.product_id, failure.reason)


def _park(table: Table, markers: list[DueProduct], now: datetime, reason: str) -> None:
    """Markers the store refused for what they carry: parked at once with the store's reason."""
    from chalicelib.parked import JOB_STORE_RATINGS, counted_parked
    from chalicelib.store.due import ATTEMPTS, Change, Failure, apply, park

    for marker in markers:
        failure = Failure(int(marker.item.get(ATTEMPTS, 0)) + 1, reason, clock.iso(now))
        change = park(
            Change(equal=store.unchanged(marker)),
            marker.shop_id,
            JOB_STORE_RATINGS,
            marker.product_id,
            failure,
            clock.stamp(now),
        )
        if apply(table, store.marker_key(marker), change, {"shop_id": marker.shop_id}):
            counted_parked(JOB_STORE_RATINGS, marker.shop_id, marker.product_id, failure.reason)
