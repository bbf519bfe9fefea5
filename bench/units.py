"""DynamoDB request units of one call, by the service's published sizing rules.

moto answers ReturnConsumedCapacity with fixed figures, so units are computed from the items a call
reads and the items a write leaves behind (read back through an uncounted client):

- item size: attribute names plus values (strings and binaries by their bytes, numbers about one byte per
  two significant digits plus one, sets and documents by their members plus 3 bytes and 1 per member);
- reads: 4 KB units, half for an eventually consistent read; a Query sums its items before rounding;
  every read costs at least one unit (or half);
- writes: 1 KB units of the larger of the item before and after, at least one; a transactional write
  costs twice; every global secondary index the item is (or was) in costs its own write.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

INDEX_KEYS = ("GSI1PK", "GSI2PK")  # chalicelib/store/schema.py: the overloaded GSI1 and ByScore


def value_size(value: dict[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "B":
        return len(data)
    if kind == "N":
        return _number_size(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(_number_size(n) for n in data)
    if kind == "BS":
        return sum(len(b) for b in data)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in data.items())
    raise ValueError(f"unknown attribute type {kind}")


def _number_size(text: str) -> int:
    digits = format(abs(Decimal(text)), "f").replace(".", "").strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def write_units(before: dict[str, Any] | None, after: dict[str, Any] | None, transactional: bool) -> float:
    units = max(1, math.ceil(max(item_size(before), item_size(after)) / 1024))
    for index_key in INDEX_KEYS:
        in_before, in_after = bool(before and index_key in before), bool(after and index_key in after)
        if in_before or in_after:
            moved = in_before and in_after and before[index_key] != after[index_key]  # type: ignore[index]
            units += max(1, math.ceil(item_size(after or before) / 1024)) * (2 if moved else 1)
    return float(units * (2 if transactional else 1))


class UnitMeter:
    """Request units of each DynamoDB call, from botocore's events; `peek` reads items uncounted."""

    WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")

    def __init__(self, client: Any, peek: Any, table: str) -> None:
        self.peek = peek
        self.table = table
        self.read = 0.0
        self.written = 0.0
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def reset(self) -> None:
        self.read = self.written = 0.0

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-parameter-build.dynamodb", self._before)
        client.meta.events.unregister("after-call.dynamodb", self._after)

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.peek.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return item

    @staticmethod
    def _key(item: dict[str, Any]) -> dict[str, Any]:
        return {"PK": item["PK"], "SK": item["SK"]}

    def _targets(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if name in ("UpdateItem", "DeleteItem"):
            return [params["Key"]]
        if name == "PutItem":
            return [self._key(params["Item"])]
        if name == "TransactWriteItems":
            keys = []
            for entry in params["TransactItems"]:
                ((kind, op),) = entry.items()
                keys.append(self._key(op["Item"]) if kind == "Put" else op["Key"])
            return keys
        if name == "BatchWriteItem":
            return [
                self._key(r["PutRequest"]["Item"]) if "PutRequest" in r else r["DeleteRequest"]["Key"]
                for requests in params["RequestItems"].values()
                for r in requests
            ]
        return []

    def _before(self, model: Any, params: Any, context: Any, **_: Any) -> None:
        if model.name in self.WRITES:
            context["units_before"] = [(key, self._get(key)) for key in self._targets(model.name, params)]
        context["units_params"] = params

    def _after(self, model: Any, parsed: Any, context: Any, http_response: Any = None, **_: Any) -> None:
        params = context.get("units_params", {})
        failed = getattr(http_response, "status_code", 200) >= 300
        name = model.name
        if name == "GetItem":
            self.read += read_units(item_size(parsed.get("Item")), bool(params.get("ConsistentRead")))
        elif name == "Query":
            size = sum(item_size(i) for i in parsed.get("Items", []))
            self.read += read_units(size, bool(params.get("ConsistentRead")))
        elif name == "BatchGetItem":
            for table, request in params.get("RequestItems", {}).items():
                found = parsed.get("Responses", {}).get(table, [])
                consistent = bool(request.get("ConsistentRead"))
                self.read += sum(read_units(item_size(i), consistent) for i in found)
                self.read += read_units(0, consistent) * max(0, len(request.get("Keys", [])) - len(found))
        elif name in self.WRITES:
            transactional = name == "TransactWriteItems"
            for key, before in context.get("units_before", []):
                after = before if failed else self._get(key)
                self.written += write_units(before, after, transactional)
