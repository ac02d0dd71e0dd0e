"""Proposals in DynamoDB: every change of state is a conditional write on the state it expects.

Two people acting at the same moment can't both win: the loser's condition fails and it is told what
the proposal became. A link's use, the change it makes and its audit line are one transaction."""

from __future__ import annotations

import contextlib
import itertools
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from postdesk.domain.kinds import Kind
from postdesk.domain.mail import Mail
from postdesk.domain.proposal import AuditEntry, Proposal, StoredImage
from postdesk.domain.review_rules import OPEN_FOR_REVIEW, check_current_version, due_at, quorum_reached
from postdesk.domain.states import FINAL_STATES, Status, check_transition
from postdesk.errors import Conflict, LinkAlreadyUsed, NotFound
from postdesk.store.table import (
    ALERT_PK,
    CHECK_PREFIX,
    CLAIMED_PK,
    DUE_PK,
    OPEN_PK,
    OUTBOX_PK,
    PROPOSAL_SK,
    PUBLISHED_PK,
    AlertItem,
    AuditItem,
    FormUseItem,
    ImageAttribute,
    LinkUseItem,
    OutboxItem,
    ProposalItem,
    RunItem,
    VersionItem,
    VoteItem,
    bind_table,
    proposal_pk,
    vote_sk,
)


@dataclass(frozen=True)
class LinkUse:
    link_id: str
    actor: str
    action: str


def _to_item(proposal: Proposal) -> ProposalItem:
    return ProposalItem(
        pk=proposal_pk(proposal.id),
        sk=PROPOSAL_SK,
        id=proposal.id,
        status=proposal.status.value,
        version=proposal.version,
        kind=proposal.kind.value,
        text=proposal.text,
        proposer_email=proposal.proposer_email,
        judicial_risk=proposal.judicial_risk,
        urgent=proposal.urgent,
        not_before=proposal.not_before,
        expires_at=proposal.expires_at,
        prosecutor_reference=proposal.prosecutor_reference,
        images=_image_attributes(proposal.images),
        created_at=proposal.created_at,
        updated_at=proposal.updated_at,
        confirm_by=proposal.confirm_by,
        quorum=proposal.quorum,
        source=proposal.source,
        status_reason=proposal.status_reason,
        reason_code=proposal.reason_code,
        open_pk=None if proposal.status in FINAL_STATES else OPEN_PK,
        open_sk=None if proposal.status in FINAL_STATES else _open_key(proposal),
        language=proposal.language,
        approvals=set(proposal.approvals) or None,
        approved_at=proposal.approved_at,
        edited_by=proposal.edited_by,
        run_id=proposal.run_id,
        claimed_at=proposal.claimed_at,
        post_id=proposal.post_id,
        post_url=proposal.post_url,
        published_at=proposal.published_at,
    )


def _open_key(proposal: Proposal) -> str:
    return f"{proposal.created_at.astimezone(UTC).isoformat()}#{proposal.id}"


def _from_item(item: ProposalItem) -> Proposal:
    return Proposal(
        id=item.id,
        status=Status(item.status),
        version=int(item.version),
        kind=Kind(item.kind),
        text=item.text,
        proposer_email=item.proposer_email,
        created_at=item.created_at,
        updated_at=item.updated_at,
        confirm_by=item.confirm_by,
        quorum=int(item.quorum),
        judicial_risk=bool(item.judicial_risk),
        urgent=bool(item.urgent),
        not_before=item.not_before,
        expires_at=item.expires_at,
        prosecutor_reference=item.prosecutor_reference,
        images=[
            StoredImage(key=i.key, content_type=i.content_type, alt=i.alt, size=int(i.size))
            for i in (item.images or [])
        ],
        source=item.source,
        status_reason=item.status_reason,
        reason_code=item.reason_code,
        language=item.language or "fr",
        approvals=frozenset(item.approvals or ()),
        approved_at=item.approved_at,
        edited_by=item.edited_by,
        run_id=item.run_id,
        claimed_at=item.claimed_at,
        post_id=item.post_id,
        post_url=item.post_url,
        published_at=item.published_at,
    )


@dataclass(frozen=True)
class Approval:
    proposal: Proposal
    approved_now: bool
    owed: list[OutboxItem]


@dataclass(frozen=True)
class Vote:
    approver: str
    version: int
    decision: str
    comment: str
    at: datetime


def outbox_item(mail: Mail, proposal_id: str, now: datetime) -> OutboxItem:
    return OutboxItem(
        pk=OUTBOX_PK,
        sk=f"{now.astimezone(UTC).isoformat()}#{secrets.token_hex(6)}",
        to=list(mail.to),
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        proposal_id=proposal_id,
        attempts=0,
        last_error="",
        created_at=now,
    )


def owed_items(mails: Sequence[Mail], proposal_id: str, now: datetime) -> list[OutboxItem]:
    """The mails a change causes, as the items written with it (see `mail.outbox`)."""
    return [outbox_item(mail, proposal_id, now) for mail in mails]


def mail_of(item: OutboxItem) -> Mail:
    recipients = tuple(str(address) for address in item.to)
    return Mail(
        to=recipients,
        subject=item.subject,
        text=item.text,
        html=item.html,
        proposal_id=item.proposal_id or "",
    )


def due_key(approved_at: datetime, not_before: datetime | None, proposal_id: str) -> str:
    return f"{due_at(approved_at, not_before).astimezone(UTC).isoformat()}#{proposal_id}"


def due_again(proposal: Proposal, now: datetime) -> dict[str, Any]:
    """The changes that put an approved post back in the morning run's queue, at its old place."""
    return {
        "due_pk": DUE_PK,
        "due_sk": due_key(proposal.approved_at or now, proposal.not_before, proposal.id),
        "run_id": None,
        "claimed_at": None,
    }


def claimed_by(run_id: str, proposal: Proposal, now: datetime) -> dict[str, Any]:
    """The changes of a run's claim: the post moves to the claims' partition of the `due` index, so a
    later run finds claims older than the lease with one query."""
    return {
        "run_id": run_id,
        "claimed_at": now,
        "due_pk": CLAIMED_PK,
        "due_sk": f"{now.astimezone(UTC).isoformat()}#{proposal.id}",
    }


def published_at(proposal_id: str, moment: datetime) -> dict[str, Any]:
    """The changes that keep a published post on the `due` index's PUBLISHED partition."""
    return {"due_pk": PUBLISHED_PK, "due_sk": f"{moment.astimezone(UTC).isoformat()}#{proposal_id}"}


def _image_attributes(images: Sequence[StoredImage]) -> list[ImageAttribute]:
    return [
        ImageAttribute(key=i.key, content_type=i.content_type, alt=i.alt, size=i.size)  # type: ignore[no-untyped-call]
        for i in images
    ]


# Orders audit lines written at the same instant by one process; the random part keeps processes apart.
_sequence = itertools.count()


def _audit_item(entry: AuditEntry) -> AuditItem:
    order = f"{next(_sequence) % 10**8:08d}{secrets.token_hex(3)}"
    return AuditItem(
        pk=proposal_pk(entry.proposal_id),
        sk=f"AUDIT#{entry.at.astimezone(UTC).isoformat()}#{order}",
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        version=entry.version,
        via=entry.via,
        detail=entry.detail,
    )


def _link_use_item(proposal_id: str, link_use: LinkUse, now: datetime) -> LinkUseItem:
    return LinkUseItem(
        pk=proposal_pk(proposal_id),
        sk=f"LINK#{link_use.link_id}",
        used_at=now,
        actor=link_use.actor,
        action=link_use.action,
    )


def vote_item(
    proposal: Proposal, approver: str, decision: str, comment: str, link_id: str, now: datetime
) -> VoteItem:
    return VoteItem(
        pk=proposal_pk(proposal.id),
        sk=vote_sk(proposal.version, approver),
        approver=approver,
        version=proposal.version,
        decision=decision,
        comment=comment,
        at=now,
        link_id=link_id,
    )


FORM_TOKEN_DAYS = 2


def form_use_item(nonce: str, proposal_id: str, now: datetime) -> FormUseItem:
    return FormUseItem(
        pk=f"FORM#{nonce}",
        sk="FORM",
        proposal_id=proposal_id,
        at=now,
        ttl=int(now.timestamp()) + FORM_TOKEN_DAYS * 86400,
    )


def version_item(proposal: Proposal, now: datetime) -> VersionItem:
    """The current text, kept before an edit replaces it."""
    return VersionItem(
        pk=proposal_pk(proposal.id),
        sk=f"VERSION#{proposal.version:06d}",
        version=proposal.version,
        text=proposal.text,
        written_by=proposal.edited_by or proposal.proposer_email,
        at=now,
    )


def _from_audit_item(item: AuditItem, proposal_id: str) -> AuditEntry:
    return AuditEntry(
        proposal_id=proposal_id,
        at=item.at,
        actor=item.actor,
        action=item.action,
        version=int(item.version),
        via=item.via,
        detail=item.detail,
    )


class ProposalStore:
    def __init__(self, table_name: str, region: str | None = None) -> None:
        bind_table(table_name, region)
        self._region = region
        self._transactions: Connection | None = None

    def _connection(self) -> Connection:
        # One connection for the store's transactions: each new one builds a botocore client (~0.1 s).
        if self._transactions is None:
            self._transactions = Connection(region=self._region)
        return self._transactions

    def create(
        self,
        proposal: Proposal,
        audit: AuditEntry,
        owed: Sequence[OutboxItem] = (),
        extra: Sequence[Model] = (),
    ) -> None:
        """Store a new proposal, its first audit line and the mails it owes together, or nothing.

        `extra` items are written in the same transaction, each on the condition that it does not
        exist yet (a proposal by email: the record of its mail's message id, so a mail delivered
        twice creates one proposal)."""
        with TransactWrite(connection=self._connection()) as transaction:
            transaction.save(_to_item(proposal), condition=ProposalItem.pk.does_not_exist())
            transaction.save(_audit_item(audit), condition=AuditItem.pk.does_not_exist())
            for item in owed:
                transaction.save(item, condition=OutboxItem.pk.does_not_exist())
            for record in extra:
                key: Any = getattr(type(record), "pk")  # noqa: B009 - every model of the table has a pk
                transaction.save(record, condition=key.does_not_exist())

    def get(self, proposal_id: str) -> Proposal:
        try:
            return _from_item(ProposalItem.get(proposal_pk(proposal_id), PROPOSAL_SK, consistent_read=True))
        except DoesNotExist:
            raise NotFound("no such proposal", "no_such_proposal") from None

    def transition(
        self,
        proposal: Proposal,
        target: Status,
        audit: AuditEntry,
        *,
        link_use: LinkUse | None = None,
        changes: dict[str, Any] | None = None,
        owed: Sequence[OutboxItem] = (),
        extra: Sequence[Model] = (),
        now: datetime,
        held_by: str | None = None,
    ) -> Proposal:
        """Move `proposal` from the state it was read in to `target`, recording the link's one use and
        the mails the change owes, all in one transaction.

        `held_by` narrows the write to while that morning run's claim holds.
        Raises LinkAlreadyUsed if the link already acted, Conflict if someone else moved the
        proposal first (its message names the state it is in now)."""
        check_transition(proposal.status, target)
        item = _to_item(proposal)
        actions: list[Action] = [
            ProposalItem.status.set(target.value),
            ProposalItem.updated_at.set(now),
        ]
        if target in FINAL_STATES:  # out of play: off the sparse indexes
            changes = {"open_pk": None, "open_sk": None, "due_pk": None, "due_sk": None, **(changes or {})}
        for name, value in (changes or {}).items():
            attribute = getattr(ProposalItem, name)
            empty = value is None or (isinstance(value, (set, frozenset)) and not value)
            stored = _image_attributes(value) if name == "images" else value
            actions.append(attribute.remove() if empty else attribute.set(stored))
        try:
            with TransactWrite(connection=self._connection()) as transaction:
                unchanged = (ProposalItem.status == proposal.status.value) & (
                    ProposalItem.version == proposal.version
                )
                if held_by is not None:
                    unchanged &= ProposalItem.run_id == held_by
                transaction.update(item, actions=actions, condition=unchanged)
                if link_use is not None:
                    transaction.save(
                        _link_use_item(proposal.id, link_use, now), condition=LinkUseItem.pk.does_not_exist()
                    )
                transaction.save(_audit_item(audit), condition=AuditItem.pk.does_not_exist())
                for record in [*owed, *extra]:
                    key: Any = getattr(type(record), "pk")  # noqa: B009 - every model of the table has a pk
                    transaction.save(record, condition=key.does_not_exist())
        except TransactWriteError:
            if link_use is not None and self.link_was_used(proposal.id, link_use.link_id):
                raise LinkAlreadyUsed("this link has already been used", "link_used") from None
            current = self.get(proposal.id)
            now_is = f"{current.status.value} (version {current.version})"
            raise Conflict(
                f"the proposal changed meanwhile: it is now {now_is}",
                "changed_meanwhile",
                state=current.status.value,
            ) from None
        proposal.status = target
        proposal.updated_at = now
        for name, value in (changes or {}).items():
            if name == "approvals":
                proposal.approvals = frozenset(value or ())
            elif hasattr(proposal, name):
                setattr(proposal, name, value)
        return proposal

    def record_approval(
        self,
        proposal: Proposal,
        approver: str,
        *,
        link_use: LinkUse,
        audit: AuditEntry,
        mails_if_approved: Callable[[Proposal], Sequence[Mail]],
        audit_if_approved: Callable[[Proposal], AuditEntry] | None = None,
        now: datetime,
        attempts: int = 5,
    ) -> Approval:
        """Record `approver`'s approval of the version they saw; approve the proposal if that makes the
        quorum, owing the mails that tells. Returns the proposal as it now is, whether this vote
        approved it, and the mails it owes.

        The vote, the link's use and the count are one conditional transaction on the approvals as read,
        so two approvers pressing at once both count and exactly one of them moves the state."""
        for _ in range(attempts):
            approvals = proposal.approvals | {approver}
            approves = proposal.status is Status.PENDING and quorum_reached(approvals, proposal.quorum)
            actions: list[Action] = [ProposalItem.approvals.add({approver}), ProposalItem.updated_at.set(now)]
            if approves:
                actions += [
                    ProposalItem.status.set(Status.APPROVED.value),
                    ProposalItem.approved_at.set(now),
                    ProposalItem.due_pk.set(DUE_PK),
                    ProposalItem.due_sk.set(due_key(now, proposal.not_before, proposal.id)),
                ]
            unchanged = (ProposalItem.status == proposal.status.value) & (
                ProposalItem.version == proposal.version
            )
            if proposal.approvals:
                unchanged &= size(ProposalItem.approvals) == len(proposal.approvals)  # type: ignore[no-untyped-call]
            else:
                unchanged &= ProposalItem.approvals.does_not_exist()
            after = replace(proposal, approvals=frozenset(approvals))
            if approves:
                after.status, after.approved_at = Status.APPROVED, now
            mails = owed_items(mails_if_approved(after), proposal.id, now) if approves else []
            try:
                with TransactWrite(connection=self._connection()) as transaction:
                    transaction.update(_to_item(proposal), actions=actions, condition=unchanged)
                    transaction.save(
                        vote_item(proposal, approver, "approve", "", link_use.link_id, now),
                        condition=VoteItem.pk.does_not_exist(),
                    )
                    transaction.save(
                        _link_use_item(proposal.id, link_use, now), condition=LinkUseItem.pk.does_not_exist()
                    )
                    transaction.save(_audit_item(audit), condition=AuditItem.pk.does_not_exist())
                    if approves and audit_if_approved is not None:
                        transaction.save(
                            _audit_item(audit_if_approved(after)), condition=AuditItem.pk.does_not_exist()
                        )
                    for item in mails:
                        transaction.save(item, condition=OutboxItem.pk.does_not_exist())
            except TransactWriteError:
                if self.link_was_used(proposal.id, link_use.link_id):
                    raise LinkAlreadyUsed("this link has already been used", "link_used") from None
                if self._exists(VoteItem, proposal.id, vote_sk(proposal.version, approver)):
                    raise Conflict("you have already approved this version", "already_approved") from None
                proposal = self.get(proposal.id)  # someone else voted meanwhile: count again
                check_current_version(audit.version, proposal)
                if proposal.status not in OPEN_FOR_REVIEW:
                    raise Conflict(
                        f"this proposal is {proposal.status.value}: it can no longer be approved",
                        "not_open",
                        state=proposal.status.value,
                        doing="approved",
                    ) from None
                continue
            return Approval(after, approves, mails)
        raise Conflict("too many people voted at the same moment: press the button again", "too_many_votes")

    def votes(self, proposal_id: str) -> list[Vote]:
        return [
            Vote(item.approver, int(item.version), item.decision, item.comment, item.at)
            for item in VoteItem.query(
                proposal_pk(proposal_id), VoteItem.sk.startswith("VOTE#"), consistent_read=True
            )
        ]

    def _exists(self, model: type[Model], proposal_id: str, sort_key: str) -> bool:
        try:
            model.get(proposal_pk(proposal_id), sort_key, consistent_read=True)
        except DoesNotExist:
            return False
        return True

    def owe_mail(self, items: Sequence[OutboxItem]) -> None:
        """Record mails as owed on their own (when no change of state goes with them)."""
        for item in items:
            item.save(condition=OutboxItem.pk.does_not_exist())

    def owed_mail(self) -> list[OutboxItem]:
        return list(OutboxItem.query(OUTBOX_PK, consistent_read=True))

    def mail_sent(self, item: OutboxItem) -> None:
        with contextlib.suppress(DeleteError):  # already gone: another delivery took it
            item.delete()

    def mail_failed(self, item: OutboxItem, error: str) -> int:
        with contextlib.suppress(UpdateError):
            item.update(actions=[OutboxItem.attempts.add(1), OutboxItem.last_error.set(error[:500])])
        return int(item.attempts or 0)

    def form_used_for(self, nonce: str) -> str | None:
        """The proposal a form's token already made, if it made one."""
        try:
            return str(FormUseItem.get(f"FORM#{nonce}", "FORM", consistent_read=True).proposal_id)
        except DoesNotExist:
            return None

    def link_was_used(self, proposal_id: str, link_id: str) -> bool:
        try:
            LinkUseItem.get(proposal_pk(proposal_id), f"LINK#{link_id}", consistent_read=True)
        except DoesNotExist:
            return False
        return True

    def append_audit(self, entry: AuditEntry) -> None:
        try:
            _audit_item(entry).save(condition=AuditItem.pk.does_not_exist())
        except PutError:  # a clash of random suffixes within the same microsecond: try once more
            _audit_item(entry).save(condition=AuditItem.pk.does_not_exist())

    def audit_log(self, proposal_id: str) -> list[AuditEntry]:
        return [
            _from_audit_item(item, proposal_id)
            for item in AuditItem.query(
                proposal_pk(proposal_id), AuditItem.sk.startswith("AUDIT#"), consistent_read=True
            )
        ]

    def all(self) -> Iterator[Proposal]:
        """Every proposal (for the approvers' list and digest; a table of this use stays small)."""
        for item in ProposalItem.scan(ProposalItem.sk == PROPOSAL_SK):
            yield _from_item(item)

    def claim_run(self, kind: str, key: str, now: datetime, keep_days: int = 30) -> bool:
        """True the first time a run of `kind` is claimed for `key`; False for a repeated delivery."""
        try:
            RunItem(pk="RUN", sk=f"{kind}#{key}", at=now, ttl=int(now.timestamp()) + keep_days * 86400).save(
                condition=RunItem.pk.does_not_exist()
            )
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def claim_run_owing(self, kind: str, key: str, owed: Sequence[OutboxItem], now: datetime) -> bool:
        """Claim a run and owe its mails in one transaction: False (and nothing owed) when the run was
        already claimed, by an earlier delivery of the same schedule. A failure leaves no claim, so the
        next delivery does the run."""
        item = RunItem(pk="RUN", sk=f"{kind}#{key}", at=now, ttl=int(now.timestamp()) + 30 * 86400)
        try:
            with TransactWrite(connection=self._connection()) as transaction:
                transaction.save(item, condition=RunItem.pk.does_not_exist())
                for mail in owed:
                    transaction.save(mail, condition=OutboxItem.pk.does_not_exist())
        except TransactWriteError:
            if self._run_claimed(kind, key):
                return False
            raise
        return True

    def _run_claimed(self, kind: str, key: str) -> bool:
        try:
            RunItem.get("RUN", f"{kind}#{key}", consistent_read=True)
        except DoesNotExist:
            return False
        return True

    def last_run_at(self, kind: str) -> datetime | None:
        """When the latest run of `kind` was claimed (run keys sort by their date)."""
        for item in RunItem.query(
            "RUN", RunItem.sk.startswith(f"{kind}#"), scan_index_forward=False, limit=1, consistent_read=True
        ):
            return item.at
        return None

    def published_since(self, since: datetime) -> list[Proposal]:
        """Posts that went out since `since`, from the `due` index's PUBLISHED partition."""
        bound = f"{since.astimezone(UTC).isoformat()}#"
        found = ProposalItem.due.query(PUBLISHED_PK, ProposalItem.due_sk >= bound)
        return [_from_item(item) for item in found]

    def raise_alert(self, code: str, detail: str, now: datetime, until: datetime | None = None) -> bool:
        """Record a condition that stops publishing; True the first time (tell the operator then)."""
        item = AlertItem(pk=ALERT_PK, sk=code, since=now, detail=detail[:1000], until=until)
        try:
            item.save(condition=AlertItem.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            with contextlib.suppress(UpdateError):  # still raised: keep what it now says
                keeps: list[Action] = [AlertItem.detail.set(detail[:1000])]
                keeps.append(AlertItem.until.set(until) if until else AlertItem.until.remove())
                item.update(actions=keeps)
            return False
        return True

    def clear_alert(self, code: str) -> bool:
        """The condition cleared; True when it was raised."""
        try:
            AlertItem(pk=ALERT_PK, sk=code).delete(condition=AlertItem.pk.exists())
        except DeleteError:
            return False
        return True

    def alerts(self) -> list[tuple[str, str, datetime, datetime | None]]:
        """The conditions raised now: (code, detail, since, until)."""
        return [(i.sk, i.detail, i.since, i.until) for i in AlertItem.query(ALERT_PK, consistent_read=True)]

    def due(self, until: datetime) -> list[Proposal]:
        """Approved proposals due by `until`, from the sparse `due` index: one query whatever the
        table holds (the index holds approved posts only)."""
        return self._due_partition(DUE_PK, until)

    def claims(self, until: datetime) -> list[Proposal]:
        """Posts claimed by a run at or before `until` and not yet recorded, and posts held for a check
        whenever they were held (the same index, the partition of claims)."""
        return self._due_partition(CLAIMED_PK, until)

    def _due_partition(self, partition: str, until: datetime) -> list[Proposal]:
        # due_sk is "<ISO time>#<id>": "~" sorts after every character of an id.
        bound = f"{until.astimezone(UTC).isoformat()}#~"
        return [_from_item(item) for item in ProposalItem.due.query(partition, ProposalItem.due_sk <= bound)]

    def hold_claim_for_check(self, claimed: Proposal, audit: AuditEntry, reason: str, now: datetime) -> None:
        """Keep the post claimed (never released to be posted again) and queue it for the next run's
        check of the account; only while the run that claimed it still holds it."""
        held = (
            (ProposalItem.status == Status.PUBLISHING.value)
            & (ProposalItem.version == claimed.version)
            & (ProposalItem.run_id == claimed.run_id)
        )
        actions: list[Action] = [
            ProposalItem.due_pk.set(CLAIMED_PK),
            ProposalItem.due_sk.set(f"{CHECK_PREFIX}{now.astimezone(UTC).isoformat()}#{claimed.id}"),
            ProposalItem.status_reason.set(reason[:1000]),
            ProposalItem.updated_at.set(now),
        ]
        try:
            with TransactWrite(connection=self._connection()) as transaction:
                transaction.update(_to_item(claimed), actions=actions, condition=held)
                transaction.save(_audit_item(audit), condition=AuditItem.pk.does_not_exist())
        except TransactWriteError:
            current = self.get(claimed.id)
            raise Conflict(
                f"the proposal changed meanwhile: it is now {current.status.value}",
                "changed_meanwhile",
                state=current.status.value,
            ) from None

    def open_proposals(self) -> list[Proposal]:
        """Proposals still in play, from the sparse `open` index (no scan)."""
        return [_from_item(item) for item in ProposalItem.open.query(OPEN_PK)]

    def whole_audit_log(self) -> list[AuditEntry]:
        """Every audit line of every proposal, oldest first."""
        entries = [
            _from_audit_item(item, item.pk.removeprefix("PROPOSAL#"))
            for item in AuditItem.scan(AuditItem.sk.startswith("AUDIT#"))
        ]
        return sorted(entries, key=lambda entry: entry.at)
