"""The morning run reads only what is due: its DynamoDB reads with 10 and with 10,000 stored proposals
that are not due (plus the same 3 due ones) must be the same.

The run is postdesk.use_cases.morning_run's run function when it exists; until then, the query it is built on
(the sparse `due` index, up to now)."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import io
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.moto_stack import (
    ENVIRONMENT,
    READ_OPERATIONS,
    REGION,
    TABLE_NAME,
    AwsCalls,
    environment,
    items_read,
    moto_stack,
    recording_aws_calls,
    summary,
)
from benchmarks.report import MeasurementFailed, Section, progress, table

SIZES = (10, 10_000)
DUE = 3
RUN_FUNCTION_NAMES = ("run_morning", "publish_run", "morning_run", "run_publish", "publish_due", "run")
BATCH = 25


@dataclass
class Reads:
    stored: int
    calls: Counter[str]
    items: int
    outcome: str

    @property
    def call_count(self) -> int:
        return sum(self.calls.values())


def find_run_function() -> Callable[..., Any] | None:
    if importlib.util.find_spec("postdesk.use_cases.morning_run") is None:
        return None
    publishing = importlib.import_module("postdesk.use_cases.morning_run")
    for name in RUN_FUNCTION_NAMES:
        function = getattr(publishing, name, None)
        if callable(function):
            return function
    return None


def _arguments(function: Callable[..., Any], services: Any, now: datetime) -> dict[str, Any] | None:
    """Arguments for the run function by parameter name; None if it needs one we can't give."""
    known = {
        "services": services,
        "now": now,
        "at": now,
        "scheduled_time": now,
        "scheduled": now,
        "run_key": f"bench-{uuid.uuid4().hex[:8]}",
        "key": f"bench-{uuid.uuid4().hex[:8]}",
        "run_id": f"bench-{uuid.uuid4().hex[:8]}",
    }
    arguments: dict[str, Any] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in known:
            arguments[parameter.name] = known[parameter.name]
        elif parameter.default is parameter.empty:
            return None
    return arguments


def _proposal(status: str, now: datetime, number: int, due: bool) -> Any:
    from postdesk.store.table import DUE_PK, OPEN_PK, PROPOSAL_SK, ProposalItem, proposal_pk

    proposal_id = uuid.uuid4().hex
    created = now - timedelta(days=2, seconds=number)
    item = ProposalItem(
        pk=proposal_pk(proposal_id),
        sk=PROPOSAL_SK,
        id=proposal_id,
        status=status,
        version=1,
        kind="prevention",
        text=f"Prévention n° {number} : fermez à clé.",
        proposer_email=f"agent{number}@example.org",
        created_at=created,
        updated_at=created,
        confirm_by=created + timedelta(hours=72),
        quorum=1,
        source="api",
        language="fr",
        open_pk=OPEN_PK,
        open_sk=f"{created.isoformat()}#{proposal_id}",
    )
    if due:
        approved = now - timedelta(hours=12, seconds=number)
        item.approvals = {"director@example.org"}
        item.approved_at = approved
        item.due_pk = DUE_PK
        item.due_sk = f"{approved.astimezone(UTC).isoformat()}#{proposal_id}"
    return item


def store(now: datetime, not_due: int) -> None:
    """`not_due` PENDING proposals and DUE approved ones, written straight to the table in batches."""
    import boto3

    client = boto3.client("dynamodb", region_name=REGION)
    items = [_proposal("PENDING", now, n, due=False) for n in range(not_due)]
    items += [_proposal("APPROVED", now, n, due=True) for n in range(DUE)]
    for start in range(0, len(items), BATCH):
        requests = [{"PutRequest": {"Item": item.serialize()}} for item in items[start : start + BATCH]]
        pending: dict[str, Any] = {TABLE_NAME: requests}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _reads(calls: AwsCalls) -> tuple[Counter[str], int]:
    read_calls = [call for call in calls.of("dynamodb") if call.operation in READ_OPERATIONS]
    return Counter(call.operation for call in read_calls), sum(items_read(call) for call in read_calls)


def _due_now(now: datetime) -> int:
    from postdesk.store.table import DUE_PK, ProposalItem

    return sum(1 for _ in ProposalItem.due.query(DUE_PK, ProposalItem.due_sk <= _key(now)))


def _key(now: datetime) -> str:
    return now.astimezone(UTC).isoformat()


def one_run(not_due: int, run: Callable[..., Any] | None) -> Reads:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="postdesk-bench-") as state:
        extra = {
            "CHANNEL": "local",
            "LOCAL_TIMELINE_PATH": str(Path(state) / "timeline.json"),
            "PUBLISH_SPACING_SECONDS": "0",
            "PUBLISH_CAP": str(DUE),
        }
        with moto_stack(extra):
            from postdesk.handlers.wiring import get_services

            progress(f"morning run: storing {not_due:,} proposals that are not due and {DUE} due ones")
            store(now, not_due)
            services = get_services()
            with recording_aws_calls() as calls, contextlib.redirect_stdout(io.StringIO()):
                if run is not None:
                    run(**(_arguments(run, services, now) or {}))
                else:
                    found = _due_now(now)
            counts, items = _reads(calls)
            if run is not None:
                writes = sum(calls.by_operation("dynamodb").values()) - sum(counts.values())
                outcome = f"{DUE - _due_now(now)} of {DUE} due ones left the due index; {writes} writes"
            else:
                outcome = f"{found} of {DUE} due found"
    return Reads(not_due + DUE, counts, items, outcome)


def measure(section: Section) -> None:
    with environment(ENVIRONMENT):  # Powertools' Logger takes its settings when first imported
        run = find_run_function()
    if run is not None and _arguments(run, object(), datetime.now(UTC)) is None:
        section.say(
            f"postdesk.use_cases.morning_run.{run.__name__}{inspect.signature(run)}: "
            "arguments unknown to the bench"
        )
        run = None
    if run is None:
        section.say(
            "measured: the run's query, ProposalItem.due.query('DUE', due_sk <= now) (no run function yet)"
        )
    else:
        section.say(
            f"measured: postdesk.use_cases.morning_run.{run.__name__} on moto, channel local, cap {DUE}"
        )
    results = [one_run(size, run) for size in SIZES]
    rows = [["stored proposals", "read calls", "by API", "items read", "outcome"]]
    for result in results:
        rows.append(
            [
                f"{result.stored:,}",
                str(result.call_count),
                summary(result.calls),
                str(result.items),
                result.outcome,
            ]
        )
    for line in table(rows):
        section.say(line)
    small, large = results
    if "Scan" in large.calls:
        section.exceed("the run scans the table")
    if (small.call_count, small.items) != (large.call_count, large.items):
        section.exceed(
            f"reads grow with the table: {small.call_count} calls/{small.items} items with {small.stored:,}, "
            f"{large.call_count} calls/{large.items} items with {large.stored:,}"
        )
    if run is None and small.items < DUE:
        raise MeasurementFailed(f"the due query found {small.items} of the {DUE} due proposals")
