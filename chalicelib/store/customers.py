"""A customer's record (SHOP#<shop>/CUST#<customer>): an order recorded on it, its search index mark, its share
code, its erasure (and the erasure index, pattern 33, while orders of theirs are left to erase).

The advocate's score on the same record is written by `store/advocates.py` alone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table


@dataclass(frozen=True)
class ShippingOnRecord:
    """The customer's latest shipping hashes (`kept`), written only while they still are what was read (`seen`):
    a concurrent order of theirs makes the writer re-read and re-plan, so no hash is lost."""

    kept: tuple[str, ...]
    seen: tuple[str, ...]


@dataclass(frozen=True)
class OrderOnRecord:
    """What one more known order of an existing customer adds to their record.

    The order is counted; its id is listed when `remember` (the list has room); the name is kept unless one is
    held already; the order's language replaces theirs; `lookups` are added to the search tokens; the record is
    marked indexed when it gains lookups or was not marked yet (`indexed`: it was)."""

    order_id: str
    name: str | None
    remember: bool
    language: str | None
    lookups: tuple[str, ...]
    indexed: bool
    shipping: ShippingOnRecord | None = None


def new_record_op(table: Table, customer: dict[str, Any]) -> Operation:
    """The Put of a customer's first record (their first known order), refused when one was made meanwhile."""
    return table.put_op(customer, "attribute_not_exists(PK)")


def order_recorded_op(
    table: Table, shop_id: str, customer_id: str, recorded: OrderOnRecord, index_version: int
) -> Operation:
    """The update of an existing customer for an order of theirs becoming known (in the order's transaction)."""
    values: dict[str, Any] = {":one": 1, ":name": recorded.name or ""}
    adds = "ADD orders :one"
    if recorded.remember:
        adds += ", order_ids :ids"
        values[":ids"] = {recorded.order_id}
    sets = " SET #n = if_not_exists(#n, :name)"
    if recorded.language:
        sets += ", #lang = :lang"
        values[":lang"] = recorded.language
    if recorded.lookups:
        adds += ", find_tokens :tokens"
        values[":tokens"] = set(recorded.lookups)
    if recorded.lookups or not recorded.indexed:
        sets += ", find_indexed = :indexed"
        values[":indexed"] = index_version
    condition = "attribute_exists(PK)"
    if recorded.shipping is not None:
        sets += ", shipping_hashes = :ship"
        values[":ship"] = list(recorded.shipping.kept)
        if recorded.shipping.seen:
            condition += " AND shipping_hashes = :seen"
            values[":seen"] = list(recorded.shipping.seen)
        else:
            condition += " AND attribute_not_exists(shipping_hashes)"
    return table.update_op(
        keys.customer_key(shop_id, customer_id),
        adds + sets,
        names={"#n": "name", **({"#lang": "language"} if recorded.language else {})},
        values=values,
        condition=condition,
    )


def index_mark_op(table: Table, shop_id: str, customer_id: str, index_version: int, tokens: list[str]) -> Operation:
    """Mark an older customer as given their search lookups (`tokens` added to the record's list), while the
    record exists, was not marked meanwhile, and was not erased."""
    values: dict[str, Any] = {":v": index_version}
    expression = "SET find_indexed = :v"
    if tokens:
        expression += " ADD find_tokens :t"
        values[":t"] = set(tokens)
    return table.update_op(
        keys.customer_key(shop_id, customer_id),
        expression,
        values=values,
        condition="attribute_exists(PK) AND attribute_not_exists(find_indexed) AND attribute_not_exists(redacted)",
    )


def share_code_op(table: Table, shop_id: str, customer_id: str, code: str) -> Operation:
    """Give the customer their share code, unless they have one already (a concurrent happy review made it)."""
    return table.update_op(
        keys.customer_key(shop_id, customer_id),
        "SET share_code = :c",
        values={":c": code},
        condition="attribute_not_exists(share_code)",
    )


def erasure_op(table: Table, shop_id: str, customer_id: str, tokens: set[str], now: str) -> Operation:
    """Forget the customer's name and email hash, marking the record erased (at `now`, unless it was before).

    Their search lookups' list loses exactly `tokens` (the lookups deleted with it): one an order adds meanwhile
    stays listed for the next erasure."""
    expression = (
        "REMOVE email_hash, #n, find_indexed, shipping_hashes "
        "SET redacted = :t, redacted_at = if_not_exists(redacted_at, :now)"
    )
    values: dict[str, Any] = {":t": True, ":now": now}
    if tokens:
        expression += " DELETE find_tokens :tokens"
        values[":tokens"] = tokens
    return table.update_op(
        keys.customer_key(shop_id, customer_id),
        expression,
        names={"#n": "name"},
        values=values,
        condition="attribute_exists(PK)",
    )


def erasure_pending(customer: Mapping[str, Any]) -> bool:
    """Whether the customer is on the erasure index (or parked from it): orders of theirs were left to erase."""
    return keys.GSI1PK in customer


def erasure_finished(table: Table, shop_id: str, customer_id: str) -> None:
    """Take the customer off the erasure index, with the list of orders it had left."""
    table.update(keys.customer_key(shop_id, customer_id), "REMOVE GSI1PK, GSI1SK, erase_orders")


def defer_erasure(table: Table, shop_id: str, customer_id: str, order_ids: list[str], now: str) -> None:
    """Put the customer on the erasure index with the orders left to erase, marked erased from now on (the record
    is made if there was none, so the due work finds whom to go on with)."""
    erasure = keys.customer_erasure_keys(shop_id, customer_id)
    table.update(
        keys.customer_key(shop_id, customer_id),
        "SET GSI1PK = :idx, GSI1SK = :sk, redacted = :t, redacted_at = if_not_exists(redacted_at, :now), "
        "#ty = :ty, shop_id = :s, customer_id = :c, erase_orders = :left",
        names={"#ty": "type"},
        values={
            ":idx": erasure[keys.GSI1PK],
            ":sk": erasure[keys.GSI1SK],
            ":t": True,
            ":now": now,
            ":ty": "customer",
            ":s": shop_id,
            ":c": customer_id,
            ":left": set(order_ids),
        },
    )
