"""One mail, one proposal: the same raw message delivered again under another SES message id (resent
through SMTP, relayed twice) is recognised by its own Message-ID and sender, and makes nothing more."""

from __future__ import annotations

import pytest

from postdesk.handlers.wiring import get_services
from tests.integration.conftest import Stack
from tests.integration.inbound_steps import corpus, receive, recorded

DUPONT = "agent.dupont@example.org"
RAW = corpus("gmail_alternative_qp_utf8.eml")  # Message-ID: <CAF3p7Yx+...@mail.gmail.com>


def _emailed() -> int:
    return len([p for p in get_services().store.all() if p.source == "email"])


def test_the_same_message_resent_under_another_ses_id_makes_one_proposal(stack: Stack) -> None:
    # Given a colleague's mail that became a proposal
    first = receive(RAW)
    assert first["outcome"] == "accepted"

    # When the very same raw message arrives again, under a new SES message id (resent through SMTP)
    again = receive(RAW)

    # Then it makes no second proposal and no second confirmation mail, and its outcome says why
    assert again["messageId"] != first["messageId"]
    assert (again["outcome"], again["reason"]) == ("refused", "duplicate_message")
    assert again["proposalId"] == first["proposalId"] and again["replied"] is False
    assert _emailed() == 1
    assert len(stack.mails_to(DUPONT)) == 1
    assert recorded(again["messageId"])["reason"] == "duplicate_message"


@pytest.mark.parametrize(
    "spelling",
    [
        "<CAF3p7Yx+kq1Vw9uT2bS4=oR7mGf0c0x1zQh@MAIL.GMAIL.COM>",
        " <CAF3p7Yx+kq1Vw9uT2bS4=oR7mGf0c0x1zQh@mail.gmail.com> (resent)",
        "\r\n <CAF3p7Yx+kq1Vw9uT2bS4=oR7mGf0c0x1zQh@mail.gmail.com>",
    ],
)
def test_a_message_id_is_recognised_whatever_a_relay_did_to_its_spelling(stack: Stack, spelling: str) -> None:
    receive(RAW)
    rewritten = RAW.replace(b"<CAF3p7Yx+kq1Vw9uT2bS4=oR7mGf0c0x1zQh@mail.gmail.com>", spelling.encode(), 1)
    assert receive(rewritten)["reason"] == "duplicate_message"
    assert _emailed() == 1


def test_another_sender_with_the_same_message_id_is_another_message(stack: Stack) -> None:
    # Given a proposal by mail from one colleague
    receive(RAW)
    # When another colleague's mail carries the same Message-ID (a broken mail program, or a guess)
    other = RAW.replace(
        b"Agent Dupont <agent.dupont@example.org>", b"Agent Martin <agent.martin@example.org>"
    )
    other = other.replace(
        b"Return-Path: <agent.dupont@example.org>", b"Return-Path: <agent.martin@example.org>"
    )
    outcome = receive(other)
    # Then it is a proposal of its own: one person's message can't stand for another's
    assert outcome["outcome"] == "accepted"
    assert _emailed() == 2


def test_mails_without_a_message_id_are_never_taken_for_one_another(stack: Stack) -> None:
    bare = b"\n".join(line for line in RAW.split(b"\n") if not line.startswith(b"Message-ID:"))
    assert receive(bare)["outcome"] == "accepted"
    assert receive(bare)["outcome"] == "accepted"
    assert _emailed() == 2


def test_a_colleague_who_mails_beyond_the_limit_is_refused_without_a_reply(stack: Stack) -> None:
    # Given five proposals by mail from one colleague this hour, each a message of its own
    for n in range(5):
        raw = RAW.replace(b"<CAF3p7Yx", f"<n{n}-CAF3p7Yx".encode(), 1)
        assert receive(raw)["outcome"] == "accepted"
    # When a sixth arrives
    outcome = receive(RAW.replace(b"<CAF3p7Yx", b"<n6-CAF3p7Yx", 1))
    # Then it is refused, recorded, and answered by no mail (a reply would flood the same mailbox)
    assert (outcome["outcome"], outcome["reason"], outcome["replied"]) == (
        "refused",
        "too_many_proposals",
        False,
    )
    assert _emailed() == 5
    assert len(stack.mails_to(DUPONT)) == 5
