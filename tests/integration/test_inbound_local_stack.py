"""Proposals by email on the local stack (`make run`): a mail client sends to the SMTP port on
127.0.0.1, or a script posts a raw message to /_local/inbound; either is handed on as SES would (the
raw message in the bucket, then SES's receiving event to the real inbound function)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pytest

from postdesk_tools.local_stack.lambda_function import DEFAULT_HANDLER
from postdesk_tools.local_stack.stack import LocalStack
from tests.integration.local_stack_fixtures import call, clear_overrides

if TYPE_CHECKING:
    from pathlib import Path

DUPONT = "agent.dupont@example.org"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


@pytest.fixture(name="mail_stack")
def mail_stack_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    """The local stack with the real API function and an SMTP port of its own."""
    clear_overrides(monkeypatch, tmp_path)
    stack = LocalStack(
        state_dir=tmp_path / "state", port=0, aws_port=0, smtp_port=0, handler=DEFAULT_HANDLER, warm=False
    )
    with stack:
        yield stack


def _mail(subject: str, text: str, headers: dict[str, str] | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Agent Dupont <{DUPONT}>"
    message["To"] = "propositions@example.org"
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    return message


def test_a_mail_sent_to_the_smtp_port_is_confirmed_through_the_outbox_and_goes_pending(
    mail_stack: LocalStack,
) -> None:
    # Given a colleague's mail client, When it sends a proposal to the local SMTP port
    assert mail_stack.inbound is not None and mail_stack.inbound.smtp_port
    with smtplib.SMTP("127.0.0.1", mail_stack.inbound.smtp_port, timeout=60) as smtp:
        refused = smtp.send_message(
            _mail("Vols à la roulotte", "Ne laissez rien de visible dans votre véhicule.")
        )
    assert refused == {}

    # Then the outbox holds the confirmation mail, whose link opens the page that asks for the kind
    outbox = call("GET", f"{mail_stack.url}/_local/outbox.json").json()
    confirmation = next(mail for mail in outbox if DUPONT in mail["to"])
    link = next(url for url in confirmation["links"] if "/l/" in url)
    page = call("GET", link, headers={"Accept": "text/html"})
    assert page.status == 200 and 'name="kind"' in page.text

    # When the author answers and confirms, Then the proposal is PENDING with the kind chosen
    done = call("POST", link, body=urlencode({"kind": "prevention"}).encode(), headers=FORM)
    assert done.status == 200, done.text
    (proposal,) = call("GET", f"{mail_stack.url}/_local/proposals.json").json()
    assert (proposal["status"], proposal["kind"]) == ("PENDING", "prevention")
    assert proposal["text"] == "Ne laissez rien de visible dans votre véhicule."
    inbound = call("GET", f"{mail_stack.url}/_local/inbound.json").json()
    assert [(item["outcome"], item["proposal_id"]) for item in inbound] == [("accepted", proposal["id"])]


def test_a_raw_message_posted_to_the_console_is_judged_by_the_verdicts_its_test_header_asks_for(
    mail_stack: LocalStack,
) -> None:
    # Given a test mail asking for SES's spam verdict to fail
    raw = _mail("[conseil] Test", "Un texte.", {"X-Postdesk-Test-Verdicts": "spam=FAIL"}).as_bytes()

    # When it is posted as a raw message
    answer = call(
        "POST", f"{mail_stack.url}/_local/inbound", body=raw, headers={"Content-Type": "message/rfc822"}
    )

    # Then it is refused as spam, with no reply, and its raw message is kept under the rule's prefix
    assert answer.status == 200
    (outcome,) = answer.json()["outcomes"]
    assert (outcome["outcome"], outcome["reason"], outcome["replied"]) == ("refused", "spam", False)
    kept = mail_stack.aws.client("s3").get_object(Bucket="postdesk-media", Key=answer.json()["key"])
    assert kept["Body"].read().endswith(raw)
    assert answer.json()["key"] == f"inbound-mail/{outcome['messageId']}"
    assert call("GET", f"{mail_stack.url}/_local/outbox.json").json() == []


def test_an_empty_post_to_the_console_is_a_clear_400(mail_stack: LocalStack) -> None:
    answer = call("POST", f"{mail_stack.url}/_local/inbound", body=b"")

    assert answer.status == 400
    assert "raw MIME message" in answer.json()["message"]
