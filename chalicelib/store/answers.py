"""Answering reviews measured (patterns 70 to 72): a review's first public reply counted once, the unhappy reviews
waiting for an answer (the owner's daily digest), and the shop's answer figures the public listing shows.

The domain (chalicelib/reviews/answering.py) says what happens; the writes and their conditions are built here."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table

# A waiting marker outlives any digest that could list it: a review unanswered for a year is no longer waiting.
WAIT_TTL_SECONDS = 400 * 86400
FIRST_REPLY = "first_reply_at"
MARKS = "marks"  # on SHOP#<shop>/ANSWERS: how many reviews marked its figures due, ever
FIGURES_MARK = "figures_mark"  # the mark its figures were computed after


def first_reply_op(table: Table, shop_id: str, review_id: str, answer: dict[str, Any]) -> Operation:
    """The review's first public reply: refused (ConditionFailed) when it has one already (counted, or given before
    replies were counted) or is not there, so a second reply, an edit or a racing first one counts nothing twice."""
    return table.update_op(
        keys.review_key(shop_id, review_id),
        f"SET reply = :r, {FIRST_REPLY} = :at",
        values={":r": answer, ":at": answer["at"]},
        condition=f"attribute_exists(PK) AND attribute_not_exists(reply) AND attribute_not_exists({FIRST_REPLY})",
    )


def replace_reply(table: Table, shop_id: str, review_id: str, answer: dict[str, Any]) -> None:
    """A later reply (an edit): replaces the text; the first reply's time stays (ConditionFailed: no such review)."""
    table.update(
        keys.review_key(shop_id, review_id), "SET reply = :r", values={":r": answer}, condition="attribute_exists(PK)"
    )


def waiting_op(table: Table, shop_id: str, review: dict[str, Any], due_at: str) -> Operation:
    """An unhappy review waiting for an answer, due on the digest's index at `due_at` (its arrival + 24 hours)."""
    return table.put_op(
        {
            **keys.answer_wait_key(shop_id, review["created_at"], review["review_id"]),
            **keys.answer_due_keys(due_at, shop_id, review["review_id"]),
            "type": "answer_wait",
            "shop_id": shop_id,
            "review_id": review["review_id"],
            "created_at": review["created_at"],
            keys.TTL_ATTRIBUTE: clock.epoch() + WAIT_TTL_SECONDS,
        }
    )


def answered_op(table: Table, shop_id: str, created_at: str, review_id: str) -> Operation:
    """The review is answered (or rejected): it waits no more."""
    return table.delete_op(keys.answer_wait_key(shop_id, created_at, review_id))


def forget_waiting(table: Table, shop_id: str, created_at: str, review_id: str) -> None:
    table.apply(answered_op(table, shop_id, created_at, review_id))


def due_entries(table: Table, now: str, limit: int = 100) -> list[dict[str, Any]]:
    """Waiting reviews and shops' digests due at `now`, the earliest first."""
    items, _ = table.query(
        keys.ANSWER_DUE_PARTITION,
        index=keys.GSI1,
        sk_between=("0", keys.answer_due_until(now)),
        limit=limit,
    )
    return items


def waiting(table: Table, shop_id: str, page: int = 200) -> list[dict[str, Any]]:
    """Every unhappy review of the shop still waiting for an answer, oldest first."""
    return list(table.query_all(keys.shop_partition(shop_id), sk_prefix=keys.ANSWER_WAIT_PREFIX, page=page))


def off_due_index(table: Table, item: dict[str, Any]) -> None:
    """A waiting review listed by a digest: the shop's digest item brings it up again, not its own due entry. Left
    alone when it moved meanwhile (answered and gone)."""
    with contextlib.suppress(ConditionFailed):
        table.update(
            {keys.PK: item[keys.PK], keys.SK: item[keys.SK]},
            "REMOVE GSI1PK, GSI1SK",
            values={":sk": item[keys.GSI1SK]},
            condition="GSI1SK = :sk",
        )


def digest_state(table: Table, shop_id: str) -> dict[str, Any]:
    return table.get(keys.answer_digest_key(shop_id), consistent=True) or {}


def claim_digest(table: Table, shop_id: str, day: str, now: str, next_due: str) -> bool:
    """Claim the shop's digest of `day` (its local day): False when a run has sent (or is sending) it already.
    The digest is then due again at `next_due`, the shop's next local day."""
    due = keys.answer_due_keys(next_due, shop_id, "~")
    try:
        table.update(
            keys.answer_digest_key(shop_id),
            "SET last_day = :day, last_at = :now, shop_id = :shop, GSI1PK = :gpk, GSI1SK = :gsk",
            values={":day": day, ":now": now, ":shop": shop_id, ":gpk": due[keys.GSI1PK], ":gsk": due[keys.GSI1SK]},
            condition="attribute_not_exists(last_day) OR last_day <> :day",
        )
    except ConditionFailed:
        return False
    return True


def release_digest(
    table: Table, shop_id: str, day: str, previous: str | None, retry_at: str, failures: int, reason: str
) -> None:
    """The claimed digest of `day` was not sent: the day is free again, and the digest is due at `retry_at`."""
    due = keys.answer_due_keys(retry_at, shop_id, "~")
    sets = "GSI1PK = :gpk, GSI1SK = :gsk, failures = :f, last_reason = :why"
    values: dict[str, Any] = {
        ":day": day,
        ":gpk": due[keys.GSI1PK],
        ":gsk": due[keys.GSI1SK],
        ":f": failures,
        ":why": reason[:300],
    }
    if previous:
        values[":prev"] = previous
        expression = f"SET last_day = :prev, {sets}"
    else:
        expression = f"SET {sets} REMOVE last_day"
    with contextlib.suppress(ConditionFailed):
        table.update(keys.answer_digest_key(shop_id), expression, values=values, condition="last_day = :day")


def digest_sent(table: Table, shop_id: str) -> None:
    table.update(keys.answer_digest_key(shop_id), "REMOVE failures, last_reason")


def digest_due_at(table: Table, shop_id: str, due_at: str) -> None:
    """The shop's digest is due at `due_at` (its next local day), whether or not it was sent today."""
    due = keys.answer_due_keys(due_at, shop_id, "~")
    table.update(
        keys.answer_digest_key(shop_id),
        "SET GSI1PK = :gpk, GSI1SK = :gsk, shop_id = :shop",
        values={":gpk": due[keys.GSI1PK], ":gsk": due[keys.GSI1SK], ":shop": shop_id},
    )


def digest_idle(table: Table, shop_id: str) -> None:
    """Nothing waits 24 hours any more: the shop's digest leaves the due index until a review waits again."""
    table.update(keys.answer_digest_key(shop_id), "REMOVE GSI1PK, GSI1SK")


def forget_shop(table: Table, item: dict[str, Any]) -> None:
    """A due entry of a shop that is gone: deleted."""
    table.delete({keys.PK: item[keys.PK], keys.SK: item[keys.SK]})


def figures_due_op(table: Table, shop_id: str, now: str) -> Operation:
    """A review (or a review's first reply) arrived: the shop's answer figures are to be computed again by the next
    due run. Each also adds one to the item's mark, so a refresh that read the counters before it leaves it due."""
    due = keys.answers_due_keys(now, shop_id)
    return table.update_op(
        keys.answers_key(shop_id),
        f"SET GSI1PK = :gpk, GSI1SK = :gsk, shop_id = :shop ADD {MARKS} :one",
        values={":gpk": due[keys.GSI1PK], ":gsk": due[keys.GSI1SK], ":shop": shop_id, ":one": 1},
    )


def figures_due(table: Table, now: str, limit: int = 100) -> list[dict[str, Any]]:
    items, _ = table.query(keys.ANSWERS_DUE_PARTITION, index=keys.GSI1, sk_between=("0", f"{now}~"), limit=limit)
    return items


def figures_mark(table: Table, shop_id: str) -> int | None:
    """The shop's figures' mark (how many reviews marked them due; None: none yet), read consistently. Read it
    BEFORE the counters: every review it counts is then in them (the mark moves in the review's transaction)."""
    item = table.get(keys.answers_key(shop_id), consistent=True) or {}
    mark = item.get(MARKS)
    return None if mark is None else int(mark)


def save_figures(table: Table, shop_id: str, figures: dict[str, Any], next_due: str | None, mark: int | None) -> bool:
    """The shop's figures of the last 90 days, computed from counters read after `mark` (figures_mark); due again at
    `next_due` (its next local day), or off the due index (None: no review in the 90 days, nothing will change until
    one arrives). True when saved so. False when a review marked the item since `mark`: the figures are kept (unless
    figures of a later mark are there already) but the item stays due as that review left it, so the next due run
    computes them again with that review."""
    names: dict[str, str] = {"#type": "type", "#shop": "shop_id", "#of": FIGURES_MARK}
    values: dict[str, Any] = {":type": "answers", ":shop": shop_id}
    sets = ["#type = :type", "#shop = :shop"]
    removes = ["failures"]  # computed: the failures that put it off are over
    for index, (name, value) in enumerate(sorted(figures.items())):
        names[f"#f{index}"] = name
        if value is None:  # as a Put without it: no earlier value stays
            removes.append(f"#f{index}")
        else:
            values[f":f{index}"] = value
            sets.append(f"#f{index} = :f{index}")
    if mark is None:
        removes.append("#of")
    else:
        values[":mark"] = mark
        sets.append("#of = :mark")
    if next_due is not None:  # due again then
        due = keys.answers_due_keys(next_due, shop_id)
        moved = _set_remove([*sets, "GSI1PK = :gpk", "GSI1SK = :gsk"], removes)
        due_values = {":gpk": due[keys.GSI1PK], ":gsk": due[keys.GSI1SK]}
    else:  # off the due index
        moved, due_values = _set_remove(sets, [*removes, "GSI1PK", "GSI1SK"]), {}
    try:
        table.update(
            keys.answers_key(shop_id),
            moved,
            {**names, "#mark": MARKS},
            {**values, **due_values},
            "attribute_not_exists(#mark)" if mark is None else "#mark = :mark",
        )
    except ConditionFailed:
        pass
    else:
        return True
    with contextlib.suppress(ConditionFailed):  # figures of a later mark are there (or the shop is gone): they stay
        table.update(
            keys.answers_key(shop_id),
            _set_remove(sets, removes),
            names,
            values,
            "attribute_exists(PK) AND "
            + ("attribute_not_exists(#of)" if mark is None else "(attribute_not_exists(#of) OR #of <= :mark)"),
        )
    return False


def _set_remove(sets: list[str], removes: list[str]) -> str:
    return f"SET {', '.join(sets)} REMOVE {', '.join(removes)}"


def figures_later(table: Table, shop_id: str, due_at: str) -> None:
    """Computing the shop's figures failed: due again at `due_at`."""
    due = keys.answers_due_keys(due_at, shop_id)
    table.update(
        keys.answers_key(shop_id),
        "SET GSI1PK = :gpk, GSI1SK = :gsk, failures = if_not_exists(failures, :zero) + :one",
        values={":gpk": due[keys.GSI1PK], ":gsk": due[keys.GSI1SK], ":zero": 0, ":one": 1},
    )
