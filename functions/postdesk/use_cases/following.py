"""Where a proposal stands and what happens next, as its proposer follows it (the follow-up page) and as
the mails promise it: the same facts for both, so that a page never says what a mail contradicts.

When a post goes out is played forward from the schedule, the cap, the embargoes and the expiries of
every approved post (`domain.forecast`), so the date named is the run that will publish it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from postdesk.domain.agenda import NextStep
from postdesk.domain.forecast import Slot, plan_runs
from postdesk.domain.links import EDIT, WITHDRAW
from postdesk.domain.review_rules import OPEN_FOR_WITHDRAWAL, due_at
from postdesk.domain.states import Status, is_abandoned
from postdesk.mail import compose

if TYPE_CHECKING:
    from postdesk.domain.proposal import AuditEntry, Proposal
    from postdesk.services import Services

HORIZON = timedelta(days=400)  # the forecast looks this far: every approved post, embargoed ones too
# The proposer's history leaves out the machinery: mails, refused links, a run's claim.
HIDDEN_FROM_PROPOSER = (
    "mail_",
    "refused ",
    "claimed",
    "held for a check",
)


@dataclass(frozen=True)
class FollowView:
    proposal: Proposal
    next: NextStep
    history: list[AuditEntry]
    actions: list[tuple[str, str]]  # (action, signed URL) the proposer may use now


def publication_slots(services: Services, including: Proposal | None = None) -> dict[str, Slot]:
    """The run that will publish each approved post (one read of the sparse `due` index); `including`
    a post being approved right now, not yet in the index."""
    now = services.clock()
    approved = [p for p in services.store.due(now + HORIZON) if including is None or p.id != including.id]
    if including is not None:
        approved.append(including)
    settings = services.settings
    return plan_runs(approved, settings.morning_runs.runs_after(now), settings.publish_cap)


def next_step(services: Services, proposal: Proposal, slots: dict[str, Slot] | None = None) -> NextStep:
    status = proposal.status
    if status is Status.AWAITING_CONFIRMATION:
        return NextStep("confirm", run_at=proposal.confirm_by)
    if status is Status.PENDING:
        code = "decision_urgent" if proposal.urgent else "decision"
        return NextStep(code, approvals=len(proposal.approvals), quorum=proposal.quorum)
    if status is Status.CHANGES_REQUESTED:
        return NextStep("edit")
    if status is Status.APPROVED:
        now = services.clock()
        embargoed = proposal.not_before is not None and proposal.not_before > now
        if proposal.urgent and not embargoed:
            return NextStep("urgent_now")
        if slots is None or proposal.id not in slots:
            slots = publication_slots(services, including=proposal)
        slot = slots.get(proposal.id)
        if slot is None or (slot.run_at is None and not slot.expires_first):
            return NextStep("no_run")
        if slot.expires_first:
            return NextStep("expires_first", run_at=proposal.expires_at)
        approved_at = proposal.approved_at or proposal.created_at
        if embargoed and due_at(approved_at, proposal.not_before) > now:
            return NextStep("run_embargo", run_at=slot.run_at)
        return NextStep("run_held" if slot.held_by_cap else "run", run_at=slot.run_at)
    if status is Status.PUBLISHING:
        return NextStep("publishing")
    if status is Status.PUBLISHED:
        return NextStep("published", run_at=proposal.published_at)
    if status is Status.NEEDS_RECONCILE:
        return NextStep("reconcile")
    if status is Status.FAILED and not is_abandoned(status, proposal.status_reason):
        return NextStep("failed")
    return NextStep("ended")


def follow(services: Services, proposal: Proposal) -> FollowView:
    """The proposer's view: the proposal, what happens next, its history, and the links they may use."""
    actions: list[tuple[str, str]] = []
    expires = compose.review_expiry(services, proposal)
    for action, allowed in (
        (EDIT, proposal.status is Status.CHANGES_REQUESTED),
        (WITHDRAW, proposal.status in OPEN_FOR_WITHDRAWAL),
    ):
        if allowed:
            url = compose.link(
                services,
                actor=proposal.proposer_email,
                proposal=proposal,
                action=action,
                expires=expires,
                language=proposal.language,
            )
            actions.append((action, url))
    history = [
        entry
        for entry in services.store.audit_log(proposal.id)
        if not entry.action.startswith(HIDDEN_FROM_PROPOSER)
    ]
    return FollowView(proposal, next_step(services, proposal), history, actions)
