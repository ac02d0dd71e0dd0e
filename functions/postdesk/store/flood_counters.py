"""The flood limits' counters on the table: one item per subject and window, and one transaction that
adds one to each of a proposal's counters on the condition that each is under its limit.

All or none: a refused request counts against nothing (a colleague who waits is not penalised by the
attempts in between), and two requests at once can't both take the last place (DynamoDB serialises
transactions on an item; one that collides with another is told so and tried again here)."""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from postdesk.store.table import FloodCounterItem

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pynamodb.connection import Connection

    from postdesk.domain.flood_limits import Counter

COUNTER_SK = "LIMIT"
ATTEMPTS = 5  # transactions that collide with another on a counter, tried again after a short pause


def _connection() -> Connection:
    """The model's own connection: one botocore client per process (a new one costs a tenth of a
    second), forgotten with the model's binding when the table is bound again (`table.bind_table`)."""
    connection: Connection = FloodCounterItem._get_connection().connection
    return connection


def _item(counter: Counter) -> FloodCounterItem:
    return FloodCounterItem(pk=f"LIMIT#{counter.key}", sk=COUNTER_SK)


def count(counters: Sequence[Counter]) -> list[Counter]:
    """Add one to every counter, or to none: [] when each was under its limit; else the counters that
    were full (and nothing changed)."""
    if not counters:
        return []
    for attempt in range(ATTEMPTS):
        try:
            with TransactWrite(connection=_connection()) as transaction:
                for counter in counters:
                    transaction.update(
                        _item(counter),
                        actions=[
                            FloodCounterItem.uses.add(1),
                            FloodCounterItem.ttl.set(int(counter.keep_until.timestamp())),
                        ],
                        condition=FloodCounterItem.uses.does_not_exist()
                        | (FloodCounterItem.uses < counter.most),
                    )
        except TransactWriteError as error:
            reasons = error.cancellation_reasons
            full = [
                counter
                for counter, reason in zip(counters, reasons, strict=False)
                if reason is not None and reason.code == "ConditionalCheckFailed"
            ]
            if full:
                return full
            collided = any(reason is not None and reason.code == "TransactionConflict" for reason in reasons)
            if not collided or attempt == ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311 - jitter, not a secret
            continue
        return []
    raise AssertionError("unreachable")  # pragma: no cover
