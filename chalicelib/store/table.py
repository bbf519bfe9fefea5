"""The table handle: one lazily built client, item (de)serialization, retries, cursors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.config import get_settings
from chalicelib.store import keys

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)


BATCH_GET_LIMIT = 100  # DynamoDB's BatchGetItem takes at most 100 keys a request


class ConditionFailed(Exception):
    """A conditional write found the item not as expected (a duplicate, a race)."""

    def __init__(self, reasons: list[str] | None = None) -> None:
        super().__init__("conditional check failed")
        self.reasons = reasons or []


class TransactionConflict(errors.RetryLater):
    """A transaction collided with another on one of its items; drawing again (other shards) may pass."""


@lru_cache(maxsize=1)
def _codec() -> tuple[TypeSerializer, TypeDeserializer]:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    ser = _codec()[0]
    return {k: ser.serialize(v) for k, v in item.items() if v is not None}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    de = _codec()[1]
    return {k: de.deserialize(v) for k, v in item.items()}


def _raise_for(exc: Exception) -> None:
    """Map botocore failures that survived the client's retries to domain errors."""
    from botocore.exceptions import ClientError, ReadTimeoutError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(exc, (BotoConnectionError, ReadTimeoutError)):
        raise errors.RetryLater("the database did not answer; try again") from exc
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed(["ConditionalCheckFailed"]) from exc
        if code == "TransactionCanceledException":
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if "TransactionConflict" in reasons and "ConditionalCheckFailed" not in reasons:
                raise TransactionConflict("the database is busy; try again") from exc
            if any(r in ("ThrottlingError", "TransactionConflict", "ProvisionedThroughputExceeded") for r in reasons):
                raise errors.RetryLater("the database is busy; try again") from exc
            raise ConditionFailed(reasons) from exc
        if code in RETRYABLE_CODES:
            raise errors.RetryLater("the database is busy; try again") from exc
    raise exc


@dataclass
class Table:
    """A thin typed layer over the low-level client for the one table."""

    client: Any
    name: str

    def get(self, key: dict[str, str], consistent: bool = False) -> dict[str, Any] | None:
        try:
            out = self.client.get_item(TableName=self.name, Key=serialize(key), ConsistentRead=consistent)
        except Exception as exc:  # noqa: BLE001 - mapped by _raise_for
            _raise_for(exc)
        item = out.get("Item")
        return deserialize(item) if item else None

    def get_many(self, key_list: list[dict[str, str]], consistent: bool = False) -> list[dict[str, Any]]:
        """BatchGetItem in requests of at most 100 distinct keys, each followed until every key is answered."""
        distinct = list({(k[keys.PK], k[keys.SK]): k for k in key_list}.values())
        found: list[dict[str, Any]] = []
        for start in range(0, len(distinct), BATCH_GET_LIMIT):
            found.extend(self._get_batch(distinct[start : start + BATCH_GET_LIMIT], consistent))
        return found

    def _get_batch(self, key_list: list[dict[str, str]], consistent: bool) -> list[dict[str, Any]]:
        if not key_list:
            return []
        request: dict[str, Any] = {self.name: {"Keys": [serialize(k) for k in key_list], "ConsistentRead": consistent}}
        found: list[dict[str, Any]] = []
        for _ in range(8):
            try:
                out = self.client.batch_get_item(RequestItems=request)
            except Exception as exc:  # noqa: BLE001
                _raise_for(exc)
            found.extend(deserialize(i) for i in out.get("Responses", {}).get(self.name, []))
            request = out.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise errors.RetryLater("the database is busy; try again")

    def apply(self, operation: dict[str, Any]) -> None:
        """Run one op built by put_op/update_op/delete_op on its own, outside a transaction."""
        ((kind, params),) = operation.items()
        call = {"Put": self.client.put_item, "Update": self.client.update_item, "Delete": self.client.delete_item}[kind]
        try:
            call(**params)
        except Exception as exc:  # noqa: BLE001
            _raise_for(exc)

    def put(
        self,
        item: dict[str, Any],
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        self.apply(self.put_op(item, condition, names, values))

    def update(
        self,
        key: dict[str, str],
        expression: str,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        condition: str | None = None,
        return_new: bool = False,
    ) -> dict[str, Any] | None:
        kwargs = self.update_op(key, expression, names, values, condition)["Update"]
        if return_new:
            kwargs["ReturnValues"] = "ALL_NEW"
        try:
            out = self.client.update_item(**kwargs)
        except Exception as exc:  # noqa: BLE001
            _raise_for(exc)
        attrs = out.get("Attributes")
        return deserialize(attrs) if attrs else None

    def delete(self, key: dict[str, str], condition: str | None = None) -> None:
        self.apply(self.delete_op(key, condition))

    def put_many(self, items: list[dict[str, Any]]) -> None:
        """BatchWriteItem in groups of 25, following UnprocessedItems until every item is written."""
        for start in range(0, len(items), 25):
            request: dict[str, Any] = {
                self.name: [{"PutRequest": {"Item": serialize(i)}} for i in items[start : start + 25]]
            }
            for _ in range(8):
                try:
                    out = self.client.batch_write_item(RequestItems=request)
                except Exception as exc:  # noqa: BLE001
                    _raise_for(exc)
                request = out.get("UnprocessedItems") or {}
                if not request:
                    break
            else:
                raise errors.RetryLater("the database is busy; try again")

    def transact(self, operations: Iterable[dict[str, Any]]) -> None:
        """TransactWriteItems over operations built by the put_op/update_op/... helpers."""
        items = list(operations)
        if not items:
            return
        try:
            self.client.transact_write_items(TransactItems=items)
        except Exception as exc:  # noqa: BLE001
            _raise_for(exc)

    def put_op(
        self,
        item: dict[str, Any],
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Item": serialize(item)}
        if condition:
            op["ConditionExpression"] = condition
        if names:
            op["ExpressionAttributeNames"] = names
        if values:
            op["ExpressionAttributeValues"] = serialize(values)
        return {"Put": op}

    def update_op(
        self,
        key: dict[str, str],
        expression: str,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        condition: str | None = None,
    ) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Key": serialize(key), "UpdateExpression": expression}
        if names:
            op["ExpressionAttributeNames"] = names
        if values:
            op["ExpressionAttributeValues"] = serialize(values)
        if condition:
            op["ConditionExpression"] = condition
        return {"Update": op}

    def delete_op(self, key: dict[str, str], condition: str | None = None) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Key": serialize(key)}
        if condition:
            op["ConditionExpression"] = condition
        return {"Delete": op}

    def query(
        self,
        pk_value: str,
        *,
        index: str | None = None,
        sk_prefix: str | None = None,
        sk_between: tuple[str, str] | None = None,
        limit: int = 50,
        cursor: dict[str, Any] | None = None,
        newest_first: bool = False,
        consistent: bool = False,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of one partition; returns the items and the raw next-page key."""
        pk_name, sk_name = {
            None: (keys.PK, keys.SK),
            keys.GSI1: (keys.GSI1PK, keys.GSI1SK),
            keys.GSI2: (keys.GSI2PK, keys.GSI2SK),
        }[index]
        condition = "#pk = :pk"
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": pk_value}
        if sk_prefix is not None:
            condition += " AND begins_with(#sk, :prefix)"
            names["#sk"] = sk_name
            values[":prefix"] = sk_prefix
        elif sk_between is not None:
            condition += " AND #sk BETWEEN :lo AND :hi"
            names["#sk"] = sk_name
            values[":lo"], values[":hi"] = sk_between
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        if index:
            kwargs["IndexName"] = index
        elif consistent:
            kwargs["ConsistentRead"] = True
        if cursor:
            kwargs["ExclusiveStartKey"] = serialize(cursor)
        try:
            out = self.client.query(**kwargs)
        except Exception as exc:  # noqa: BLE001
            _raise_for(exc)
        last = out.get("LastEvaluatedKey")
        return [deserialize(i) for i in out.get("Items", [])], (deserialize(last) if last else None)


@lru_cache(maxsize=1)
def get_client() -> Any:
    """The DynamoDB client, built once per process with standard retries and short timeouts."""
    import boto3
    from botocore.config import Config

    settings = get_settings()
    config = Config(
        retries={"mode": "standard", "max_attempts": settings.ddb_max_attempts},
        connect_timeout=2,
        read_timeout=4,
        tcp_keepalive=True,
    )
    return boto3.client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.dynamodb_endpoint,
        config=config,
    )


@lru_cache(maxsize=1)
def get_table() -> Table:
    return Table(client=get_client(), name=get_settings().table_name)


def reset_table() -> None:
    """Drop the cached client and table (tests switch endpoints between cases)."""
    get_table.cache_clear()
    get_client.cache_clear()
