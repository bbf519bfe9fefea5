"""A shop's experiments (patterns 67-69 and 73-75): the experiment (SHOP#<shop>/EXPERIMENT#<id>), each variant's
counters (units, conversions and the offers' figures) spread over keys.EXPERIMENT_SHARDS items
(EXPVARIANT#<id>#<variant>[#<n>]: every count goes to one at random, a read adds them up), and the running ones'
summary on the shop's own item (`experiments`, by lever slot), which is both what the hot paths read and the lock
of one running experiment a lever: it changes only with the shop's version as read, in the transaction that starts
or ends an experiment.

Each unit of an experiment started since units are counted at close (`counting` = CLOSING on the experiment) also
has its item, EXPUNIT#<id>#<unit>, put with its count: its variant, and when its outcome window closes (exposure +
the experiment's outcome_days). Its conversion marks it in the conversion's own transaction, and the due work
(experiments/closing.py) counts it once more when its window closes, as closed_units and, converted by then,
closed_conversions. The statistic reads only those: every unit's outcome complete, over the same window in every
variant.

No personal data in the counters: an experiment names a lever, its variants' values and counts, never an order or
a buyer (the order keeps its own variant; a unit's item is keyed by the order, the customer or the visitor's
browser hash, and a friend's erasure deletes theirs)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.table import NamedOperation, Operation, Table

RUNNING = "running"
CLOSING = "at_close"  # an experiment's `counting`: its units have items, closed by the due work (pattern 75)
# A unit is read this long after its window closed: a conversion that happened within the window but reaches us
# late (a store's webhook retried for a day or two) still converts it. Its outcome is decided by the window
# (converted_at <= closes_at), not by when the due work reads it.
CLOSE_GRACE = timedelta(days=2)
CONFLICT_ATTEMPTS = 5  # a count that collided on its shard is drawn again on another
# What a counters item holds besides its counts.
_NOT_COUNTS = frozenset({keys.PK, keys.SK, "type", "experiment_id", "variant"})


def _summary_op(table: Table, shop_id: str, version: int, summary: Mapping[str, Any]) -> Operation:
    """The shop's running experiments become `summary`, if the shop is still at `version` and not being erased; the
    version moves on, so an owner's edit planned from the shop as it was is refused rather than writing it back."""
    if summary:
        expression, values = "SET experiments = :m ADD version :one", {":m": dict(summary), ":one": 1, ":v": version}
    else:
        expression, values = "REMOVE experiments ADD version :one", {":one": 1, ":v": version}
    return table.update_op(
        keys.shop_key(shop_id),
        expression,
        names={"#v": "version"},
        values=values,
        condition="#v = :v AND attribute_not_exists(redact_requested_at)",
    )


def create(
    table: Table, shop_id: str, version: int, summary: Mapping[str, Any], item: dict[str, Any], variants: list[str]
) -> None:
    """Start the experiment `item`: the shop's summary (with its slot) as of `version`, the experiment and its
    variants' counters at zero, together. ConditionFailed (role "shop") when the shop changed meanwhile."""
    experiment_id = str(item["experiment_id"])
    ops: list[Operation | NamedOperation] = [
        ("shop", _summary_op(table, shop_id, version, summary)),
        table.put_op(
            {**keys.experiment_key(shop_id, experiment_id), "type": "experiment", **item}, "attribute_not_exists(PK)"
        ),
    ]
    ops += [
        table.put_op(
            {
                **keys.experiment_variant_key(shop_id, experiment_id, variant),
                "type": "experiment_variant",
                "experiment_id": experiment_id,
                "variant": variant,
                "units": 0,
                "conversions": 0,
            },
            "attribute_not_exists(PK)",
        )
        for variant in variants
    ]
    table.transact(ops)


def end_op(
    table: Table,
    shop_id: str,
    experiment_id: str,
    status: str,
    at: str,
    frozen: Mapping[str, tuple[int, int]],
    promoted: str | None = None,
) -> Operation:
    """The experiment ends as `status` at `at` (`promoted`: the variant that became the setting), its counts frozen
    as they were read; only while it runs."""
    values: dict[str, Any] = {
        ":s": status,
        ":at": at,
        ":f": {key: [units, conversions] for key, (units, conversions) in frozen.items()},
        ":running": RUNNING,
    }
    expression = "SET #s = :s, ended_at = :at, frozen = :f"
    if promoted is not None:
        expression += ", promoted = :p"
        values[":p"] = promoted
    return table.update_op(
        keys.experiment_key(shop_id, experiment_id),
        expression,
        names={"#s": "status"},
        values=values,
        condition="#s = :running",
    )


def end(
    table: Table,
    shop_id: str,
    version: int,
    summary: Mapping[str, Any],
    experiment_id: str,
    status: str,
    at: str,
    frozen: Mapping[str, tuple[int, int]],
) -> None:
    """Stop the experiment: the shop's summary without its slot (as of `version`) and its end, together.
    ConditionFailed: role "shop" when the shop changed meanwhile, else it no longer runs."""
    table.transact(
        [
            ("shop", _summary_op(table, shop_id, version, summary)),
            ("experiment", end_op(table, shop_id, experiment_id, status, at, frozen)),
        ]
    )


def save_looks(
    table: Table,
    shop_id: str,
    experiment_id: str,
    looks: Mapping[str, Mapping[str, float]],
    seen: int,
    decided: str | None = None,
) -> bool:
    """Keep each variant's interval at this look (the running intersection the next look starts from), while the
    experiment runs (or, counted at close, while its units go on closing after it ended) and only over the look it
    was computed from (`seen`: the item's `look` as read, 0 for none),
    so that two overlapping looks cannot write a wider interval over a narrower one. False when another look was
    kept meanwhile (compute again from it); a look that finds the experiment ended keeps nothing (True). The first
    look to reach a decision keeps it (`decided`): the next ones report it."""
    from chalicelib.store.table import ConditionFailed

    values: dict[str, Any] = {
        ":l": {k: {n: str(v) for n, v in d.items()} for k, d in looks.items()},
        ":running": RUNNING,
        ":closing": CLOSING,
        ":one": 1,
    }
    if seen:
        condition = "(#s = :running OR counting = :closing) AND #k = :seen"
        values[":seen"] = seen
    else:
        condition = "(#s = :running OR counting = :closing) AND attribute_not_exists(#k)"
    expression = "SET looks = :l ADD #k :one"
    if decided is not None:
        expression = "SET looks = :l, decided = if_not_exists(decided, :d) ADD #k :one"
        values[":d"] = decided
    try:
        table.update(
            keys.experiment_key(shop_id, experiment_id),
            expression,
            names={"#s": "status", "#k": "look"},
            values=values,
            condition=condition,
        )
    except ConditionFailed:
        item = table.get(keys.experiment_key(shop_id, experiment_id), consistent=True)
        return item is None or (item.get("status") != RUNNING and item.get("counting") != CLOSING)
    return True


def get(table: Table, shop_id: str, experiment_id: str) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """The experiment and its variants' counters by variant (consistent reads), or (None, {})."""
    item = table.get(keys.experiment_key(shop_id, experiment_id), consistent=True)
    if item is None:
        return None, {}
    return item, counters(table, shop_id, [item])[experiment_id]


def counters(table: Table, shop_id: str, items: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each experiment's variants' counters (every shard added up), by experiment and variant: one BatchGetItem
    per 100 shards."""
    named: dict[str, tuple[str, str]] = {}  # a shard's sort key -> (experiment, variant)
    wanted = []
    for item in items:
        for variant in item["variants"]:
            for shard in range(keys.EXPERIMENT_SHARDS):
                key = keys.experiment_variant_key(shop_id, str(item["experiment_id"]), str(variant["key"]), shard)
                named[key[keys.SK]] = (str(item["experiment_id"]), str(variant["key"]))
                wanted.append(key)
    found: dict[str, dict[str, dict[str, Any]]] = {str(item["experiment_id"]): {} for item in items}
    for shard_item in table.get_many(wanted, consistent=True):
        experiment_id, variant = named[str(shard_item[keys.SK])]
        total = found.setdefault(experiment_id, {}).setdefault(
            variant, {"experiment_id": experiment_id, "variant": variant}
        )
        for name, value in shard_item.items():
            if name not in _NOT_COUNTS and isinstance(value, int | Decimal):
                total[name] = total.get(name, 0) + value
    return found


def page(
    table: Table, shop_id: str, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A page of the shop's experiments, newest first, and where the next starts."""
    return table.query(
        keys.shop_partition(shop_id),
        sk_prefix=keys.EXPERIMENT_PREFIX,
        limit=limit,
        cursor=cursor,
        newest_first=True,
        consistent=True,
    )


def count_ops(
    table: Table, shop_id: str, assigned: Mapping[str, str], counter: str, delta: int | Decimal
) -> list[Operation]:
    """Move `counter` (units, conversions, an offer's claims or reward_value_<currency>) by `delta` on each
    experiment's variant in `assigned`, on one of its shards drawn at random (a retry draws again)."""
    return [
        table.update_op(
            keys.experiment_variant_key(
                shop_id,
                experiment_id,
                variant,
                random.randrange(keys.EXPERIMENT_SHARDS),  # noqa: S311 - load spreading only
            ),
            "ADD #c :d",
            names={"#c": counter},
            values={":d": delta},
        )
        for experiment_id, variant in sorted(assigned.items())
    ]


def shop_erasure_ops(table: Table, shop_id: str, limit: int) -> list[Operation]:
    """The deletes of the next page of a shop's experiment items (experiments, counters); none once all are gone."""
    found, _ = table.query(
        keys.shop_partition(shop_id), sk_prefix=keys.EXPERIMENT_ITEMS_PREFIX, limit=limit, consistent=True
    )
    return [table.delete_op({keys.PK: i[keys.PK], keys.SK: i[keys.SK]}) for i in found]


# Offer experiments (pattern 73): the unit is a friend's visitor.


def count_units(
    table: Table, shop_id: str, assigned: Mapping[str, str], visitor: str, at: str, closes: Mapping[str, str]
) -> None:
    """Count the visitor once as a unit of each experiment's variant in `assigned`, keeping its variant (and, in
    `closes`, when its window closes): one transaction; one already counted (a later visit, a retry, an experiment
    started since) counts the others on their own. A collision on a counter's shard is drawn again on another
    (TransactionConflict once they are spent)."""
    from chalicelib.store.table import ConditionFailed

    def ops(experiment_id: str, variant: str) -> list[Operation]:
        return [
            table.put_op(
                unit_item(shop_id, experiment_id, visitor, variant, at, closes.get(experiment_id)),
                "attribute_not_exists(PK)",
            ),
            *count_ops(table, shop_id, {experiment_id: variant}, "units", 1),
        ]

    try:
        transact_drawing_again(table, lambda: [op for pair in sorted(assigned.items()) for op in ops(*pair)])
    except ConditionFailed:
        if len(assigned) < 2:
            return
        for experiment_id, variant in sorted(assigned.items()):
            try:
                transact_drawing_again(table, partial(ops, experiment_id, variant))
            except ConditionFailed:
                continue


def transact_drawing_again(table: Table, build: Callable[[], list[Any]]) -> None:
    """One transaction of counts built by `build` (count_ops draw their shards anew each time), drawn again
    after a collision; the last collision is raised (TransactionConflict, a 503 to ask again)."""
    from chalicelib.store.table import TransactionConflict, conflict_pause

    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            table.transact(build())
        except TransactionConflict:
            if attempt == CONFLICT_ATTEMPTS - 1:
                raise
            conflict_pause(attempt)
            continue
        return


def claim_count_ops(
    table: Table, shop_id: str, assigned: Mapping[str, str], visitor: str, at: str
) -> list[NamedOperation]:
    """For the claim's own transaction: the visitor's claim counted once per experiment (role "experiment" fails
    when this visitor claimed already, with another mailbox; the claim is then kept without them)."""
    ops: list[NamedOperation] = []
    for experiment_id, variant in sorted(assigned.items()):
        ops.append(
            (
                "experiment",
                table.update_op(
                    keys.experiment_unit_key(shop_id, experiment_id, visitor),
                    "SET claimed_at = :at",
                    values={":at": at},
                    condition="attribute_exists(PK) AND attribute_not_exists(claimed_at)",
                ),
            )
        )
        ops += [("experiment", op) for op in count_ops(table, shop_id, {experiment_id: variant}, "claims", 1)]
    return ops


# Share-prompt experiments (pattern 74): the unit is a happy reviewer, the customer.


def count_prompt_unit(
    table: Table,
    shop_id: str,
    customer_id: str,
    experiment_id: str,
    variant: str,
    at: str,
    closes_at: str | None = None,
) -> bool:
    """Count the customer once as a unit of the experiment's variant, keeping it on their record (`share_prompt`:
    the experiment, the variant and when, which their first share credits; `prompt_units`: every experiment they
    were counted in), with `units + 1`, in one transaction: only a customer who exists and has not shared yet (a
    sharer cannot become one), and not already counted in this experiment, even after one of another language;
    with `closes_at`, their unit's item too (pattern 75). False when it was not counted (a reload of the page,
    another happy review, a sharer): nothing is written."""
    from chalicelib.store.table import ConditionFailed

    try:
        transact_drawing_again(
            table,
            lambda: [
                table.update_op(
                    keys.customer_key(shop_id, customer_id),
                    "SET share_prompt = :p ADD prompt_units :counted",
                    values={
                        ":p": {"experiment_id": experiment_id, "variant": variant, "at": at},
                        ":e": experiment_id,
                        ":counted": {experiment_id},
                    },
                    condition="attribute_exists(PK) AND attribute_not_exists(first_share_day) AND "
                    "(attribute_not_exists(share_prompt) OR share_prompt.experiment_id <> :e) AND "
                    "NOT contains(prompt_units, :e)",
                ),
                *unit_ops(
                    table,
                    shop_id,
                    customer_id,
                    {experiment_id: variant},
                    at,
                    {experiment_id: closes_at} if closes_at else {},
                ),
            ],
        )
    except ConditionFailed:
        return False
    return True


def unit_item(
    shop_id: str,
    experiment_id: str,
    unit: str,
    variant: str,
    at: str,
    closes_at: str | None,
    terms: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A unit's item: its variant, when it was counted, and, for an experiment counted at close, when its outcome
    window closes (on the closing index until then; `terms`: what else decides it, a delay unit's basis)."""
    item: dict[str, Any] = {
        **(terms or {}),
        **keys.experiment_unit_key(shop_id, experiment_id, unit),
        "type": "experiment_unit",
        "shop_id": shop_id,
        "experiment_id": experiment_id,
        "unit": unit,
        "variant": variant,
        "created_at": at,
    }
    if closes_at is not None:
        item["closes_at"] = closes_at
        item.update(keys.experiment_close_keys(shop_id, experiment_id, unit, closes_at))
    return item


def unit_ops(
    table: Table,
    shop_id: str,
    unit: str,
    assigned: Mapping[str, str],
    at: str,
    closes: Mapping[str, str],
    terms: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Operation]:
    """For the transaction that counts `unit` once (its own condition makes it once): `units + 1` on each
    experiment's variant in `assigned`, and the unit's item of each counted at close (`closes`: when its window
    closes, by experiment; `terms`: what the item keeps besides, by experiment)."""
    ops = count_ops(table, shop_id, assigned, "units", 1)
    for experiment_id, variant in sorted(assigned.items()):
        if experiment_id in closes:
            item = unit_item(
                shop_id, experiment_id, unit, variant, at, closes[experiment_id], (terms or {}).get(experiment_id)
            )
            ops.append(table.put_op(item))
    return ops


def unit_undo_ops(table: Table, shop_id: str, unit: str, assigned: Mapping[str, str]) -> list[Operation]:
    """The undoing of unit_ops (a send that did not go): `units - 1`, and the unit's items gone."""
    return [
        *count_ops(table, shop_id, assigned, "units", -1),
        *(table.delete_op(keys.experiment_unit_key(shop_id, e, unit)) for e in sorted(assigned)),
    ]


def conversion_ops(
    table: Table, shop_id: str, unit: str, converts: Mapping[str, str], at: str, delta: int = 1
) -> list[Operation]:
    """For the conversion's own transaction (once by its own condition): `conversions + delta` on each variant,
    and the unit's item marked (the first conversion's time kept, `at`: when it happened; `converted` counts them,
    a referral taken back subtracts one and keeps when). An experiment counted before units had items gets an
    item with its mark only, never on the closing index."""
    ops = count_ops(table, shop_id, converts, "conversions", delta)
    for experiment_id in sorted(converts):
        key = keys.experiment_unit_key(shop_id, experiment_id, unit)
        if delta > 0:
            ops.append(
                table.update_op(
                    key,
                    "SET converted_at = if_not_exists(converted_at, :at) ADD converted :d",
                    values={":at": at, ":d": delta},
                )
            )
        else:  # taken back: when, so that a unit closed late still reads as it stood at its close
            ops.append(table.update_op(key, "SET reversed_at = :at ADD converted :d", values={":at": at, ":d": delta}))
    return ops


def closing_due(
    table: Table, shard: int, now: str, cursor: dict[str, Any] | None, limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A page of the units whose window has closed by `now` on one shard of the closing index, the earliest
    first."""
    return table.query(
        keys.experiment_close_partition(shard),
        index=keys.GSI1,
        sk_between=("0", f"{now}~"),
        limit=limit,
        cursor=cursor,
    )


def move_unit(table: Table, entry: Mapping[str, Any], closes_at: str) -> dict[str, Any] | None:
    """The unit `entry` (as the closing index listed it) closes later, at `closes_at`: its window moved with its
    basis. The entry as it now stands, or None when it moved or closed meanwhile."""
    from chalicelib.store.table import ConditionFailed

    moved = keys.experiment_close_keys(
        str(entry["shop_id"]), str(entry["experiment_id"]), str(entry["unit"]), closes_at
    )
    try:
        table.update(
            {keys.PK: entry[keys.PK], keys.SK: entry[keys.SK]},
            "SET closes_at = :c, GSI1SK = :new",
            values={":c": closes_at, ":new": moved[keys.GSI1SK], ":sk": entry[keys.GSI1SK]},
            condition="GSI1SK = :sk",
        )
    except ConditionFailed:
        return None
    return {**entry, "closes_at": closes_at, keys.GSI1SK: moved[keys.GSI1SK]}


def close_unit(table: Table, entry: Mapping[str, Any]) -> bool:
    """Count the unit `entry` (as the closing index listed it) once more as closed, with its outcome by its
    window's close: in one transaction, it leaves the index (only if still on it at the same place, its outcome
    as read) and its variant ADDs closed_units, closed_conversions and closed_claims. A conversion or a claim
    landing meanwhile reads it again. False when it was closed (or erased) already."""
    from chalicelib.store.table import ConditionFailed

    key = {keys.PK: entry[keys.PK], keys.SK: entry[keys.SK]}
    for _ in range(CONFLICT_ATTEMPTS):
        item = table.get(key, consistent=True)
        if item is None or item.get(keys.GSI1SK) != entry.get(keys.GSI1SK) or not item.get("closes_at"):
            return False
        try:
            transact_drawing_again(table, partial(_close_ops, table, item))
        except ConditionFailed:
            continue  # closed by another run, or converted meanwhile: read it again
        return True
    return False


def _close_ops(table: Table, item: Mapping[str, Any]) -> list[Operation]:
    """The closing of the unit `item` as read: off the index if still as read, and counted on a variant's shard."""
    outcome = unit_outcome(item)
    values: dict[str, Any] = {":sk": item[keys.GSI1SK], ":o": outcome}
    pinned = ["GSI1SK = :sk"]
    if "converted" in item:
        pinned.append("converted = :n")
        values[":n"] = int(item["converted"])
    else:
        pinned.append("attribute_not_exists(converted)")
    pinned.append("attribute_exists(claimed_at)" if item.get("claimed_at") else "attribute_not_exists(claimed_at)")
    shop_id = str(item["shop_id"])
    shard = random.randrange(keys.EXPERIMENT_SHARDS)  # noqa: S311 - load spreading only
    return [
        table.update_op(
            {keys.PK: item[keys.PK], keys.SK: item[keys.SK]},
            "SET outcome = :o REMOVE GSI1PK, GSI1SK",
            values=values,
            condition=" AND ".join(pinned),
        ),
        table.update_op(
            keys.experiment_variant_key(shop_id, str(item["experiment_id"]), str(item["variant"]), shard),
            "ADD closed_units :one, closed_conversions :c, closed_claims :k",
            values={":one": 1, ":c": int(outcome["converted"]), ":k": int(outcome["claimed"])},
        ),
    ]


def unit_outcome(item: Mapping[str, Any]) -> dict[str, bool]:
    """What a unit did within its window, whenever the due work reads it: converted (its first conversion by
    closes_at, and still standing then: not taken back, or taken back only after) and claimed (an offer's claim by
    closes_at)."""
    from chalicelib import clock

    closes = clock.parse(str(item["closes_at"]))
    reversed_at = item.get("reversed_at")
    standing = int(item.get("converted", 0)) > 0 or (
        reversed_at is not None and clock.parse(str(reversed_at)) > closes  # taken back after its close
    )
    converted = standing and bool(item.get("converted_at")) and clock.parse(str(item["converted_at"])) <= closes
    claimed = bool(item.get("claimed_at")) and clock.parse(str(item["claimed_at"])) <= closes
    return {"converted": converted, "claimed": claimed}


def unit_erasure_ops(table: Table, shop_id: str, experiments: Mapping[str, str], visitor: str) -> list[Operation]:
    """A friend's erasure: their visitor's unit item of each offer experiment goes (the counts stay: they name
    no one)."""
    return [
        table.delete_op(keys.experiment_unit_key(shop_id, experiment_id, visitor))
        for experiment_id in sorted(experiments)
    ]
