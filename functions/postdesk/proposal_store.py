"""Proposals in DynamoDB: every change of state is a conditional write on the state it expects.

Two people acting at the same moment can't both win: the loser's condition fails and it is told what
the proposal became. A link's use, the change it makes and its audit line are one transaction."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from postdesk.domain.kinds import Kind
from postdesk.domain.proposal import AuditEntry, Proposal, StoredImage
from postdesk.domain.states import Status, check_transition
from postdesk.errors import Conflict, LinkAlreadyUsed, NotFound
from postdesk.table import (
    PROPOSAL_SK,
    AuditItem,
    ImageAttribute,
    LinkUseItem,
    ProposalItem,
    bind_table,
    proposal_pk,
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
        images=[
            ImageAttribute(key=i.key, content_type=i.content_type, alt=i.alt, size=i.size)
            for i in proposal.images
        ],
        created_at=proposal.created_at,
        updated_at=proposal.updated_at,
        confirm_by=proposal.confirm_by,
        quorum=proposal.quorum,
        source=proposal.source,
        status_reason=proposal.status_reason,
    )


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
    )


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

    def _connection(self) -> Connection:
        return Connection(region=self._region)

    def create(self, proposal: Proposal, audit: AuditEntry) -> None:
        """Store a new proposal and its first audit line together, or neither."""
        with TransactWrite(connection=self._connection()) as transaction:
            transaction.save(_to_item(proposal), condition=ProposalItem.pk.does_not_exist())
            transaction.save(_audit_item(audit), condition=AuditItem.pk.does_not_exist())

    def get(self, proposal_id: str) -> Proposal:
        try:
            return _from_item(ProposalItem.get(proposal_pk(proposal_id), PROPOSAL_SK, consistent_read=True))
        except DoesNotExist:
            raise NotFound("no such proposal") from None

    def transition(
        self,
        proposal: Proposal,
        target: Status,
        audit: AuditEntry,
        *,
        link_use: LinkUse | None = None,
        changes: dict[str, Any] | None = None,
        now: datetime,
    ) -> Proposal:
        """Move `proposal` from the state it was read in to `target`, recording the link's one use.

        Raises LinkAlreadyUsed if the link already acted, Conflict if someone else moved the
        proposal first (its message names the state it is in now)."""
        check_transition(proposal.status, target)
        item = _to_item(proposal)
        actions: list[Action] = [
            ProposalItem.status.set(target.value),
            ProposalItem.updated_at.set(now),
        ]
        for name, value in (changes or {}).items():
            attribute = getattr(ProposalItem, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        try:
            with TransactWrite(connection=self._connection()) as transaction:
                transaction.update(
                    item,
                    actions=actions,
                    condition=(ProposalItem.status == proposal.status.value)
                    & (ProposalItem.version == proposal.version),
                )
                if link_use is not None:
                    transaction.save(
                        LinkUseItem(
                            pk=proposal_pk(proposal.id),
                            sk=f"LINK#{link_use.link_id}",
                            used_at=now,
                            actor=link_use.actor,
                            action=link_use.action,
                        ),
                        condition=LinkUseItem.pk.does_not_exist(),
                    )
                transaction.save(_audit_item(audit), condition=AuditItem.pk.does_not_exist())
        except TransactWriteError:
            if link_use is not None and self.link_was_used(proposal.id, link_use.link_id):
                raise LinkAlreadyUsed("this link has already been used") from None
            current = self.get(proposal.id)
            raise Conflict(
                f"the proposal changed meanwhile: it is now {current.status.value} (version {current.version})"
            ) from None
        proposal.status = target
        proposal.updated_at = now
        for name, value in (changes or {}).items():
            setattr(proposal, name, value)
        return proposal

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
        """Every proposal (for the approvers' list; a table of this use stays small)."""
        for item in ProposalItem.scan(ProposalItem.sk == PROPOSAL_SK):
            yield _from_item(item)
