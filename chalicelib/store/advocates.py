"""An advocate's record: what an event credits it with, and its score as the leaderboard's index holds it (pattern 22).

The customer item keeps its score in three attributes: `score_sum` (the weights of its reviews, shares and
referrals), `click_score` (the weight of its clicks, rolled up from its codes' counters) and `GSI2SK`, the
ByScore index's sort key, which is their total. Only `credit_op` writes them, in the same UpdateItem, so the
total never drifts from its parts; `stored_score` reads them back for the console's breakdown and the reports.
The domain says what an event earns (a `Credit`, or the clicks' new `ClickScore`); the expression is built here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table

SCORE_SUM = "score_sum"  # reviews, shares and referrals
CLICK_SCORE = "click_score"  # clicks, replaced by each roll-up

Number = int | Decimal


@dataclass(frozen=True)
class Credit:
    """What one event adds to an advocate's existing record.

    `weight` goes onto the score (negative takes some back); each counter is added to (a number, or a set of
    ids); `firsts` are set unless already set (the day of a first review); `sets` are set. The update holds
    only while each of `new` is still unset and each `standing` counter still has the value the event was
    planned from (0: unset or 0). `joins_leaderboard` puts the record on the shop's leaderboard."""

    weight: Number
    counters: Mapping[str, Any] = field(default_factory=dict)
    firsts: Mapping[str, Any] = field(default_factory=dict)
    sets: Mapping[str, Any] = field(default_factory=dict)
    new: tuple[str, ...] = ()
    standing: Mapping[str, Number] = field(default_factory=dict)
    joins_leaderboard: bool = False


@dataclass(frozen=True)
class ClickScore:
    """The clicks rolled up from an advocate's codes and their weight, replacing what the record held.

    `read` is the click score the record held when read (None: none yet): the update holds only while it is."""

    clicks: int
    score: Decimal
    read: Decimal | None


@dataclass(frozen=True)
class StoredScore:
    """An advocate's score as stored: the total the leaderboard sorts by, and the two sums it is made of."""

    total: Decimal  # GSI2SK
    events: Decimal  # score_sum: reviews, shares and referrals
    clicks: Decimal  # click_score
    clicks_rolled_up: bool  # whether the record holds a click score at all


def stored_score(customer: Mapping[str, Any]) -> StoredScore:
    """The stored score of a customer item, each part 0 when the record holds none."""

    def number(name: str) -> Decimal:
        return Decimal(str(customer.get(name, 0)))

    return StoredScore(
        total=number(keys.GSI2SK),
        events=number(SCORE_SUM),
        clicks=number(CLICK_SCORE),
        clicks_rolled_up=CLICK_SCORE in customer,
    )


class _Expression:
    """Clauses and values of one UpdateItem; equal values share one placeholder."""

    def __init__(self) -> None:
        self.sets: list[str] = []
        self.adds: list[str] = []
        self.guards: list[str] = []
        self.values: dict[str, Any] = {}

    def value(self, given: Any) -> str:
        for placeholder, held in self.values.items():
            if type(held) is type(given) and held == given:
                return placeholder
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = given
        return placeholder

    def text(self) -> str:
        clauses = []
        if self.sets:
            clauses.append("SET " + ", ".join(self.sets))
        if self.adds:
            clauses.append("ADD " + ", ".join(self.adds))
        return " ".join(clauses)


def leaderboard_page(
    table: Table, shop_id: str, limit: int, cursor: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the shop's advocates, highest score first (pattern 22), and the raw key the next starts after."""
    return table.query(keys.leader_partition(shop_id), index=keys.GSI2, limit=limit, newest_first=True, cursor=cursor)


def leaderboard(table: Table, shop_id: str) -> Iterator[dict[str, Any]]:
    """Every advocate of the shop, highest score first (pattern 22), read a page at a time."""
    return table.query_all(keys.leader_partition(shop_id), index=keys.GSI2, newest_first=True)


def credit_op(table: Table, shop_id: str, customer_id: str, credit: Credit | ClickScore) -> Operation:
    """The one update that moves an advocate's score: its part (`score_sum` or `click_score`) and, by the
    same amount, the leaderboard's `GSI2SK`, with the event's counters, in one UpdateItem."""
    ex = _Expression()
    if isinstance(credit, ClickScore):
        moved = credit.score - (credit.read if credit.read is not None else Decimal(0))
        ex.sets += [f"clicks = {ex.value(credit.clicks)}", f"{CLICK_SCORE} = {ex.value(credit.score)}"]
        ex.adds.append(f"{keys.GSI2SK} {ex.value(moved)}")
        if credit.read is None:
            ex.guards.append(f"attribute_not_exists({CLICK_SCORE})")
        else:
            ex.guards.append(f"{CLICK_SCORE} = {ex.value(credit.read)}")
    else:
        weight = ex.value(credit.weight)
        ex.adds += [f"{name} {ex.value(amount)}" for name, amount in credit.counters.items()]
        ex.adds.append(f"{keys.GSI2SK} {weight}")
        ex.sets += [f"{name} = if_not_exists({name}, {ex.value(given)})" for name, given in credit.firsts.items()]
        ex.sets.append(f"{SCORE_SUM} = if_not_exists({SCORE_SUM}, {ex.value(0)}) + {weight}")
        ex.sets += [f"{name} = {ex.value(given)}" for name, given in credit.sets.items()]
        if credit.joins_leaderboard:
            ex.sets.append(f"{keys.GSI2PK} = {ex.value(keys.leader_partition(shop_id))}")
        ex.guards.append(f"attribute_exists({keys.PK})")
        ex.guards += [f"attribute_not_exists({name})" for name in credit.new]
        for name, old in credit.standing.items():
            if old:
                ex.guards.append(f"{name} = {ex.value(old)}")
            else:
                ex.guards.append(f"(attribute_not_exists({name}) OR {name} = {ex.value(0)})")
    return table.update_op(
        keys.customer_key(shop_id, customer_id), ex.text(), values=ex.values, condition=" AND ".join(ex.guards)
    )
