"""Around the morning run: urgent calls for witnesses, dry runs, the operator's command, the local
channel and its console pages, and what the run reads from DynamoDB."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from postdesk.handlers.wiring import get_services
from tests.integration.conftest import REGION, Stack
from tests.integration.fake_x import FakeX
from tests.integration.publishing_steps import (
    PNG,
    approved_proposal,
    run_publish,
    status_of,
    use_environment,
    x_fixture,  # noqa: F401 - a fixture
)
from tests.integration.review_steps import (
    DEPUTY1,
    DIRECTOR,
    PROPOSER,
    last_mail,
    pending_proposal,
    press,
    review_link,
)

WITNESS_APPEAL = {
    "text": "Appel à témoins : vol à l'arraché rue des Lilas hier vers 18 h. Contactez le 17.",
    "kind": "witness_appeal",
    "prosecutor_reference": "PR-2026-77",
    "urgent": True,
}


def test_an_urgent_call_for_witnesses_goes_out_as_soon_as_its_quorum_is_reached(
    stack: Stack, x: FakeX
) -> None:
    proposal_id = pending_proposal(stack, **WITNESS_APPEAL)
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    assert x.timeline == []  # one approval of the two it needs

    press(stack, review_link(stack, DEPUTY1, "Approuver"))

    assert status_of(stack, proposal_id) == "PUBLISHED"
    assert x.texts == [WITNESS_APPEAL["text"]]
    assert last_mail(stack, PROPOSER, "Publié")
    # The morning run that follows has nothing left to do
    stack.now += timedelta(hours=12)
    assert run_publish()["published"] == []
    assert len(x.timeline) == 1


def test_an_urgent_post_under_embargo_waits_for_the_morning_run(stack: Stack, x: FakeX) -> None:
    embargo = (stack.now + timedelta(hours=3)).isoformat()
    proposal_id = pending_proposal(stack, **WITNESS_APPEAL, not_before=embargo)
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    press(stack, review_link(stack, DEPUTY1, "Approuver"))

    assert status_of(stack, proposal_id) == "APPROVED" and x.timeline == []
    stack.now += timedelta(hours=4)
    run_publish()
    assert status_of(stack, proposal_id) == "PUBLISHED"


def test_in_aws_an_urgent_post_invokes_the_publish_function_asynchronously(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import postdesk.store.publish_function

    invocations: list[dict[str, Any]] = []

    class LambdaClient:
        def invoke(self, **request: Any) -> dict[str, Any]:
            invocations.append(request)
            return {"StatusCode": 202}

    monkeypatch.setenv("PUBLISH_FUNCTION_NAME", "postdesk-PublishFunction-abc")
    monkeypatch.setattr(postdesk.store.publish_function, "_lambda_client", LambdaClient)
    use_environment(stack)
    proposal_id = pending_proposal(stack, **WITNESS_APPEAL)
    press(stack, review_link(stack, DIRECTOR, "Approuver"))
    press(stack, review_link(stack, DEPUTY1, "Approuver"))

    assert invocations == [
        {
            "FunctionName": "postdesk-PublishFunction-abc",
            "InvocationType": "Event",
            "Payload": json.dumps({"proposal_id": proposal_id}).encode(),
        }
    ]
    assert status_of(stack, proposal_id) == "APPROVED"


def test_a_dry_run_lists_what_would_go_out_and_changes_nothing(stack: Stack, x: FakeX) -> None:
    ids = [approved_proposal(stack, f"Message {n}") for n in range(4)]

    report = run_publish({"dry_run": True})

    assert [entry["id"] for entry in report["would_publish"]] == ids[:3]
    assert report["deferred"] == [ids[3]]
    assert x.post_attempts == 0
    assert all(status_of(stack, proposal_id) == "APPROVED" for proposal_id in ids)
    assert stack.mails_to(PROPOSER) == []


def test_the_operator_command_publishes_now_or_shows_what_would_go_out(
    stack: Stack, x: FakeX, capsys: pytest.CaptureFixture[str]
) -> None:
    from postdesk_tools.cli import main

    proposal_id = approved_proposal(stack, "Depuis la ligne de commande")

    assert main(["publish", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "Would publish, in this order (1):" in printed
    assert proposal_id in printed and "Depuis la ligne de commande" in printed
    assert "Dry run: nothing was changed." in printed
    assert status_of(stack, proposal_id) == "APPROVED"

    assert main(["publish"]) == 0
    printed = capsys.readouterr().out
    assert f"published {proposal_id}: https://x.com/" in printed
    assert x.texts == ["Depuis la ligne de commande"]

    assert main(["publish"]) == 0
    assert "Nothing was due" in capsys.readouterr().out


def test_the_local_channel_keeps_a_timeline_that_the_console_shows(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from postdesk.handlers.publish import lambda_handler
    from postdesk_tools.local_stack.console import Console, ConsoleRequest
    from postdesk_tools.local_stack.lambda_function import FunctionSettings, LambdaContext
    from postdesk_tools.local_stack.publish_console import PUBLISH_FUNCTION, add_publish_console
    from postdesk_tools.local_stack.template_resources import load_template

    class PublishFunctionHere:
        """The publish function's real handler, run in this process, where the tests' moto is (the
        local stack runs it in environments of its own, see test_local_stack_races)."""

        settings = FunctionSettings.from_template(load_template(), PUBLISH_FUNCTION)

        def invoke(self, event: dict[str, Any]) -> Any:
            return lambda_handler(event, LambdaContext(self.settings))

    timeline = tmp_path / "timeline.jsonl"
    monkeypatch.setenv("CHANNEL", "local")
    monkeypatch.setenv("LOCAL_TIMELINE_PATH", str(timeline))
    monkeypatch.setenv("PUBLISH_SPACING_SECONDS", "0")
    use_environment(stack)
    console = Console()
    add_publish_console(
        console, function=PublishFunctionHere(), environment={"LOCAL_TIMELINE_PATH": str(timeline)}
    )

    def call(method: str, path: str, accept: str = "application/json") -> Any:
        return console.handle(ConsoleRequest(method, path, {}, {"accept": accept}))

    first = approved_proposal(
        stack, "Prévention <vols> & cambriolages", images=((PNG, "image/png", "Une porte"),)
    )
    second = approved_proposal(stack, "Recrutement")

    # When a person asks the console for a morning run
    answer = call("POST", "/_local/publish")
    report = json.loads(answer.body)

    # Then both posts are on the local timeline, newest first, with their images
    assert answer.status == 200 and [entry["id"] for entry in report["published"]] == [first, second]
    posts = json.loads(call("GET", "/_local/timeline.json").body)
    assert [post["text"] for post in posts] == ["Recrutement", "Prévention <vols> & cambriolages"]
    assert set(posts[0]) == {"id", "text", "url", "images", "published_at"}
    assert posts[1]["images"][0]["alt"] == "Une porte"
    assert stack.proposal(first).post_url == posts[1]["url"]
    page = call("GET", "/_local/timeline").body.decode()
    assert "Prévention &lt;vols&gt; &amp; cambriolages" in page
    assert 'alt="Une porte"' in page and "data:image/png;base64," in page

    # And a browser's second press is a new run, which finds nothing due, and lands on the timeline
    again = call("POST", "/_local/publish", accept="text/html")
    assert again.status == 303 and again.headers["Location"] == "/_local/timeline"
    assert len(json.loads(call("GET", "/_local/timeline.json").body)) == 2
    assert status_of(stack, second) == "PUBLISHED"


# -- what the run reads -------------------------------------------------------------------------------
READS = ("GetItem", "BatchGetItem", "Query", "Scan")


class ReadCounter:
    """Every DynamoDB read the store makes, and how many items each returned."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from pynamodb.connection.base import Connection

        original = Connection._make_api_call

        def counting(connection: Connection, operation: str, arguments: dict[str, Any]) -> Any:
            answer = original(connection, operation, arguments)
            if operation in READS:
                items = len(answer.get("Items", [])) if "Items" in answer else int("Item" in answer)
                key = str(arguments.get("IndexName") or arguments.get("KeyConditionExpression", ""))[:40]
                self.calls.append((operation, key, items))
            return answer

        monkeypatch.setattr(Connection, "_make_api_call", counting)


def _store_pending_proposals(stack: Stack, count: int) -> None:
    """`count` proposals still in review (not due): what a busy table holds beside today's posts."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = get_services().settings.table_name
    now = stack.now.isoformat()
    items = [
        {
            "PutRequest": {
                "Item": {
                    "pk": {"S": f"PROPOSAL#pending{n:06d}"},
                    "sk": {"S": "PROPOSAL"},
                    "id": {"S": f"pending{n:06d}"},
                    "status": {"S": "PENDING"},
                    "version": {"N": "1"},
                    "kind": {"S": "prevention"},
                    "text": {"S": f"En attente {n}"},
                    "proposer_email": {"S": PROPOSER},
                    "created_at": {"S": now},
                    "updated_at": {"S": now},
                    "confirm_by": {"S": now},
                    "quorum": {"N": "1"},
                    "open_pk": {"S": "OPEN"},
                    "open_sk": {"S": f"{now}#pending{n:06d}"},
                }
            }
        }
        for n in range(count)
    ]
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(RequestItems={table: items[start : start + 25]})


@pytest.mark.parametrize("stored", [10, 1000])
def test_the_run_reads_only_what_is_due_whatever_the_table_holds(
    stack: Stack, x: FakeX, monkeypatch: pytest.MonkeyPatch, stored: int
) -> None:
    _store_pending_proposals(stack, stored)
    approved_proposal(stack, "Le seul message du jour")
    counter = ReadCounter()
    counter.install(monkeypatch)

    run_publish()

    assert x.texts == ["Le seul message du jour"]
    operations = [operation for operation, _, _ in counter.calls]
    # Three queries (owed mail, due posts, stale claims on the sparse index), no scan, one item read;
    # and, as something is to be posted, what stops publishing now (X's rate limit...): one query
    assert operations == ["Query", "Query", "Query", "Query"]
    assert sum(items for operation, _, items in counter.calls if operation == "Query") == 1
    assert [key for _, key, _ in counter.calls][1:3] == ["due", "due"]
