"""The races of a busy morning, on the local stack with the real functions: each request runs in an
execution environment of its own (a process), at the same time as the others, on moto with postdesk's
DynamoDB layer, as `make run` runs them. Votes all count, once; runs at once publish each post once."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from postdesk_tools.local_stack.stack import LocalStack
from tests.integration.local_stack_fixtures import NO_FLOOD_LIMITS, Reply, call, clear_overrides
from tests.integration.review_steps import url_labelled

if TYPE_CHECKING:
    from collections.abc import Iterator

APPROVERS = ("director@example.org", "deputy1@example.org", "deputy2@example.org")
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


@pytest.fixture(name="product_stack", scope="module")
def product_stack_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The local stack with the template's own functions, four environments each."""
    state_dir = tmp_path_factory.mktemp("races")
    with pytest.MonkeyPatch.context() as monkeypatch:
        clear_overrides(monkeypatch, state_dir)
        for name, value in NO_FLOOD_LIMITS.items():
            monkeypatch.setenv(name, value)
        with LocalStack(state_dir=state_dir, port=0, aws_port=0, warm=False, concurrency=4) as stack:
            yield stack


def _at_once(*requests: tuple[str, str, bytes, dict[str, str]]) -> list[Reply]:
    replies: dict[int, Reply] = {}
    barrier = threading.Barrier(len(requests))

    def send(number: int, method: str, url: str, body: bytes, headers: dict[str, str]) -> None:
        barrier.wait()
        replies[number] = call(method, url, body=body, headers=headers)

    threads = [threading.Thread(target=send, args=(n, *request)) for n, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [replies[number] for number in range(len(requests))]


def _mails(stack: LocalStack, to: str, subject_has: str) -> list[dict[str, Any]]:
    mails = call("GET", f"{stack.url}/_local/outbox.json?to={to}&limit=500").json()
    return [mail for mail in mails if subject_has.lower() in mail["subject"].lower()]


def _link(mail: dict[str, Any], label: str) -> str:
    return url_labelled(mail["text"], label, mail["subject"])


def _press(url: str) -> Reply:
    return call("POST", url, body=b"", headers=FORM)


def _proposal(stack: LocalStack, proposal_id: str) -> dict[str, Any]:
    listing = call("GET", f"{stack.url}/_local/proposals.json?limit=500").json()
    return next(proposal for proposal in listing if proposal["id"] == proposal_id)


def _pending(stack: LocalStack, text: str, proposer: str, kind: str) -> str:
    created = call(
        "POST",
        f"{stack.url}/proposals",
        body=json.dumps({"text": text, "kind": kind, "proposer_email": proposer}).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    assert created.status == 201, created.text
    (confirmation,) = [mail for mail in _mails(stack, proposer, "Confirmez") if text in mail["text"]]
    assert _press(_link(confirmation, "Confirmer")).status == 200
    return str(created.json()["id"])


def _review_link(stack: LocalStack, approver: str, text: str, label: str) -> str:
    (review,) = [mail for mail in _mails(stack, approver, "À décider") if text in mail["text"]]
    return _link(review, label)


def test_three_approvers_pressing_at_once_all_count_and_one_of_them_approves(
    product_stack: LocalStack,
) -> None:
    # Given a solved case (two approvals needed) waiting for the three approvers
    text = "Affaire résolue : l'auteur des vols de vélos a été interpellé."
    proposer = "agent.roux@example.org"
    proposal_id = _pending(product_stack, text, proposer, "solved_case")
    links = [_review_link(product_stack, approver, text, "Approuver") for approver in APPROVERS]

    # When the three press Approve at the same moment
    answers = _at_once(*[("POST", link, b"", FORM) for link in links])

    # Then every vote counts, the proposal is approved once, and its proposer told once
    assert [answer.status for answer in answers] == [200, 200, 200]
    proposal = _proposal(product_stack, proposal_id)
    assert proposal["status"] == "APPROVED"
    assert sorted(vote["approver"] for vote in proposal["votes"]) == sorted(APPROVERS)
    assert len(_mails(product_stack, proposer, "approuvée")) == 1


def test_five_morning_runs_at_once_publish_each_post_once_however_many_mornings_it_takes(
    product_stack: LocalStack,
) -> None:
    # Given six approved posts
    proposer = "agent.faure@example.org"
    texts = [f"Conseil n°{number} : verrouillez votre voiture." for number in range(6)]
    ids = []
    for text in texts:
        ids.append(_pending(product_stack, text, proposer, "advice"))
        assert _press(_review_link(product_stack, "director@example.org", text, "Approuver")).status == 200

    # When five morning runs start at the same moment, morning after morning, until nothing is due
    publish = ("POST", f"{product_stack.url}/_local/publish", b"", {"Accept": "application/json"})
    published: Counter[str] = Counter()
    for _ in range(10):
        answers = _at_once(*[publish] * 5)
        assert [answer.status for answer in answers] == [200] * 5
        this_morning = [entry["id"] for answer in answers for entry in answer.json()["published"]]
        if not this_morning:
            break
        published.update(this_morning)

    # Then each post went out exactly once, and none is left claimed
    assert set(ids) <= set(published) and set(published.values()) == {1}
    timeline = call("GET", f"{product_stack.url}/_local/timeline.json").json()
    assert set(Counter(post["text"] for post in timeline).values()) == {1}
    assert {post["text"] for post in timeline} >= set(texts)
    stored = [_proposal(product_stack, proposal_id) for proposal_id in ids]
    assert {proposal["status"] for proposal in stored} == {"PUBLISHED"}
    timeline_urls = {post["text"]: post["url"] for post in timeline}
    assert [proposal["post_url"] for proposal in stored] == [timeline_urls[text] for text in texts]
