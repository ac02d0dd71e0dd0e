"""DynamoDB round trips per operation, counted at the botocore level while the API handler serves a
proposal's life on moto: submit, the confirmation page, confirm, an approval's page, two approvals."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from benchmarks.moto_stack import (
    APPROVERS,
    READ_OPERATIONS,
    Answer,
    AwsCalls,
    SentMail,
    call_api,
    describe,
    moto_stack,
    open_link,
    press_link,
    recording_aws_calls,
    sent_mails,
    summary,
)
from benchmarks.report import MeasurementFailed, Section, table

PROPOSER = "agent.dupont@example.org"
REVIEW_SUBJECT = "À décider"

# The least each operation's rule needs: a page reads the proposal once; a change is one conditional
# transaction (the state, the link's one use, the audit line and the mails it owes, together) after
# that read; each mail handed to SES is then struck off the owed list (one delete per mail, so that a
# crash halfway sends again only what was not sent).
RULES = {
    "submit (POST /proposals)": (
        0,
        2,
        "the flood limits' counters (one transaction, before anything is stored or put in S3), then one "
        "transaction: proposal + audit line + owed mail",
    ),
    "confirmation page (GET)": (1, 0, "one read of the proposal"),
    "confirm (POST)": (1, 1, "read, one transaction"),
    "approval page (GET)": (
        2,
        0,
        "one read of the proposal, one of the link's use (a used link says so when opened, not when pressed; "
        "a TransactGetItems would make it one round trip, but DynamoDB cancels it when it meets the votes' "
        "transactions on the same items)",
    ),
    "approval 1 of 2 (POST)": (1, 1, "read, one transaction (vote + link use + count + audit)"),
    "approval 2 of 2 (POST)": (
        2,
        1,
        "read, one transaction that also approves, one read of the sparse due index to name the run that "
        "will publish it (the cap shares each run among the approved posts)",
    ),
}


@dataclass
class Operation:
    name: str
    dynamodb: Counter[str]
    mails: list[SentMail]
    calls: list[str]

    @property
    def reads(self) -> int:
        return sum(count for name, count in self.dynamodb.items() if name in READ_OPERATIONS)

    @property
    def total(self) -> int:
        return sum(self.dynamodb.values())

    @property
    def minimum(self) -> int:
        reads, writes, _ = RULES[self.name]
        return reads + writes + len(self.mails)


def _step(calls: AwsCalls, name: str, answer: Answer, expected: int) -> Operation:
    if answer.status != expected:
        raise MeasurementFailed(f"{name} answered {answer.status}, not {expected}: {answer.body[:200]}")
    described = [describe(call) for call in calls.of("dynamodb")]
    operation = Operation(name, calls.by_operation("dynamodb"), sent_mails(calls), described)
    calls.clear()
    return operation


def _mail(mails: list[SentMail], to: str, subject_has: str = "") -> SentMail:
    for mail in reversed(mails):
        if to in mail.to and subject_has in mail.subject:
            return mail
    raise MeasurementFailed(f"no mail to {to} with {subject_has!r} in its subject")


def proposal_life() -> list[Operation]:
    director, deputy = APPROVERS[0], APPROVERS[1]
    with moto_stack(), recording_aws_calls() as calls:
        call_api("GET", "/proposals/new")  # the first request builds the adapters; not counted
        calls.clear()
        document = {
            "text": "Affaire résolue : merci aux témoins.",
            "kind": "solved_case",
            "proposer_email": PROPOSER,
        }
        created = call_api(
            "POST",
            "/proposals",
            body=json.dumps(document),
            content_type="application/json",
            accept="application/json",
        )
        submit = _step(calls, "submit (POST /proposals)", created, 201)
        confirm_link = _mail(submit.mails, PROPOSER).link("Confirmer")
        page = _step(calls, "confirmation page (GET)", open_link(confirm_link), 200)
        confirm = _step(calls, "confirm (POST)", press_link(confirm_link), 200)
        first_link = _mail(confirm.mails, director, REVIEW_SUBJECT).link("Approuver")
        second_link = _mail(confirm.mails, deputy, REVIEW_SUBJECT).link("Approuver")
        approval_page = _step(calls, "approval page (GET)", open_link(first_link), 200)
        first = _step(calls, "approval 1 of 2 (POST)", press_link(first_link), 200)
        second = _step(calls, "approval 2 of 2 (POST)", press_link(second_link), 200)
    return [submit, page, confirm, approval_page, first, second]


def measure(section: Section) -> None:
    operations = proposal_life()
    rows = [["operation", "DynamoDB calls by API", "total", "rule's least", "mails sent"]]
    for operation in operations:
        rows.append(
            [
                operation.name,
                summary(operation.dynamodb),
                str(operation.total),
                str(operation.minimum),
                str(len(operation.mails)),
            ]
        )
        if operation.total > operation.minimum:
            section.exceed(f"{operation.name}: {operation.total} calls, the rule needs {operation.minimum}")
    for line in table(rows):
        section.say(line)
    for operation in operations:
        if operation.total > operation.minimum:
            section.say(f"{operation.name}, in order: {', '.join(operation.calls)}")
    section.say(
        "rule's least = reads + writes of the rule (below) + one DeleteItem per mail sent (owed mail)"
    )
    for name, (_, _, rule) in RULES.items():
        section.say(f"  {name}: {rule}")
