"""Proposals by email. A received mail becomes a proposal awaiting its author's confirmation, or a
refusal with its reason; the confirmation page of such a proposal asks for what the mail could not say
and confirms it in the same write.

Every mail ends with an outcome recorded against its SES message id, the raw message staying in S3:
refusals for spam, viruses, automatic or unauthenticated mail are logged and get no reply; every other
refusal (a sender outside the allow-list, too many recipients, too large, unreadable, or a text the
web form would refuse) gets a reply listing each problem. What the proposer could not say in a mail
(the kind when no tag named it, a missing alt text, a witness appeal's prosecutor reference) does not
refuse it: the confirmation page asks for it, with the same rules, before the proposal goes on."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import TransactWriteError

from postdesk.domain.addresses import canonical_address, domain_of, is_allowed_proposer, is_well_formed
from postdesk.domain.kinds import Kind
from postdesk.domain.proposal import ImageUpload, Proposal, ProposalDraft
from postdesk.domain.states import Status
from postdesk.domain.validation import validate_proposal
from postdesk.errors import InvalidProposal, TooManyRequests
from postdesk.inbound_mail.authentication import judge
from postdesk.inbound_mail.message_ids import message_key, normalised_message_id
from postdesk.inbound_mail.problems import MailProblem
from postdesk.inbound_mail.reading import ReadMail, read_message
from postdesk.inbound_mail.ses_event import ReceivedMail
from postdesk.inbound_mail.subject_tags import bare_subject
from postdesk.mail import outbox
from postdesk.mail.refusal_replies import refusal_reply
from postdesk.observability import logger, metrics
from postdesk.store import inbound_records as records
from postdesk.store.inbound_records import ACCEPTED, REFUSED, EmailOrigin, KnownMessage, Outcome
from postdesk.store.proposals import owed_items
from postdesk.store.raw_mail import MB, RawMailMissing, RawMailTooLarge
from postdesk.use_cases.proposing import Completion, confirm_proposal, submit_proposal

if TYPE_CHECKING:
    from postdesk.domain.links import OpenedLink
    from postdesk.services import Services
    from postdesk.store.table import InboundMailItem

EMAIL_SOURCE = "email"
# Four images of 4 MB in all come to under 6 MB once base64-encoded: 10 MB leaves room for the text
# and an HTML copy, and keeps parsing within the function's memory (SES accepts up to 40 MB).
MAX_RAW_MAIL_BYTES = 10 * MB
# More is a mailing, not a proposal; the submission address may still be copied to a few colleagues.
MAX_RECIPIENTS = 50
# What the confirmation page asks for: missing from a mail, it does not refuse the mail.
ASKED_AT_CONFIRMATION = frozenset({"alt_missing", "reference_missing", "agreement_missing"})
_TO_BE_ASKED = "(asked at confirmation)"


@dataclass(frozen=True)
class _Received:
    services: Services
    mail: ReceivedMail
    sender: str
    raw_key: str
    now: datetime

    def record(self, outcome: Outcome, subject: str) -> InboundMailItem:
        return records.outcome_item(
            outcome,
            received_at=self.now,
            sender=self.sender,
            envelope_sender=self.mail.envelope_sender,
            subject=subject,
            raw_key=self.raw_key,
        )


def receive(services: Services, mail: ReceivedMail) -> Outcome:
    """Handle one mail SES received; a second delivery of it answers the first one's outcome, and the
    same message (its Message-ID and sender) delivered again under another SES id makes no second
    proposal."""
    earlier = records.recorded_outcome(mail.message_id)
    if earlier is not None:
        logger.info(
            "inbound mail delivered again: its outcome stands",
            extra={"message_id": mail.message_id, "outcome": earlier.outcome, "reason": earlier.reason},
        )
        return earlier
    settings = services.settings
    sender = mail.from_addresses[0] if len(mail.from_addresses) == 1 else ", ".join(mail.from_addresses)
    raw_mail = services.raw_mail
    received = _Received(services, mail, sender, raw_mail.key(mail.message_id), services.clock())

    silent = judge(mail)
    if silent is not None:
        return _refuse(received, silent.reason, mail.subject, detail=silent.detail)
    if not is_well_formed(sender) or not is_allowed_proposer(
        sender, settings.allowed_proposer_domains, settings.allowed_proposer_addresses
    ):
        domains = ", ".join("@" + domain for domain in settings.allowed_proposer_domains)
        problem = MailProblem.of("sender_not_allowed", domains=domains, sender=sender)
        return _refuse(received, "sender_not_allowed", mail.subject, [problem])
    if len(mail.header_recipients) > MAX_RECIPIENTS:
        problem = MailProblem.of("too_many_recipients", count=len(mail.header_recipients), max=MAX_RECIPIENTS)
        return _refuse(received, "too_many_recipients", mail.subject, [problem])
    message_id = normalised_message_id(mail.header("Message-ID"))
    identity = message_key(sender, message_id) if message_id is not None else None
    if identity is not None:
        known = records.known_message(identity)
        if known is not None:
            return _duplicate(received, known)

    try:
        raw = raw_mail.read(mail.message_id, MAX_RAW_MAIL_BYTES)
    except RawMailMissing:
        logger.error("the raw message is not where the receipt rule puts it", extra={"key": received.raw_key})
        return _refuse(received, "raw_missing", mail.subject, [MailProblem.of("unreadable")])
    except RawMailTooLarge as error:
        problem = MailProblem.of("too_large", size=math.ceil(error.size / MB), max=MAX_RAW_MAIL_BYTES // MB)
        return _refuse(received, "too_large", mail.subject, [problem])
    try:
        read = read_message(raw)
    except Exception:  # a message no rule foresaw: refused and kept, never an unhandled failure
        logger.exception("inbound mail could not be parsed", extra={"message_id": mail.message_id})
        return _refuse(received, "unreadable", mail.subject, [MailProblem.of("unreadable")])
    subject = read.subject or mail.subject
    if read.problems:
        return _refuse(received, read.problems[0].code, subject, read.problems, read.text)
    try:
        draft = _draft(services, read, sender)
    except InvalidProposal as error:
        problems = [MailProblem.from_field_error(field_error) for field_error in error.errors]
        return _refuse(received, "invalid", subject, problems, read.text)
    return _accept(received, draft, read, identity)


def _duplicate(received: _Received, known: KnownMessage) -> Outcome:
    """The same message made a proposal already: recorded, no second proposal, no reply."""
    detail = (
        f"the same message (Message-ID and sender) as SES message {known.ses_message_id}, "
        f"which made proposal {known.proposal_id}"
    )
    return _refuse(
        received, "duplicate_message", received.mail.subject, detail=detail, proposal_id=known.proposal_id
    )


def _draft(services: Services, read: ReadMail, sender: str) -> ProposalDraft:
    """The web form's validation; what the confirmation page will ask for is left empty, not refused."""
    settings = services.settings

    def validate(fields: Mapping[str, object], images: Sequence[ImageUpload]) -> ProposalDraft:
        return validate_proposal(
            fields,
            images,
            allowed_domains=settings.allowed_proposer_domains,
            allowed_addresses=settings.allowed_proposer_addresses,
            now=services.clock(),
            time_zone=settings.time_zone,
        )

    fields = {"text": read.text, "kind": (read.kind or Kind.OTHER).value, "proposer_email": sender}
    try:
        return validate(fields, read.images)
    except InvalidProposal as error:
        refused = [
            field_error for field_error in error.errors if field_error.code not in ASKED_AT_CONFIRMATION
        ]
        if refused:
            raise InvalidProposal(refused) from None
    # Only what the page asks for is missing: check everything else with stand-ins, then keep it empty.
    stand_ins = [replace(image, alt=image.alt or _TO_BE_ASKED) for image in read.images]
    draft = validate({**fields, "prosecutor_reference": _TO_BE_ASKED}, stand_ins)
    return replace(draft, images=tuple(read.images), prosecutor_reference=None)


def _accept(received: _Received, draft: ProposalDraft, read: ReadMail, identity: str | None) -> Outcome:
    """Make the proposal, with its mail's outcome (keyed on SES's id) and, when the mail has a
    Message-ID, its identity, in the proposal's own transaction. Beyond a flood limit the mail is
    refused without a reply (a reply would be one more mail to the mailbox the limit protects)."""
    services, mail = received.services, received.mail
    proposal_id = uuid.uuid4().hex
    outcome = Outcome(mail.message_id, ACCEPTED, "accepted", f"proposal {proposal_id}", proposal_id)
    origin = records.origin_item(
        proposal_id,
        message_id=mail.message_id,
        subject=read.subject,
        received_at=received.now,
        kind_from_subject=read.kind is not None,
        ignored_attachments=read.ignored_attachments,
    )
    extra = [received.record(outcome, read.subject), origin]
    if identity is not None:
        extra.append(
            records.message_id_item(
                identity, ses_message_id=mail.message_id, proposal_id=proposal_id, received_at=received.now
            )
        )
    try:
        submit_proposal(
            services,
            draft,
            source=EMAIL_SOURCE,
            language="fr",
            via=f"email {mail.message_id}",
            proposal_id=proposal_id,
            extra=extra,
        )
    except TooManyRequests as error:
        return _refuse(received, "too_many_proposals", read.subject or mail.subject, detail=error.message)
    except TransactWriteError:
        earlier = records.recorded_outcome(mail.message_id)
        if earlier is not None:
            return earlier  # delivered twice at once: the other delivery made the proposal
        known = records.known_message(identity) if identity is not None else None
        if known is None:
            raise
        return _duplicate(received, known)  # the same message under another SES id, at the same moment
    logger.info(
        "inbound mail accepted",
        extra={
            "message_id": mail.message_id,
            "proposal_id": proposal_id,
            "kind_tagged": read.kind is not None,
        },
    )
    metrics.add_metric(name="InboundMailAccepted", unit="Count", value=1)
    return outcome


def _refuse(
    received: _Received,
    reason: str,
    subject: str,
    problems: Sequence[MailProblem] = (),
    text: str = "",
    *,
    detail: str = "",
    proposal_id: str = "",
) -> Outcome:
    """Record the refusal, with the reply it owes when there are problems to tell the sender of."""
    services, mail = received.services, received.mail
    replying = bool(problems)
    detail = detail or "; ".join(problem.says("en") for problem in problems)
    outcome = Outcome(mail.message_id, REFUSED, reason, detail, proposal_id=proposal_id, replied=replying)
    replies = []
    if replying:
        replies.append(
            refusal_reply(
                services, to=received.sender, subject=bare_subject(subject), problems=problems, text=text
            )
        )
    owed = owed_items(replies, "", received.now)
    if not records.record_refusal(received.record(outcome, subject), owed):
        earlier = records.recorded_outcome(mail.message_id)
        assert earlier is not None
        return earlier
    logger.info(
        "inbound mail refused",
        extra={
            "message_id": mail.message_id,
            "reason": reason,
            "detail": detail,
            "sender_domain": domain_of(received.sender),
            "replied": replying,
        },
    )
    metrics.add_metric(name="InboundMailRefused", unit="Count", value=1)
    if owed:
        outbox.deliver(services, owed)
    return outcome


# -- the confirmation page of a proposal made by email -------------------------------------------------
# It asks for what a mail can't say (the kind when no tag named it, judicial risk, embargo, expiry,
# urgency, the prosecutor's agreement and reference for a call for witnesses, every missing alt text);
# its answers and the confirmation are one conditional write.

ASKED = (
    "kind",
    "judicial_risk",
    "urgent",
    "not_before",
    "expires_at",
    "prosecutor_agreement",
    "prosecutor_reference",
)


def complete(services: Services, proposal: Proposal, form: Mapping[str, str]) -> Completion:
    """The proposal with the page's answers, or InvalidProposal naming each field to fix.

    The images are read back so that they pass the same checks as an upload; the proposer's address
    was checked when the mail arrived, so a later change of the allow-list does not block them here."""
    settings = services.settings
    fields: dict[str, object] = {name: form[name] for name in ASKED if name in form}
    fields |= {"text": proposal.text, "proposer_email": proposal.proposer_email}
    images = [
        ImageUpload(
            data=services.media.read(image.key),
            content_type=image.content_type,
            alt=form.get(f"alt_{number}", image.alt),
            field=f"image_{number}",
            alt_field=f"alt_{number}",
        )
        for number, image in enumerate(proposal.images, start=1)
    ]
    draft = validate_proposal(
        fields,
        images,
        allowed_domains=settings.allowed_proposer_domains,
        allowed_addresses=[*settings.allowed_proposer_addresses, canonical_address(proposal.proposer_email)],
        now=services.clock(),
        time_zone=settings.time_zone,
        explicit_prosecutor_agreement=True,
    )
    stored = [
        replace(image, alt=upload.alt.strip())
        for image, upload in zip(proposal.images, draft.images, strict=True)
    ]
    completed = replace(
        proposal,
        kind=draft.kind,
        judicial_risk=draft.judicial_risk,
        urgent=draft.urgent,
        not_before=draft.not_before,
        expires_at=draft.expires_at,
        prosecutor_reference=draft.prosecutor_reference,
        images=stored,
        quorum=settings.quorum_for(draft.kind, draft.judicial_risk),
    )
    changes: dict[str, Any] = {
        "kind": draft.kind.value,
        "judicial_risk": draft.judicial_risk,
        "urgent": draft.urgent,
        "not_before": draft.not_before,
        "expires_at": draft.expires_at,
        "prosecutor_reference": draft.prosecutor_reference,
        "quorum": completed.quorum,
    }
    if stored:
        changes["images"] = stored
    return Completion(completed, changes)


def is_emailed(proposal: Proposal) -> bool:
    return proposal.source == EMAIL_SOURCE


def email_origin(services: Services, proposal: Proposal) -> EmailOrigin | None:
    """Where a proposal made by email came from (its subject, ignored attachments), for its page."""
    return records.email_origin(proposal.id)


def confirm(services: Services, opened: OpenedLink, form: Mapping[str, str]) -> Proposal:
    """Confirm a proposal made by email with what its page asked for: InvalidProposal naming each field
    to fix, or the proposal as confirmed. A proposal that can no longer be confirmed says why."""
    proposal = opened.proposal
    if proposal.status is not Status.AWAITING_CONFIRMATION or services.clock() > proposal.confirm_by:
        return confirm_proposal(services, opened)  # raises the reason it can't be confirmed
    return confirm_proposal(services, opened, complete(services, proposal, form))
