"""The table handle: one lazily built client, item (de)serialization, retries, cursors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NoReturn

from chalicelib import errors
from chalicelib.config import get_settings
from chalicelib.store import keys
from chalicelib.store.recent import RecentItems

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
        "TransactionConflictException",
        "ReplicatedWriteConflictException",
    }
)


BATCH_GET_LIMIT = 100  # DynamoDB's BatchGetItem takes at most 100 keys a request
# Bytes of attribute names and values in one item: DynamoDB's "400 KB", read as 400,000 so that an
# estimate a little off still never sends an item DynamoDB refuses.
ITEM_SIZE_LIMIT = 400_000
PARTITION_KEY_LIMIT = 2048  # bytes of a partition key value (the table's and each index's)
SORT_KEY_LIMIT = 1024  # bytes of a sort key value
PARTITION_KEYS = (keys.PK, keys.GSI1PK, keys.GSI2PK)
SORT_KEYS = (keys.SK, keys.GSI1SK, keys.GSI2SK)

CONDITION = "ConditionalCheckFailed"
# Cancellation reasons that say "the same request may pass later" (DynamoDB's TransactWriteItems reasons).
THROUGHPUT_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"})
CONFLICT_REASON = "TransactionConflict"
VALIDATION_REASON = "ValidationError"

Operation = dict[str, Any]
NamedOperation = tuple[str, Operation]


class ConditionFailed(Exception):
    """A conditional write found the item not as expected (a duplicate, a race).

    Only ever raised when every operation that did not pass failed its own condition: a transaction
    cancelled for any other reason (throughput, a conflict, an invalid item) is another error.
    """

    def __init__(self, reasons: list[str] | None = None, roles: list[str | None] | None = None) -> None:
        super().__init__("conditional check failed")
        self.reasons = reasons or []
        self.roles = roles or []

    def failed(self, role: str) -> bool:
        """Whether an operation given to `Table.transact` under this role failed its condition."""
        return any(name == role and reason == CONDITION for name, reason in zip(self.roles, self.reasons, strict=False))


class TransactionConflict(errors.RetryLater):
    """A transaction collided with another on one of its items; drawing again (other shards) may pass."""


def conflict_pause(attempt: int) -> None:
    """A short random wait before drawing a collided transaction again, doubling with each attempt."""
    import random
    import time

    time.sleep(random.uniform(0, 0.02 * 2 ** min(attempt, 5)))  # noqa: S311 - jitter only


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


def item_size(item: dict[str, Any]) -> int:
    """An upper bound of the size DynamoDB counts for a serialized item: attribute names plus values."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, body),) = value.items()
    if kind == "S":
        return len(body.encode())
    if kind == "N":
        return _number_size(body)
    if kind == "B":
        return len(getattr(body, "value", body))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in body)
    if kind == "NS":
        return sum(_number_size(n) for n in body)
    if kind == "BS":
        return sum(len(getattr(b, "value", b)) for b in body)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in body)
    # "M": every nested name counts too
    return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in body.items())


def _number_size(text: str) -> int:
    # One byte per two significant digits plus one; 21 at most (38 digits).
    return min(21, len(text) // 2 + 2)


def _over_long_key(attributes: dict[str, Any]) -> tuple[str, int] | None:
    """The first key attribute whose value DynamoDB would refuse (2048 bytes partition, 1024 sort)."""
    for name, limit in [*((n, PARTITION_KEY_LIMIT) for n in PARTITION_KEYS), *((n, SORT_KEY_LIMIT) for n in SORT_KEYS)]:
        value = attributes.get(name)
        if isinstance(value, str) and len(value.encode()) > limit:
            return name, limit
    return None


def _check_keys(attributes: dict[str, Any]) -> None:
    """Refuse a write whose key DynamoDB would refuse, before sending it: identifiers come from outside."""
    found = _over_long_key(attributes)
    if found:
        name, limit = found
        _log_refusal("key_too_long", attribute=name, size=len(str(attributes[name]).encode()))
        raise errors.ValidationFailed(
            f"an identifier is too long to be stored ({name} over {limit} bytes)", code="key_too_long"
        )


def _check_size(serialized: dict[str, Any], what: str) -> None:
    size = item_size(serialized)
    if size > ITEM_SIZE_LIMIT:
        _log_refusal("item_too_large", what=what, size=size)
        raise errors.PayloadTooLarge(
            f"this would store {size // 1000} KB in one record; the limit is {ITEM_SIZE_LIMIT // 1000} KB",
            code="item_too_large",
        )


def _log_refusal(code: str, **facts: Any) -> None:
    from chalicelib.observability import logger

    logger.warning("dynamodb limit refused before the call", extra={"refusal": code, **facts})


def _invalid(message: str) -> errors.ProofloopError:
    """A request DynamoDB refused as invalid. Over a size limit, the input was too large: a 4xx. Anything
    else (overlapping paths, two actions on one item, a bad expression) is a fault of ours, not the
    sender's: a 5xx that the API alarm sees, logged by the caller.

    DynamoDB names the limit only in its message, so this reads the message (and nothing else does).
    """
    lowered = message.lower()
    if "item size" in lowered or "maximum allowed size" in lowered:
        return errors.PayloadTooLarge(
            f"this would store more than {ITEM_SIZE_LIMIT // 1000} KB in one record", code="item_too_large"
        )
    if "key" in lowered and ("size" in lowered or "2048" in lowered or "1024" in lowered):
        return errors.ValidationFailed("an identifier is too long to be stored", code="key_too_long")
    return errors.RetryLater("the database refused this request; it has been logged")


def _cancelled(exc: Exception, reasons: list[dict[str, Any]], roles: list[str | None]) -> Exception:
    """What a cancelled transaction means, from every item's reason (the order decides mixed cases).

    1. A ValidationError anywhere: the request is invalid and fails again however often it is sent: a 4xx
       when an input was over a size limit, else a logged 5xx (our fault, see _invalid).
    2. Throughput (throttling, capacity, request rate) anywhere: RetryLater, even beside a failed condition.
    3. A TransactionConflict: TransactionConflict, or RetryLater when a condition failed too.
    4. A failed condition, with every other item's reason "None": ConditionFailed, and only then.
       A condition that failed while another item was throttled or in conflict was read from a state
       that was changing; callers turn ConditionFailed into an irreversible answer ("a duplicate",
       "not counted"), a retry of the whole all-or-nothing transaction costs nothing.
    5. Anything else (ItemCollectionSizeLimitExceeded, unknown codes, no reasons): RetryLater, logged.
    """
    codes = [str(r.get("Code") or "None") for r in reasons]
    invalid = [r for r in reasons if r.get("Code") == VALIDATION_REASON]
    if invalid:
        messages = [str(r.get("Message", "")) for r in invalid]
        _log_failure("TransactionCanceledException", exc, reasons=codes, messages=messages, roles=roles)
        return _invalid(" ".join(messages))
    if any(code in THROUGHPUT_REASONS for code in codes):
        return errors.RetryLater("the database is busy; try again")
    if CONFLICT_REASON in codes:
        if CONDITION in codes:
            return errors.RetryLater("the database is busy; try again")
        return TransactionConflict("the database is busy; try again")
    if CONDITION in codes and set(codes) <= {CONDITION, "None"}:
        return ConditionFailed(codes, roles)
    _log_failure("TransactionCanceledException", exc, reasons=codes, roles=roles)
    return errors.RetryLater("the database could not take this write; try again")


def _log_failure(code: str, exc: Exception, **facts: Any) -> None:
    from chalicelib.observability import logger

    operation = getattr(exc, "operation_name", None)
    logger.error("dynamodb call failed", extra={"dynamodb_error": code, "operation": operation, **facts})


def _raise_for(exc: Exception, roles: list[str | None] | None = None) -> NoReturn:
    """Map botocore failures that survived the client's retries to domain errors; none escapes as a 500.

    `roles` names the operations of a transaction, in order, for ConditionFailed.failed().
    """
    from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(exc, (BotoConnectionError, ReadTimeoutError)):
        raise errors.RetryLater("the database did not answer; try again") from exc
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed([CONDITION]) from exc
        if code == "TransactionCanceledException":
            raise _cancelled(exc, exc.response.get("CancellationReasons") or [], roles or []) from exc
        if code in RETRYABLE_CODES:
            raise errors.RetryLater("the database is busy; try again") from exc
        message = str(error.get("Message", ""))
        _log_failure(code or "unknown", exc, error_message=message)
        if code == "ValidationException":
            raise _invalid(message) from exc
        # Access, a missing table, an unknown code: the request was fine, so the sender delivers again.
        raise errors.RetryLater("the database could not take this request; try again") from exc
    if isinstance(exc, BotoCoreError):
        # Client-side failures (ParamValidationError, credentials, endpoint errors) before or after the call.
        _log_failure(type(exc).__name__, exc, error_message=str(exc))
        raise errors.RetryLater("the database could not take this request; try again") from exc
    raise exc


@dataclass
class Table:
    """A thin typed layer over the low-level client for the one table."""

    client: Any
    name: str
    # What this container read lately of items that rarely change (get_many_recent); writes forget theirs.
    recent: RecentItems = field(default_factory=RecentItems, compare=False, repr=False)

    def get(self, key: dict[str, str], consistent: bool = False) -> dict[str, Any] | None:
        if _over_long_key(key):
            return None  # no stored item has such a key
        try:
            out = self.client.get_item(TableName=self.name, Key=serialize(key), ConsistentRead=consistent)
        except Exception as exc:  # noqa: BLE001 - mapped by _raise_for
            _raise_for(exc)
        item = out.get("Item")
        return deserialize(item) if item else None

    def get_many(self, key_list: list[dict[str, str]], consistent: bool = False) -> list[dict[str, Any]]:
        """BatchGetItem in requests of at most 100 distinct keys, each followed until every key is answered.

        A key too long to be stored names no item: it is left out rather than sent (DynamoDB would refuse it)."""
        distinct = list({(k[keys.PK], k[keys.SK]): k for k in key_list if not _over_long_key(k)}.values())
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

    def get_many_recent(self, key_list: list[dict[str, str]]) -> list[dict[str, Any]]:
        """Like get_many, for items that rarely change (a shop, a product page): what this container read
        less than `recent.TTL_SECONDS` ago is answered without a call. The items are shared: read them only."""
        found: list[dict[str, Any]] = []
        missing: list[dict[str, str]] = []
        for key in key_list:
            known, item = self.recent.fresh((key[keys.PK], key[keys.SK]))
            if not known:
                missing.append(key)
            elif item is not None:
                found.append(dict(item))  # the caller's own copy: what is kept stays as it was read
        if missing:
            # Consistent: what a write through this container just changed is what is kept for the next minute.
            fetched = {(i[keys.PK], i[keys.SK]): i for i in self.get_many(missing, consistent=True)}
            for key in missing:
                pair = (key[keys.PK], key[keys.SK])
                self.recent.keep(pair, fetched.get(pair))
            found += (dict(i) for i in fetched.values())
        return found

    def _forget(self, operation: dict[str, Any]) -> None:
        """A write through this container: its item is no longer what was read lately."""
        ((kind, params),) = operation.items()
        key = params.get("Item") if kind == "Put" else params.get("Key")
        if key and keys.PK in key and keys.SK in key:
            self.recent.forget((key[keys.PK].get("S", ""), key[keys.SK].get("S", "")))

    def apply(self, operation: dict[str, Any]) -> None:
        """Run one op built by put_op/update_op/delete_op on its own, outside a transaction."""
        self._forget(operation)
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
        return_old: bool = False,
    ) -> dict[str, Any] | None:
        """Update one item; with `return_new` (or `return_old`) the whole item as it is after (or was before)."""
        operation = self.update_op(key, expression, names, values, condition)
        self._forget(operation)
        kwargs = operation["Update"]
        if return_new:
            kwargs["ReturnValues"] = "ALL_NEW"
        elif return_old:
            kwargs["ReturnValues"] = "ALL_OLD"
        try:
            out = self.client.update_item(**kwargs)
        except Exception as exc:  # noqa: BLE001
            _raise_for(exc)
        attrs = out.get("Attributes")
        return deserialize(attrs) if attrs else None

    def delete(self, key: dict[str, str], condition: str | None = None) -> None:
        self.apply(self.delete_op(key, condition))

    def put_many(self, items: list[dict[str, Any]]) -> None:
        """BatchWriteItem in groups of 25, following UnprocessedItems until every item is written.

        Every item is checked against DynamoDB's key and size limits before the first request."""
        operations = [self.put_op(i) for i in items]
        for operation in operations:
            self._forget(operation)
        requests = [operation["Put"]["Item"] for operation in operations]
        for start in range(0, len(requests), 25):
            request: dict[str, Any] = {self.name: [{"PutRequest": {"Item": i}} for i in requests[start : start + 25]]}
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

    def transact(self, operations: Iterable[Operation | NamedOperation]) -> None:
        """TransactWriteItems over operations built by the put_op/update_op/... helpers.

        An operation given as (role, op) can be asked about by that role when the transaction fails its
        conditions: `except ConditionFailed as exc: if exc.failed("review"): ...`. Several operations may
        share a role (exc.failed is true when any of them failed)."""
        items: list[Operation] = []
        roles: list[str | None] = []
        for entry in operations:
            role, op = entry if isinstance(entry, tuple) else (None, entry)
            roles.append(role)
            items.append(op)
            self._forget(op)
        if not items:
            return
        try:
            self.client.transact_write_items(TransactItems=items)
        except Exception as exc:  # noqa: BLE001
            _raise_for(exc, roles)

    def put_op(
        self,
        item: dict[str, Any],
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A Put, refused here (4xx) if its keys or its size are over DynamoDB's limits."""
        _check_keys(item)
        serialized = serialize(item)
        _check_size(serialized, str(item.get("type") or "item"))
        op: dict[str, Any] = {"TableName": self.name, "Item": serialized}
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
        """An Update; its values alone over the item limit, or an over-long key, are refused here (4xx).

        What an update adds to the stored item is only known to DynamoDB: its refusal maps to the same 4xx."""
        _check_keys(key)
        op: dict[str, Any] = {"TableName": self.name, "Key": serialize(key), "UpdateExpression": expression}
        if names:
            op["ExpressionAttributeNames"] = names
        if values:
            op["ExpressionAttributeValues"] = serialize(values)
            _check_size(op["ExpressionAttributeValues"], "update")
        if condition:
            op["ConditionExpression"] = condition
        return {"Update": op}

    def delete_op(self, key: dict[str, str], condition: str | None = None) -> dict[str, Any]:
        _check_keys(key)
        op: dict[str, Any] = {"TableName": self.name, "Key": serialize(key)}
        if condition:
            op["ConditionExpression"] = condition
        return {"Delete": op}

    def query_all(
        self,
        pk_value: str,
        *,
        index: str | None = None,
        sk_prefix: str | None = None,
        newest_first: bool = False,
        page: int = 500,
    ) -> Iterator[dict[str, Any]]:
        """Every item of one partition (or prefix), a page of `page` at a time, as the caller reads them:
        for exports and feeds that stream, never for a request that answers one page."""
        cursor: dict[str, Any] | None = None
        while True:
            items, cursor = self.query(
                pk_value, index=index, sk_prefix=sk_prefix, limit=page, cursor=cursor, newest_first=newest_first
            )
            yield from items
            if cursor is None:
                return

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
        """One page of one partition; returns the items and the raw next-page key.

        A partition or prefix too long to be a key holds nothing: an empty page, not a refused call."""
        limits = [(pk_value, PARTITION_KEY_LIMIT), (sk_prefix or "", SORT_KEY_LIMIT)]
        if any(len(value.encode()) > limit for value, limit in limits):
            return [], None
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
