"""moto's DynamoDB made to keep DynamoDB's promises under concurrency, for moto 5.2.5 (pinned in
pyproject.toml; `install()` refuses any other version, and tests/integration/test_moto_dynamodb.py fails
when the internals below change).

DynamoDB applies each request atomically: a conditional write, a transaction, and no read sees half of
one. moto serves requests on several threads with no lock, and its `transact_write_items` deep-copies
every table it touches before it starts and puts that copy back when any part fails (a claim that loses
its race does), which silently undoes every write other requests made meanwhile, and costs a copy of the
whole table per transaction. Two changes make it behave:

- one process-wide lock, `STATE_LOCK`, around every DynamoDB request (`DynamoHandler.call_action`, reads
  included). moto's server in the local stack also holds it across each whole request, recording
  included (see moto_process), so that the recording lists requests in the order moto applied them and a
  snapshot never sees half a request;
- a transaction keeps an undo list of the items it changes (the item as it was, or its absence) and
  puts those back when it fails, instead of copying tables;
- items are no longer kept forever in the list moto's BaseModel makes of every instance (for its
  dashboard): every update copies its item, so a long-running stack grew by every version of every
  item it ever wrote.

Everything else is moto's own code, in the same order: conditions are checked item by item, the
cancellation reasons are moto's. The tests' in-process moto (`mock_aws`) and the local stack's moto
server install this same layer."""

from __future__ import annotations

import copy
import functools
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

MOTO_VERSION = "5.2.5"

# Reentrant: moto's server takes it around a whole request, and the DynamoDB action inside takes it again.
STATE_LOCK = threading.RLock()

_INSTALLED_MARK = "__postdesk_moto_dynamodb__"


class UnsupportedMotoVersionError(RuntimeError):
    """The installed moto is not the version this layer was written and checked against."""


def installed_moto_version() -> str:
    import moto

    return str(moto.__version__)


def install() -> None:
    """Patch moto's DynamoDB in this process (idempotent): the lock around every request, and
    transactions that undo only their own writes."""
    version = installed_moto_version()
    if version != MOTO_VERSION:
        raise UnsupportedMotoVersionError(
            f"postdesk's moto layer patches moto {MOTO_VERSION}, not {version}: install the version "
            "pinned in pyproject.toml, or check the layer against the new one and move the pin"
        )
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.call_action, _INSTALLED_MARK, False):
        return
    DynamoHandler.call_action = _one_at_a_time(DynamoHandler.call_action)  # type: ignore[method-assign]
    setattr(DynamoHandler.call_action, _INSTALLED_MARK, True)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign,assignment]
    Item.__new__ = staticmethod(_untracked_item)  # type: ignore[method-assign]


def _untracked_item(cls: type, *args: Any, **kwargs: Any) -> Any:
    """An item that moto does not also append to `Item.instances_tracked`, a list its BaseModel keeps of
    every instance ever made, for its dashboard, and never empties: every update (which copies the
    item), every item restored from a snapshot, stayed in memory for the life of the process."""
    return object.__new__(cls)


def _one_at_a_time(call_action: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(call_action)
    def locked(handler: Any) -> Any:
        with STATE_LOCK:
            return call_action(handler)

    return locked


class _Undo:
    """The items a transaction changed, as they were before, to put back if it fails."""

    def __init__(self) -> None:
        self._before: list[tuple[Any, Any, Any, Any]] = []

    def remember(self, table: Any, hash_value: Any, range_value: Any, *, mutated_in_place: bool) -> None:
        current = table.get_item(hash_value, range_value)
        # Put and Delete replace or drop the item object and leave it untouched; Update changes it in
        # place, so only an update needs a copy (of that one item, not of the table).
        kept = copy.deepcopy(current) if mutated_in_place and current is not None else current
        self._before.append((table, hash_value, range_value, kept))

    def roll_back(self) -> None:
        for table, hash_value, range_value, before in reversed(self._before):
            if table.has_range_key:
                partition = table.items[hash_value]
                if before is None:
                    partition.pop(range_value, None)
                    if not partition:
                        table.items.pop(hash_value, None)
                else:
                    partition[range_value] = before
            elif before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before
        self._before.clear()


def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's `DynamoDBBackend.transact_write_items`, with an undo list in place of table copies.

    Runs under STATE_LOCK (it is only reached through `call_action`), so nothing else sees the
    transaction half applied, nor writes anything that its roll-back could undo."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models.dynamo_type import DynamoType

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo = _Undo()
    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    try:
        for item in transact_items:
            original_item: dict[str, Any] | None = None
            if len(list(item.keys())) > 1:
                raise TransactWriteSingleOpException
            try:
                op_type, op = next(iter(item.items()))
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name = op["TableName"]
                condition_expression = op.get("ConditionExpression")
                names = op.get("ExpressionAttributeNames")
                values = op.get("ExpressionAttributeValues")
                return_old = op.get("ReturnValuesOnConditionCheckFailure")
                table = backend.get_table(table_name)
                if op_type == "Put":
                    attrs = op["Item"]
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]
                check_unicity(table_name, key)

                current = backend.get_item(table_name, key)
                if condition_expression is not None:
                    condition = get_filter_expression(condition_expression, names, values)
                    if not condition.expr(current):
                        if return_old == "ALL_OLD" and current:
                            original_item = current.to_json()["Attributes"]
                        raise ConditionalCheckFailed(item=original_item)

                if op_type != "ConditionCheck":
                    hash_value = DynamoType(key[table.hash_key_attr])
                    range_value = DynamoType(key[table.range_key_attr]) if table.has_range_key else None
                    undo.remember(table, hash_value, range_value, mutated_in_place=op_type == "Update")
                if op_type == "Put":
                    backend.put_item(
                        table_name,
                        op["Item"],
                        condition_expression=condition_expression,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif op_type == "Delete":
                    backend.delete_item(
                        table_name,
                        key,
                        condition_expression=condition_expression,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif op_type == "Update":
                    backend.update_item(
                        table_name,
                        key,
                        update_expression=op["UpdateExpression"],
                        condition_expression=condition_expression,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                raise
            except ConditionalCheckFailed as error:
                errors.append(("ConditionalCheckFailed", str(error.message), original_item))
            except Exception as error:
                errors.append((type(error).__name__, str(error), original_item))
    except BaseException:
        undo.roll_back()
        raise
    if any(code is not None for code, _, _ in errors):
        undo.roll_back()
        raise TransactionCanceledException(errors)
