"""The JSON API beside the pages: a script acts through the same signed links, with the same rules."""

from __future__ import annotations

import json

from tests.integration.conftest import Stack
from tests.integration.review_steps import (
    DEPUTY1,
    DIRECTOR,
    PROPOSER,
    last_mail,
    pending_proposal,
    review_link,
)

JSON = {"Accept": "application/json", "Content-Type": "application/json"}


def test_a_script_reads_a_link_then_approves_through_it(stack: Stack) -> None:
    proposal_id = pending_proposal(stack, kind="solved_case")
    path, _ = stack.path_of(review_link(stack, DIRECTOR, "Approuver"))
    described = stack.request("GET", path, headers={"Accept": "application/json"})
    assert described.status == 200
    assert described.json()["action"] == "approve"
    assert described.json()["proposal"]["status"] == "PENDING"
    assert stack.proposal(proposal_id).approvals == frozenset()
    done = stack.request("POST", path, body="{}", headers=JSON)
    assert done.status == 200
    assert done.json()["proposal"]["approvals"] == [DIRECTOR]
    # The same link again: a JSON error with its status, never a page
    again = stack.request("POST", path, body="{}", headers=JSON)
    assert again.status == 409 and again.json()["error"] == "link_already_used"


def test_a_script_rejects_with_a_reason_and_a_missing_reason_names_the_field(stack: Stack) -> None:
    proposal_id = pending_proposal(stack)
    path, _ = stack.path_of(review_link(stack, DEPUTY1, "Rejeter"))
    missing = stack.request("POST", path, body="{}", headers=JSON)
    assert missing.status == 422
    assert missing.json()["errors"] == [{"field": "reason", "message": "is required"}]
    done = stack.request("POST", path, body=json.dumps({"reason": "Enquête en cours"}), headers=JSON)
    assert done.status == 200 and done.json()["proposal"]["status"] == "REJECTED"
    assert stack.proposal(proposal_id).status_reason == "Enquête en cours"
    assert "Enquête en cours" in last_mail(stack, PROPOSER, "rejetée").text


def test_a_forged_link_answers_a_script_in_json(stack: Stack) -> None:
    answer = stack.request("GET", "/l/not.a-token", headers={"Accept": "application/json"})
    assert answer.status == 403 and answer.json()["error"] == "invalid_link"
