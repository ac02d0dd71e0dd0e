"""A client that retries (after a 504, a dropped connection, a double click) makes one proposal, not two."""

from __future__ import annotations

import json

from postdesk.handlers.wiring import get_services
from tests.integration.conftest import Stack

PROPOSER = "agent.dupont@example.org"


def _proposal(**overrides: object) -> dict[str, object]:
    return {
        "text": "Fermez votre voiture à clé",
        "kind": "prevention",
        "proposer_email": PROPOSER,
        **overrides,
    }


def _post(stack: Stack, document: dict[str, object], key: str, header: str = "Idempotency-Key") -> object:
    return stack.request(
        "POST",
        "/proposals",
        body=json.dumps(document),
        headers={"Content-Type": "application/json", "Accept": "application/json", header: key},
    )


def _stored(stack: Stack) -> int:
    return len(list(get_services().store.all()))


def test_a_repeated_proposal_with_the_same_idempotency_key_answers_the_first_result_and_stores_nothing_new(
    stack: Stack,
) -> None:
    # Given a proposal sent with an Idempotency-Key
    first = _post(stack, _proposal(), "retry-7f3a")
    assert first.status == 201

    # When the client sends it again with the same key (whatever the header's case)
    again = _post(stack, _proposal(), "retry-7f3a", header="idempotency-key")

    # Then it gets the first answer, and there is still one proposal and one confirmation mail
    assert again.status == 201 and again.json() == first.json()
    assert _stored(stack) == 1
    assert len(stack.mails_to(PROPOSER)) == 1


def test_one_proposers_key_never_returns_another_proposers_result(stack: Stack) -> None:
    # Given a proposal by one colleague with a key
    mine = _post(stack, _proposal(), "same-key").json()
    # When another colleague uses the same key for their own proposal
    theirs = _post(stack, _proposal(proposer_email="agent.martin@example.org"), "same-key").json()
    # Then it is a proposal of its own
    assert theirs["id"] != mine["id"] and _stored(stack) == 2


def test_a_key_used_again_with_another_text_is_refused_and_changes_nothing(stack: Stack) -> None:
    # Given a proposal sent with a key
    _post(stack, _proposal(), "k-1")
    # When the same proposer sends another text with the same key
    other = _post(stack, _proposal(text="Un tout autre texte"), "k-1")
    # Then it is refused, naming the header, and nothing more is stored or mailed
    assert other.status == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _stored(stack) == 1 and len(stack.mails_to(PROPOSER)) == 1


def test_an_empty_or_unprintable_key_is_refused_with_the_header_named(stack: Stack) -> None:
    for key in (" ", "x" * 201):
        answer = _post(stack, _proposal(), key)
        assert answer.status == 422, key
        assert answer.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _stored(stack) == 0


def test_without_a_key_each_request_is_a_proposal(stack: Stack) -> None:
    stack.post_json("/proposals", _proposal())
    stack.post_json("/proposals", _proposal())
    assert _stored(stack) == 2
