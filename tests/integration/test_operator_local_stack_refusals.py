"""The operator's verbs that are refused, or only read, on `make run`'s stack: nothing they do changes
the stack, so the tests of this module share one (each of the other operator's tests has its own, in
test_operator_local_stack.py, for what it changes and counts). Each test still checks that what it was
refused left nothing behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import responses

from postdesk_tools.local_stack.lambda_function import DEFAULT_HANDLER
from postdesk_tools.local_stack.stack import LocalStack
from tests.integration.local_stack_fixtures import clear_overrides
from tests.integration.test_operator_local_stack import DEPUTY1, DEPUTY2, DIRECTOR, postdesk

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(name="stack", scope="module")
def stack_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """`make run`'s stack with the real API function, for this module's tests only."""
    state_dir = tmp_path_factory.mktemp("operator-refusals")
    with pytest.MonkeyPatch.context() as monkeypatch:
        clear_overrides(monkeypatch, state_dir)
        monkeypatch.delenv("TABLE_NAME", raising=False)
        stack = LocalStack(
            state_dir=state_dir / "state", port=0, aws_port=0, handler=DEFAULT_HANDLER, warm=False
        )
        with stack:
            yield stack


def test_showing_a_proposal_that_does_not_exist_says_so(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed, problem = postdesk(capsys, "show", "nope", "--state-dir", str(stack.state_dir))

    assert code == 1 and printed == ""
    assert "there is no proposal nope" in problem


def test_listing_an_unknown_state_names_the_states(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, problem = postdesk(capsys, "list", "--state", "lost", "--state-dir", str(stack.state_dir))

    assert code == 2 and "'lost' is not a state" in problem and "NEEDS_RECONCILE" in problem


def test_approvers_who_could_never_reach_the_quorum_are_refused_and_nothing_changes(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, problem = postdesk(
        capsys, "approvers", "set", DIRECTOR, DEPUTY1, "--state-dir", str(stack.state_dir)
    )

    assert code == 2 and "nothing changed: 2 approvers cannot reach a quorum of 2" in problem
    shown = json.loads(postdesk(capsys, "approvers", "--json", "--state-dir", str(stack.state_dir))[1])
    assert shown["approvers"] == [DIRECTOR, DEPUTY1, DEPUTY2]


@responses.activate
def test_a_token_generated_before_write_permission_is_refused_with_what_to_do(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    keys = tmp_path / "x.json"
    keys.write_text(
        json.dumps(
            {"API Key": "ck", "API Key Secret": "cs", "Access Token": "1-at", "Access Token Secret": "s"}
        )
    )
    responses.get(
        "https://api.x.com/2/users/me",
        json={"data": {"id": "1", "username": "u"}},
        headers={"x-access-level": "read"},
    )

    code, _, problem = postdesk(
        capsys,
        "secrets",
        "set-x-credentials",
        "--from-file",
        str(keys),
        "--secret-name",
        "postdesk/x",
        "--state-dir",
        str(stack.state_dir),
    )

    assert code == 1
    assert "Read and write" in problem and "regenerate the Access Token and Secret" in problem
    assert "nothing was stored" in problem
    names = [s["Name"] for s in stack.aws.client("secretsmanager").list_secrets()["SecretList"]]
    assert "postdesk/x" not in names


def test_a_stack_that_names_no_x_secret_says_how_to_name_one(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, problem = postdesk(capsys, "secrets", "set-x-credentials", "--state-dir", str(stack.state_dir))

    assert code == 2 and "XCredentialsSecretName" in problem
