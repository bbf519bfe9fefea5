"""A day's click roll-up cursor (ROLLUP#<day> cursor item, pattern 40): where a pass over the day's clicked codes
stands, and when the day's last pass began and ended. It expires `expires_at` (epoch seconds) after its last write."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.store import keys
from chalicelib.store.due import Change

if TYPE_CHECKING:
    from chalicelib.store.table import Table


def save_progress(table: Table, day: str, started: str, last_code: str, expires_at: int) -> None:
    """The pass that began at `started` rolled every code of `day` up to `last_code`: the next run goes on after it."""
    table.update(
        keys.rollup_cursor_key(day),
        "SET pass_started = :started, last_code = :code, expires_at = :exp",
        values={":started": started, ":code": last_code, ":exp": expires_at},
    )


def end_pass(table: Table, day: str, ended: str, expires_at: int, started: str | None) -> None:
    """The pass over `day` is over at `ended`: the next one starts from the first code. A complete pass records
    when it began (`started`); one that skipped a code (None) does not, so it does not close the day."""
    change = Change(sets={"last_pass_ended": ended, "expires_at": expires_at}, removes=["pass_started", "last_code"])
    if started is not None:
        change.sets["last_pass_started"] = started
    table.apply(change.op(table, keys.rollup_cursor_key(day)))
