"""moto's TransactWriteItems, backed up once per table instead of once per operation.

moto backs up a table before a transaction so that a cancelled one leaves nothing behind: it deep-copies the whole
table once for every operation of the transaction, keeping only the last copy, all before the first operation is
applied. A transaction of k operations on a table of n items costs k copies of n items, which made the suite's
longer workloads quadratic. The copy is the same whichever operation makes it, so one per table and transaction
keeps moto's behaviour exactly (a cancelled transaction still restores the table as it was) at a k-th of the cost.
Unit tier only (DynamoDB Local has its own transactions)."""

from __future__ import annotations

import copy
import threading
from typing import Any

_current = threading.local()


class _OneCopyPerTable:
    """Stands for the `copy` module inside moto's DynamoDB models: a table copied during one transaction's backup
    is copied once; everything else is copied as before."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models import Table

        copies = getattr(_current, "copies", None)
        if copies is None or not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        kept = copies.get(id(value))
        if kept is None or kept[0] is not value:  # the table itself is kept too: its id cannot be reused meanwhile
            kept = (value, copy.deepcopy(value, memo))
            copies[id(value)] = kept
        return kept[1]


def install() -> None:
    from moto.dynamodb import models

    if getattr(models.DynamoDBBackend.transact_write_items, "one_copy_per_table", False):
        return
    real = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _current.copies = {}
        try:
            real(self, transact_items)
        finally:
            _current.copies = None

    transact_write_items.one_copy_per_table = True  # type: ignore[attr-defined]
    models.copy = _OneCopyPerTable()  # type: ignore[assignment]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
