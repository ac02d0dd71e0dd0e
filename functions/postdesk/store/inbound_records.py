"""What the table keeps of received mail: one outcome per SES message id, and, beside each proposal
made by email, where it came from.

The outcome is the idempotency key: it is written with a condition that it does not exist, in the same
transaction as what the mail caused (the proposal, or the reply owed to its sender). A mail delivered
twice finds its outcome and causes nothing more."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from postdesk.store.table import (
    EMAIL_ORIGIN_SK,
    INBOUND_SK,
    EmailOriginItem,
    InboundMailItem,
    MessageIdItem,
    OutboxItem,
    inbound_pk,
    proposal_pk,
)

ACCEPTED = "accepted"
REFUSED = "refused"


@dataclass(frozen=True)
class Outcome:
    """What became of one mail."""

    message_id: str
    outcome: str  # accepted | refused
    reason: str
    detail: str = ""
    proposal_id: str = ""
    replied: bool = False
    duplicate: bool = False  # this delivery found the outcome of an earlier one

    @property
    def accepted(self) -> bool:
        return self.outcome == ACCEPTED

    def as_json(self) -> dict[str, object]:
        return {
            "messageId": self.message_id,
            "outcome": self.outcome,
            "reason": self.reason,
            "detail": self.detail,
            "proposalId": self.proposal_id,
            "replied": self.replied,
            "duplicate": self.duplicate,
        }


@dataclass(frozen=True)
class EmailOrigin:
    message_id: str
    subject: str
    received_at: datetime
    kind_from_subject: bool
    ignored_attachments: tuple[str, ...]


def outcome_item(
    outcome: Outcome,
    *,
    received_at: datetime,
    sender: str,
    envelope_sender: str,
    subject: str,
    raw_key: str,
) -> InboundMailItem:
    return InboundMailItem(
        pk=inbound_pk(outcome.message_id),
        sk=INBOUND_SK,
        message_id=outcome.message_id,
        received_at=received_at,
        outcome=outcome.outcome,
        reason=outcome.reason,
        detail=outcome.detail[:2000],
        sender=sender[:320],
        envelope_sender=envelope_sender[:320],
        subject=subject[:500],
        raw_key=raw_key,
        proposal_id=outcome.proposal_id,
        replied=outcome.replied,
    )


def origin_item(
    proposal_id: str,
    *,
    message_id: str,
    subject: str,
    received_at: datetime,
    kind_from_subject: bool,
    ignored_attachments: Sequence[str],
) -> EmailOriginItem:
    return EmailOriginItem(
        pk=proposal_pk(proposal_id),
        sk=EMAIL_ORIGIN_SK,
        message_id=message_id,
        subject=subject[:500],
        received_at=received_at,
        kind_from_subject=kind_from_subject,
        ignored_attachments=list(ignored_attachments)[:20],
    )


def recorded_outcome(message_id: str) -> Outcome | None:
    try:
        item = InboundMailItem.get(inbound_pk(message_id), INBOUND_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return Outcome(
        message_id=item.message_id,
        outcome=item.outcome,
        reason=item.reason,
        detail=item.detail,
        proposal_id=item.proposal_id,
        replied=bool(item.replied),
        duplicate=True,
    )


def record_refusal(item: InboundMailItem, mails: Sequence[OutboxItem]) -> bool:
    """Store the refusal and the reply it owes together; False when this message id already has an
    outcome (a second delivery), and then nothing is stored."""
    try:
        with TransactWrite(connection=Connection(region=InboundMailItem.Meta.region)) as transaction:
            transaction.save(item, condition=InboundMailItem.pk.does_not_exist())
            for mail in mails:
                transaction.save(mail, condition=OutboxItem.pk.does_not_exist())
    except TransactWriteError:
        if recorded_outcome(item.message_id) is not None:
            return False
        raise
    return True


def email_origin(proposal_id: str) -> EmailOrigin | None:
    with contextlib.suppress(DoesNotExist):
        item = EmailOriginItem.get(proposal_pk(proposal_id), EMAIL_ORIGIN_SK, consistent_read=True)
        return EmailOrigin(
            message_id=item.message_id,
            subject=item.subject,
            received_at=item.received_at,
            kind_from_subject=bool(item.kind_from_subject),
            ignored_attachments=tuple(str(name) for name in item.ignored_attachments or ()),
        )
    return None


MESSAGE_ID_SK = "MESSAGE-ID"
# How long a message is recognised when delivered again: resends and relays come within days.
KEEP_MESSAGE_IDS = timedelta(days=90)


@dataclass(frozen=True)
class KnownMessage:
    """The proposal a message made, and the SES id of the delivery that made it."""

    ses_message_id: str
    proposal_id: str


def message_id_item(
    key: str, *, ses_message_id: str, proposal_id: str, received_at: datetime
) -> MessageIdItem:
    """The record of a message's own identity (`inbound_mail.message_ids.message_key`), written in the
    proposal's transaction on the condition that it does not exist."""
    return MessageIdItem(
        pk=f"MESSAGE-ID#{key}",
        sk=MESSAGE_ID_SK,
        ses_message_id=ses_message_id,
        proposal_id=proposal_id,
        received_at=received_at,
        ttl=int((received_at + KEEP_MESSAGE_IDS).timestamp()),
    )


def known_message(key: str) -> KnownMessage | None:
    try:
        item = MessageIdItem.get(f"MESSAGE-ID#{key}", MESSAGE_ID_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return KnownMessage(ses_message_id=item.ses_message_id, proposal_id=item.proposal_id)
