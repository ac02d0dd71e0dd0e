"""However the local stack stops (Ctrl-C and SIGTERM reach its whole process group; `kill -9` too),
nothing that was answered is lost, and the next start replays a bounded tail, not history; a replay
hands every race to the writer that won it before the crash."""

from __future__ import annotations

import json
import os
import signal
import threading
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from postdesk_tools.local_stack.aws import RECORDING_FILE
from postdesk_tools.local_stack.moto_process import SNAPSHOT_FILE
from tests.integration.local_stack_fixtures import (  # noqa: F401 - fixtures are found by name
    call,
    postdesk_local_fixture,
    start_local_stack_fixture,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.integration.local_stack_fixtures import RunningLocal, StartStack

PROPOSER = "agent.martin@example.org"


def _propose(url: str, count: int) -> list[str]:
    """`count` proposals through the JSON API; the ids of those answered 201."""
    ids = []
    for number in range(count):
        answer = call(
            "POST",
            f"{url}/proposals",
            body=json.dumps(
                {
                    "text": f"Prévention n°{number} : fermez à clé.",
                    "kind": "prevention",
                    "proposer_email": PROPOSER,
                }
            ).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        assert answer.status == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def _stored_ids(url: str) -> set[str]:
    listing = call("GET", f"{url}/_local/proposals.json?limit=500")
    assert listing.status == 200
    return {proposal["id"] for proposal in listing.json()}


def _mails_to(url: str, address: str) -> int:
    return int(call("GET", f"{url}/_local/outbox.json?to={address}&limit=1").headers["X-Total-Count"])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stop_signal_to_the_whole_group_stops_cleanly_and_the_next_start_replays_nothing(
    postdesk_local: Callable[..., RunningLocal], tmp_path: Path, signum: int
) -> None:
    # Given a running stack that accepted proposals
    state = tmp_path / "state"
    first = postdesk_local(state)
    accepted = _propose(first.url, 5)

    # When a service manager (SIGTERM) or a terminal (Ctrl-C) signals its whole process group
    first.signal_group(signum)

    # Then every process of the stack stops, the stack itself cleanly
    assert first.process.wait(timeout=120) == 0
    assert first.group_is_gone()
    # and the next start is the snapshot of that stop, with nothing to replay and nothing lost
    second = postdesk_local(state)
    assert second.restored == (True, 0)
    assert _stored_ids(second.url) == set(accepted)
    assert _mails_to(second.url, PROPOSER) == len(accepted)


def test_kill_9_of_the_whole_group_loses_nothing_answered_and_replays_only_since_the_last_snapshot(
    postdesk_local: Callable[..., RunningLocal], tmp_path: Path
) -> None:
    # Given a stack that takes a snapshot every 20 recorded writes, and accepted proposals
    state = tmp_path / "state"
    first = postdesk_local(state, {"POSTDESK_LOCAL_SNAPSHOT_EVERY": "20"})
    accepted = _propose(first.url, 12)
    recorded = sum(1 for line in (state / RECORDING_FILE).read_bytes().splitlines() if line.strip())

    # When every process of the stack is killed without warning
    first.signal_group(signal.SIGKILL)
    first.process.wait(timeout=60)
    assert first.group_is_gone()

    # Then the next start restores a snapshot taken as it ran, and replays only what came after it
    second = postdesk_local(state)
    from_snapshot, replayed = second.restored
    assert from_snapshot
    assert replayed < recorded
    # and every proposal that was answered 201 is there, with its confirmation mail
    assert _stored_ids(second.url) == set(accepted)
    assert _mails_to(second.url, PROPOSER) == len(accepted)


def test_when_the_stacks_own_process_is_killed_its_moto_and_environments_stop_and_nothing_is_lost(
    postdesk_local: Callable[..., RunningLocal], tmp_path: Path
) -> None:
    # Given a running stack, warm, that accepted proposals
    state = tmp_path / "state"
    first = postdesk_local(state)
    accepted = _propose(first.url, 3)

    # When only its own process is killed without warning
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=60)

    # Then no process of the stack is left behind (moto stops with a snapshot, the environments end)
    assert first.group_is_gone()
    second = postdesk_local(state)
    assert second.restored == (True, 0)
    assert _stored_ids(second.url) == set(accepted)


def test_after_a_crash_the_writes_of_racing_clients_are_replayed_in_the_order_they_were_applied(
    start_local_stack: StartStack, tmp_path: Path
) -> None:
    # Given clients writing to the same item at the same moments, each appending its name to a list,
    # and others racing to create items only where nobody did yet
    state = tmp_path / "races"
    stack = start_local_stack(state_dir=state)
    table = stack.environment["TABLE_NAME"]
    key = {"pk": {"S": "RACES"}, "sk": {"S": "HISTORY"}}
    rounds, writers = 60, 6
    barrier = threading.Barrier(writers)
    winners: dict[int, str] = {}

    def write(writer: str) -> None:
        dynamodb = stack.aws.client("dynamodb")
        for number in range(rounds):
            barrier.wait()  # every writer goes for the same item at the same moment
            dynamodb.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET history = list_append(if_not_exists(history, :empty), :me)",
                ExpressionAttributeValues={":empty": {"L": []}, ":me": {"L": [{"S": f"{writer}/{number}"}]}},
            )
            try:
                dynamodb.put_item(
                    TableName=table,
                    Item={"pk": {"S": f"RACE#{number}"}, "sk": {"S": "RACE"}, "writer": {"S": writer}},
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
            else:
                winners[number] = writer

    threads = [threading.Thread(target=write, args=(f"writer-{n}",)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = stack.aws.client("dynamodb").get_item(TableName=table, Key=key)["Item"]["history"]
    assert len(history["L"]) == rounds * writers and len(winners) == rounds

    # When moto is killed without warning and its state is rebuilt from the recording alone
    assert stack.aws.pid is not None
    os.kill(stack.aws.pid, signal.SIGKILL)
    stack.stop()
    (state / SNAPSHOT_FILE).unlink(missing_ok=True)
    again = start_local_stack(state_dir=state)

    # Then the writes were replayed in the order moto applied them: the same list, the same winners
    assert again.aws.replay["snapshot"] == 0
    dynamodb = again.aws.client("dynamodb")
    assert dynamodb.get_item(TableName=table, Key=key)["Item"]["history"] == history
    items: list[dict[str, Any]] = dynamodb.scan(
        TableName=table, FilterExpression="sk = :race", ExpressionAttributeValues={":race": {"S": "RACE"}}
    )["Items"]
    assert {int(item["pk"]["S"].split("#")[1]): item["writer"]["S"] for item in items} == winners
