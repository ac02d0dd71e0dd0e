"""The approvers' desk: what waits for my decision first, then the rest, each proposal with who already
decided what and its journal, and my actions on it.

The desk link only shows and lasts a day; the actions on each proposal are action links of their own,
signed for this approver, this proposal, this version and this action when the desk is drawn, and they
act once through their page's form like every action link. A forwarded desk link is a day of reading,
not a day of approver power."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from postdesk.domain.addresses import canonical_address
from postdesk.domain.agenda import DeskRow
from postdesk.domain.kinds import Kind
from postdesk.domain.links import (
    APPROVE,
    DESK,
    LIST,
    REVIEW_ACTIONS,
    LinkClaims,
)
from postdesk.domain.review_rules import OPEN_FOR_REVIEW, authors, check_approver
from postdesk.domain.states import FINAL_STATES, Status, is_abandoned
from postdesk.errors import InvalidLink
from postdesk.mail import compose
from postdesk.use_cases import following

if TYPE_CHECKING:
    from postdesk.domain.forecast import Slot
    from postdesk.domain.proposal import AuditEntry, Proposal
    from postdesk.services import Services
    from postdesk.store.proposals import Vote

SHOWN_AT_MOST = 200  # of the ended proposals, the newest


@dataclass(frozen=True)
class Desk:
    approver: str
    waiting: list[DeskRow]
    others: list[DeskRow]
    state: str = ""
    kind: str = ""


@dataclass(frozen=True)
class DeskProposal:
    row: DeskRow
    votes: list[Vote] = field(default_factory=list)
    journal: list[AuditEntry] = field(default_factory=list)


def check_desk_link(services: Services, claims: LinkClaims) -> str:
    """The approver a desk link (or the older list link) is for."""
    if claims.action not in (DESK, LIST):
        raise InvalidLink("this link does not open the approvers' desk", "not_a_list_link")
    check_approver(claims.actor, services.settings.approvers)
    return canonical_address(claims.actor)


def waits_for(approver: str, proposal: Proposal) -> bool:
    """A pending proposal this approver has not approved and did not write."""
    who = canonical_address(approver)
    return (
        proposal.status is Status.PENDING and who not in proposal.approvals and who not in authors(proposal)
    )


def allowed_actions(approver: str, proposal: Proposal) -> list[str]:
    """What this approver may do to this proposal now, as their links would let them."""
    who = canonical_address(approver)
    if proposal.status in OPEN_FOR_REVIEW:  # approved, it may still be vetoed, sent back or edited
        may_approve = proposal.status is Status.PENDING and who not in authors(proposal) | proposal.approvals
        return [a for a in REVIEW_ACTIONS if a != APPROVE or may_approve]
    if is_abandoned(proposal.status, proposal.status_reason):
        return []
    return list(compose.settling_choices(proposal))


def desk_row(
    services: Services, approver: str, proposal: Proposal, language: str, slots: dict[str, Slot]
) -> DeskRow:
    actions = allowed_actions(approver, proposal)
    links = (
        compose.action_links(
            services,
            actor=approver,
            proposal=proposal,
            actions=actions,
            expires=compose.review_expiry(services, proposal),
            language=language,
        )
        if actions
        else []
    )
    signed = [(action, url) for action, (_, url) in zip(actions, links, strict=True)]
    return DeskRow(
        proposal, waits_for(approver, proposal), signed, following.next_step(services, proposal, slots)
    )


def desk(services: Services, approver: str, language: str, *, state: str = "", kind: str = "") -> Desk:
    """The desk of one approver: in play by default (the sparse `open` index), or the ended proposals of
    one state, newest first."""
    if state and Status(state) in FINAL_STATES:
        proposals = sorted(
            (p for p in services.store.all() if p.status.value == state),
            key=lambda p: p.updated_at,
            reverse=True,
        )[:SHOWN_AT_MOST]
    else:
        proposals = services.store.open_proposals()
        if state:
            proposals = [p for p in proposals if p.status.value == state]
    if kind:
        proposals = [p for p in proposals if p.kind is Kind(kind)]
    slots = following.publication_slots(services)
    rows = [
        desk_row(services, approver, p, language, slots)
        for p in sorted(proposals, key=lambda p: p.created_at)
    ]
    return Desk(
        approver,
        waiting=[row for row in rows if row.to_decide],
        others=[row for row in rows if not row.to_decide],
        state=state,
        kind=kind,
    )


def desk_proposal(services: Services, approver: str, proposal_id: str, language: str) -> DeskProposal:
    """One proposal as the desk opens it: who decided what on which version, and its journal."""
    proposal = services.store.get(proposal_id)
    row = desk_row(services, approver, proposal, language, following.publication_slots(services))
    return DeskProposal(row, services.store.votes(proposal_id), services.store.audit_log(proposal_id))
