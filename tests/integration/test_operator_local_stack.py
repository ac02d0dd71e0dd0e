"""The operator's verbs against `make run`'s stack, found by its state directory or its address, with
nothing set by hand: the stack runs in this process (its gateway, moto as a child), the verbs talk to
it as `postdesk` would from another terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
import responses
from aws_lambda_powertools.utilities import parameters

from postdesk_tools.cli import main
from postdesk_tools.local_stack.lambda_function import DEFAULT_HANDLER
from postdesk_tools.local_stack.stack import LocalStack
from tests.integration.local_stack_fixtures import call, clear_overrides
from tests.integration.review_steps import url_labelled

if TYPE_CHECKING:
    from pathlib import Path

DIRECTOR, DEPUTY1, DEPUTY2 = "director@example.org", "deputy1@example.org", "deputy2@example.org"
PROPOSER = "agent.dupont@example.org"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


@pytest.fixture(name="stack")
def stack_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    """`make run`'s stack with the real API function, in a state directory of the test's own."""
    clear_overrides(monkeypatch, tmp_path)
    monkeypatch.delenv("TABLE_NAME", raising=False)
    stack = LocalStack(state_dir=tmp_path / "state", port=0, aws_port=0, handler=DEFAULT_HANDLER, warm=False)
    with stack:
        yield stack


def postdesk(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`postdesk ARGV` as typed in a terminal: its exit code, what it printed, and its messages (the
    stack's handlers run in this process too: what they printed before is set aside)."""
    capsys.readouterr()
    code = main(list(argv))
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def outbox(stack: LocalStack) -> list[dict[str, Any]]:
    mails: list[dict[str, Any]] = call("GET", f"{stack.url}/_local/outbox.json").json()
    return mails


def link(stack: LocalStack, person: str, subject_has: str, label: str) -> str:
    """The link labelled `label` in the newest mail to `person` whose subject has `subject_has`."""
    mail = next(m for m in outbox(stack) if person in m["to"] and subject_has in m["subject"])
    return url_labelled(mail["text"], label, mail["subject"])


def press(url: str, fields: dict[str, str] | None = None) -> None:
    """Open the link's page (GET), as its reader does, then press its button (POST)."""
    opened = call("GET", url, headers={"Accept": "text/html"})
    assert opened.status == 200 and opened.text.count('<form method="post"') == 1, opened.text
    answer = call("POST", url, body=urlencode(fields or {}).encode(), headers=FORM)
    assert answer.status == 200, answer.text


def propose(stack: LocalStack, text: str, kind: str = "prevention") -> str:
    created = call(
        "POST",
        f"{stack.url}/proposals",
        body=json.dumps({"text": text, "kind": kind, "proposer_email": PROPOSER}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert created.status == 201, created.text
    proposal_id: str = created.json()["id"]
    press(link(stack, PROPOSER, "", "Confirmer"))
    return proposal_id


def approve(stack: LocalStack, approver: str = DIRECTOR) -> None:
    press(link(stack, approver, "À décider", "Approuver"))


def test_the_operator_sees_where_things_stand_on_the_local_stack(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given one proposal waiting for the approvers and one approved
    propose(stack, "Vols à la roulotte : ne laissez rien de visible.")
    approve(stack)
    waiting = propose(stack, "Le commissariat recrute !", kind="recruitment")

    # When the operator asks for the status, naming only the stack's state directory
    code, printed, _ = postdesk(capsys, "status", "--state-dir", str(stack.state_dir))

    # Then they see the counts per state, the next runs in the stack's time zone, and that all is well
    assert code == 0
    assert "PENDING" in printed and "APPROVED" in printed
    assert "Europe/Paris" in printed and "07:30" in printed and "08:00" in printed
    assert "Owed mail: none" in printed
    assert "Nothing needs a person." in printed

    # And a script reads the same as one JSON document
    code, printed, _ = postdesk(capsys, "status", "--url", stack.url, "--json")
    report = json.loads(printed)
    assert report["proposals"]["by_state"]["PENDING"] == 1
    assert report["proposals"]["by_state"]["APPROVED"] == 1
    assert report["due_now"] == 1
    assert report["approvers"] == [DIRECTOR, DEPUTY1, DEPUTY2]
    assert report["next_runs"]["morning run"]["next"][0].endswith(("T08:00:00+01:00", "T08:00:00+02:00"))
    assert report["needs_a_person"] == []

    # And the list, by state, names the waiting proposal only
    code, printed, _ = postdesk(capsys, "list", "--state", "pending", "--state-dir", str(stack.state_dir))
    assert code == 0 and waiting in printed and "Le commissariat recrute" in printed
    assert "Vols à la roulotte" not in printed


def test_the_operator_reads_one_proposal_its_votes_and_its_history(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a proposal with a text a browser would read as markup, approved by the director
    proposal_id = propose(stack, "Fermez à clé <b>toujours</b> & partout")
    approve(stack)

    # When the operator shows it
    code, printed, _ = postdesk(capsys, "show", proposal_id, "--state-dir", str(stack.state_dir))

    # Then its whole text is there as typed, the director's vote, and each step of its history
    assert code == 0
    assert "Fermez à clé <b>toujours</b> & partout" in printed
    assert f"Proposal {proposal_id}: APPROVED" in printed
    assert DIRECTOR in printed and "approve" in printed
    for step in ("submitted", "confirmed", "approved"):
        assert step in printed

    document = json.loads(postdesk(capsys, "show", proposal_id, "--json", "--url", stack.url)[1])
    assert [vote["approver"] for vote in document["votes"]] == [DIRECTOR]
    assert [entry["action"] for entry in document["history"]][:2] == ["submitted", "confirmed"]


def test_the_operator_publishes_by_hand_after_a_dry_run(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an approved proposal
    proposal_id = propose(stack, "Opération tranquillité vacances : inscrivez-vous.")
    approve(stack)

    # When the operator first asks what would go out
    code, printed, _ = postdesk(capsys, "publish", "--dry-run", "--state-dir", str(stack.state_dir))

    # Then they see it, and nothing was published
    assert code == 0
    assert "Would publish, in this order (1):" in printed and proposal_id in printed
    assert call("GET", f"{stack.url}/_local/timeline.json").json() == []

    # When they run the morning run
    code, printed, _ = postdesk(capsys, "publish", "--state-dir", str(stack.state_dir))

    # Then the post is on the stack's timeline and the proposal PUBLISHED
    assert code == 0 and f"published {proposal_id}:" in printed
    (post,) = call("GET", f"{stack.url}/_local/timeline.json").json()
    assert post["text"] == "Opération tranquillité vacances : inscrivez-vous."
    report = json.loads(postdesk(capsys, "status", "--json", "--state-dir", str(stack.state_dir))[1])
    assert report["proposals"]["by_state"]["PUBLISHED"] == 1


def test_the_operator_sends_the_digest_by_hand(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a proposal waiting for the approvers
    propose(stack, "Appel à la prudence sur les routes verglacées.")

    # When the operator sends the digest
    code, printed, _ = postdesk(capsys, "digest", "--state-dir", str(stack.state_dir))

    # Then each approver has it in their mailbox
    assert code == 0 and "Digest sent to" in printed
    for approver in (DIRECTOR, DEPUTY1, DEPUTY2):
        assert approver in printed
        assert any(approver in mail["to"] and "à publier" in mail["subject"] for mail in outbox(stack))


def test_a_stand_in_receives_the_review_mails_while_an_approver_is_away(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given deputy1 away from today for a week
    today = date.today()
    code, printed, _ = postdesk(
        capsys,
        "approvers",
        "stand-in",
        DEPUTY1,
        "interim@example.org",
        "--from",
        str(today),
        "--until",
        str(today + timedelta(days=7)),
        "--state-dir",
        str(stack.state_dir),
    )
    assert code == 0
    assert f"interim@example.org stands in for {DEPUTY1}" in printed
    assert "away: interim@example.org stands in" in printed
    parameters.clear_caches()  # a minute later: the functions' cache of the parameter has expired

    # When a colleague proposes a post
    proposal_id = propose(stack, "Journée portes ouvertes samedi.")

    # Then the stand-in is asked to decide, and the approver away is not
    asked = {m["to"][0] for m in outbox(stack) if "À décider" in m["subject"]}
    assert asked == {DIRECTOR, "interim@example.org", DEPUTY2}

    # And the stand-in's approval counts
    approve(stack, "interim@example.org")
    assert (
        json.loads(postdesk(capsys, "show", proposal_id, "--json", "--url", stack.url)[1])["status"]
        == "APPROVED"
    )

    # When deputy1 is back
    code, printed, _ = postdesk(capsys, "approvers", "back", DEPUTY1, "--json", "--url", stack.url)
    assert code == 0
    assert json.loads(printed)["in_effect_today"] == [DIRECTOR, DEPUTY1, DEPUTY2]


def test_the_approvers_change_without_a_deploy(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> None:
    code, printed, _ = postdesk(
        capsys, "approvers", "set", DIRECTOR, DEPUTY1, "Chef.Adjoint@Example.org", "--url", stack.url
    )

    assert code == 0 and "The approvers are now" in printed
    parameters.clear_caches()  # a minute later
    propose(stack, "Recrutement de réservistes.")
    asked = {m["to"][0] for m in outbox(stack) if "À décider" in m["subject"]}
    assert asked == {DIRECTOR, DEPUTY1, "chef.adjoint@example.org"}


def test_the_smoke_test_passes_on_the_local_stack(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed, _ = postdesk(capsys, "smoke", "--json", "--state-dir", str(stack.state_dir))

    report = json.loads(printed)
    results = {check["check"]: check["result"] for check in report["checks"]}
    assert code == 0 and report["ok"]
    assert results["the proposal form"] == "ok"
    assert results["a dry-run morning run"] == "ok"
    assert results["X credentials"] == "warning"  # the local stack publishes to its own timeline


def test_with_no_stack_running_the_operator_is_told_how_to_start_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TABLE_NAME", raising=False)

    code, _, problem = postdesk(capsys, "status", "--state-dir", str(tmp_path))

    assert code == 1 and "no local stack runs from" in problem and "make run" in problem


X_KEYS = "consumer_key=ck-7Qa\nconsumer_secret=cs-9Zx\naccess_token=123-at-4Rt\naccess_token_secret=ats-2Lm\n"


@responses.activate
def test_the_x_keys_are_tried_on_x_then_stored_with_the_accounts_id(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given the four keys in a file, and X answering for the account with read and write access
    keys = tmp_path / "x.env"
    keys.write_text(X_KEYS)
    responses.get(
        "https://api.x.com/2/users/me",
        json={"data": {"id": "1234", "username": "PoliceExemple"}},
        headers={"x-access-level": "read-write"},
    )

    # When the operator stores them
    code, printed, _ = postdesk(
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

    # Then the secret holds the four keys and the account's id, and nothing secret was printed
    assert code == 0 and "@PoliceExemple" in printed and "created in the secret postdesk/x" in printed
    assert not any(value in printed for value in ("ck-7Qa", "cs-9Zx", "123-at-4Rt", "ats-2Lm"))
    stored = json.loads(
        stack.aws.client("secretsmanager").get_secret_value(SecretId="postdesk/x")["SecretString"]
    )
    assert stored == {
        "consumer_key": "ck-7Qa",
        "consumer_secret": "cs-9Zx",
        "access_token": "123-at-4Rt",
        "access_token_secret": "ats-2Lm",
        "user_id": "1234",
        "username": "PoliceExemple",
    }
    authorization = responses.calls[0].request.headers["Authorization"]
    assert 'oauth_consumer_key="ck-7Qa"' in authorization and 'oauth_token="123-at-4Rt"' in authorization


def test_rotating_the_signing_key_keeps_the_links_in_flight_working(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a review link sent with the first key
    propose(stack, "Conseil : verrouillez votre vélo.")
    approve_link = link(stack, DIRECTOR, "À décider", "Approuver")

    # When the operator rotates the key
    code, printed, _ = postdesk(capsys, "rotate-signing-key", "--state-dir", str(stack.state_dir))

    # Then a new key exists, and the link sent before still acts
    assert code == 0 and "new signing key: k0002" in printed
    press(approve_link)
