"""Retries that are safe: a repeated request with the same `Idempotency-Key` answers the first one's
result and does nothing again (Powertools' idempotency utility, its records kept on the one table).

Its traps, handled here: the records use the table's own key and TTL attributes (`pk` is a fixed
partition, `sk` the hashed key); the key is scoped by the caller (one proposer's key never returns
another's result); a repeat with another body is refused, and a repeat while the first is still running
is told to wait; the Lambda context is registered by the handler, so that a request that crashed does
not stay "in progress" for the record's lifetime. Imported only when a request carries the header."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from postdesk.aws import AWS_TIMEOUTS
from postdesk.errors import Conflict, InvalidProposal

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext

KEEP_SECONDS = 24 * 3600  # a client retries within minutes; a day is plenty
IDEMPOTENCY_PK = "IDEMPOTENCY"
MAX_KEY_LENGTH = 200


@lru_cache(maxsize=1)
def _config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath="[key, caller]",
        payload_validation_jmespath="body",
        expires_after_seconds=KEEP_SECONDS,
        raise_on_no_idempotency_key=True,
    )


@lru_cache(maxsize=4)
def _persistence(table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr="pk",
        static_pk_value=IDEMPOTENCY_PK,
        sort_key_attr="sk",
        expiry_attr="ttl",
        boto3_client=boto3.client("dynamodb", config=AWS_TIMEOUTS),
    )


def once(
    table_name: str,
    *,
    key: str,
    caller: str,
    body: dict[str, Any],
    work: Callable[[], dict[str, Any]],
    context: LambdaContext | None,
) -> dict[str, Any]:
    """`work()`'s result, done once per (`key`, `caller`): a repeat answers the stored result."""
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidProposal.one(
            "Idempotency-Key", "must be printable text of 1 to 200 characters", "bad_idempotency_key"
        )
    config = _config()
    if context is not None:
        config.register_lambda_context(context)

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="request", persistence_store=_persistence(table_name), config=config
    )
    def perform(request: dict[str, Any]) -> dict[str, Any]:
        return work()

    try:
        result: dict[str, Any] = perform(request={"key": key, "caller": caller, "body": body})
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "a request with this Idempotency-Key is still being handled: try again in a moment"
        ) from None
    except IdempotencyValidationError:
        raise InvalidProposal.one(
            "Idempotency-Key", "was already used with another body: use a new key", "idempotency_key_reused"
        ) from None
    return result
