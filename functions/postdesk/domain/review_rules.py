"""The approvers' rules, pure: who may approve which version, and when the quorum is reached.

Nobody approves a text they wrote: the proposer of a proposal, and an approver who edited its current
version (as a forge's "prevent self-review" bars whoever pushed last)."""

from __future__ import annotations

from datetime import datetime

from postdesk.domain.addresses import canonical_address
from postdesk.domain.proposal import Proposal
from postdesk.domain.states import Status
from postdesk.errors import Conflict, Forbidden, StaleVersion

# While a run has not claimed it, an approved post may still be vetoed, withdrawn or edited.
OPEN_FOR_REVIEW = frozenset({Status.PENDING, Status.APPROVED})
OPEN_FOR_WITHDRAWAL = frozenset(
    {Status.AWAITING_CONFIRMATION, Status.PENDING, Status.APPROVED, Status.CHANGES_REQUESTED}
)
OPEN_FOR_EDIT = frozenset({Status.PENDING, Status.APPROVED, Status.CHANGES_REQUESTED})


class SelfApproval(Forbidden):
    code = "self_approval"


class NotAnApprover(Forbidden):
    code = "not_an_approver"


def authors(proposal: Proposal) -> set[str]:
    who = {canonical_address(proposal.proposer_email)}
    if proposal.edited_by:
        who.add(canonical_address(proposal.edited_by))
    return who


def check_approver(actor: str, approvers: list[str]) -> None:
    if canonical_address(actor) not in approvers:
        raise NotAnApprover(
            f"{actor} is no longer an approver: this link no longer works", "not_an_approver", actor=actor
        )


def check_current_version(link_version: int, proposal: Proposal) -> None:
    if link_version != proposal.version:
        raise StaleVersion(
            f"the text changed since this link was sent (this link is for version {link_version}, the "
            f"proposal is at version {proposal.version}): it does nothing; use the links of the newest mail",
            "stale_version",
            link_version=link_version,
            version=proposal.version,
        )


def check_may_approve(actor: str, proposal: Proposal) -> None:
    if canonical_address(actor) in authors(proposal):
        if canonical_address(actor) == canonical_address(proposal.proposer_email):
            raise SelfApproval("you proposed this post: another approver must approve it", "self_proposed")
        raise SelfApproval(
            "you edited this version of the text: another approver must approve it", "self_edited"
        )


def check_open(proposal: Proposal, allowed: frozenset[Status], doing: str) -> None:
    """`doing` names what the link would do (approved, decided, edited, withdrawn, marked_published,
    published_again, abandoned): the wording catalogue says it in the reader's language."""
    if proposal.status not in allowed:
        raise Conflict(
            f"this proposal is {proposal.status.value}: it can no longer be {doing.replace('_', ' ')}",
            "not_open",
            state=proposal.status.value,
            doing=doing,
        )


def quorum_reached(approvals: frozenset[str], quorum: int) -> bool:
    return len(approvals) >= quorum


def due_at(approved_at: datetime, not_before: datetime | None) -> datetime:
    """When the morning run may publish an approved post."""
    return max(approved_at, not_before) if not_before else approved_at
