"""A share code's record (CODE#<code>) and what counts its clicks, shares and previews: the visitor's marker of a
day, their daily allowance (VISIT#), the code's sharded day counters (CODESTAT#) and the days it was clicked.

The click route writes through here: nothing heavier than `keys` is imported."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table


def created_op(table: Table, code: dict[str, Any], card: bool = True) -> Operation:
    """The Put of a new code (the item as made, with its card's version), refused when the code is taken. Its card
    is due for the card builder (pattern 44) until drawn, by its first request or by the due work. A code made
    before any review of its customer's (`card` False) has no card to draw until a happy review repoints it."""
    item = {**code, **keys.card_due_keys(str(code["code"]))} if card else dict(code)
    return table.put_op(item, "attribute_not_exists(PK)")


def repointed(table: Table, code: str, preview: Mapping[str, Any], card_version: str) -> None:
    """The code now previews another review (`preview`: its product, rating, quote, author...): a new card version,
    due for the card builder with a fresh run of retries. Refused when the code is gone."""
    due = keys.card_due_keys(code)
    table.update(
        keys.code_key(code),
        "SET "
        + ", ".join(f"{k} = :{k}" for k in preview)
        # a new mark: a fresh run of retries
        + ", GSI1PK = :due_pk, GSI1SK = :due_sk, card_version = :version REMOVE card_failures",
        values={
            **{f":{k}": v for k, v in preview.items()},
            ":due_pk": due[keys.GSI1PK],
            ":due_sk": due[keys.GSI1SK],
            ":version": card_version,
        },
        condition="attribute_exists(PK)",
    )


def needs_erasure(code: Mapping[str, Any]) -> bool:
    """Not erased yet, or holding its owner's name or email hash again."""
    return not code.get("redacted") or "author" in code or "email_hash" in code or "sharer_visitor" in code


def has_card(code: Mapping[str, Any]) -> bool:
    """Whether the code has (or is due to have) a card: a stored one, one to draw, or a version to draw it at."""
    return bool(code.get("card_key") or keys.GSI1PK in code or "card_version" in code)


def erasure_op(table: Table, code: str) -> Operation:
    """Forget whose code it is (their name and email hash); it keeps working, counting and crediting."""
    return table.update_op(
        keys.code_key(code),
        "REMOVE author, email_hash, sharer_visitor SET redacted = :t",
        values={":t": True},
        condition="attribute_exists(PK)",
    )


def mark_op(table: Table, kind: str, code: str, day: str, visitor: str, expires: int, channel: str = "") -> Operation:
    """The visitor's marker of one (kind, code, channel, day), refused when it exists: counted once a day."""
    return table.put_op(
        {**keys.mark_key(kind, code, day, visitor, channel), "expires_at": expires}, "attribute_not_exists(PK)"
    )


def allowance_op(table: Table, visitor: str, day: str, expires: int, cap: int) -> Operation:
    """One unit of the visitor's allowance of the day, refused once they have used `cap`."""
    return table.update_op(
        keys.visit_key(visitor, day),
        "ADD n :one SET expires_at = :exp",
        values={":one": 1, ":exp": expires, ":cap": cap},
        condition="attribute_not_exists(n) OR n < :cap",
    )


def stat_op(
    table: Table,
    code: str,
    shard: int,
    day: str,
    deltas: Mapping[str, Any],
    cap_field: str | None = None,
    cap: int = 0,
) -> Operation:
    """ADD `deltas` to one shard of the code's day, refused once that shard's `cap_field` reached `cap`."""
    names = {f"#c{i}": name for i, name in enumerate(sorted(deltas))}
    values: dict[str, Any] = {f":c{i}": deltas[name] for i, name in enumerate(sorted(deltas))}
    condition = None
    if cap_field:
        names["#cap"] = cap_field
        values[":cap"] = cap
        condition = "attribute_not_exists(#cap) OR #cap < :cap"
    return table.update_op(
        keys.code_stat_key(code, shard, day),
        "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(deltas))),
        names=names,
        values=values,
        condition=condition,
    )


def click_day_op(table: Table, code: str, day: str) -> Operation:
    """Note a day the code was clicked on (attribution checks its window there)."""
    return table.update_op(keys.code_key(code), "ADD click_days :d", values={":d": {day}})


def sharer_op(table: Table, code: str, visitor: str) -> Operation:
    """The browser the advocate last shared their link from (a keyed hash): a friend's claim from the same one
    holds the reward it earns (the `same_visitor` rule)."""
    return table.update_op(
        keys.code_key(code), "SET sharer_visitor = :v", values={":v": visitor}, condition="attribute_exists(PK)"
    )
