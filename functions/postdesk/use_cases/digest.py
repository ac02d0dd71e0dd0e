"""The approvers' morning digest: the agenda of the meeting where they decide what goes out.

For each approver: first what waits for their decision, each post whole with its own action links
beside it; then what goes out at the next run, named with its date and hour; then what is held and
until when (beyond the cap, under embargo, awaiting another approval, awaiting its author); then what
needs a person (a post to settle, publishing blocked); then what went out since the last digest. Every
sentence comes from the same facts (the forecast of the runs, the alerts raised), so it never says
one thing and then another. On a quiet day a short mail says so (DIGEST_ON_QUIET_DAYS), so that a quiet
day is told apart from a broken digest.

The day is claimed in the same write that owes the mails: a repeated delivery of the schedule sends
nothing, and a digest that failed before its write is sent by the next delivery."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from postdesk.domain.agenda import Agenda, Held
from postdesk.domain.proposal import AuditEntry, Proposal
from postdesk.domain.states import Status
from postdesk.errors import Conflict
from postdesk.mail import compose, outbox
from postdesk.observability import logger, metrics
from postdesk.store.proposals import owed_items
from postdesk.use_cases import desk, following
from postdesk.wording import pick_language

if TYPE_CHECKING:
    from postdesk.domain.forecast import Slot
    from postdesk.domain.mail import Mail
    from postdesk.services import Services

CHANNEL_ALERTS = ("no_credentials", "credentials_refused", "unreachable", "rate_limited")


@dataclass(frozen=True)
class DigestReport:
    sent_to: list[str]
    skipped: bool = False


def expire_overdue(services: Services, proposals: list[Proposal]) -> list[Proposal]:
    """Expire what can no longer go out: proposals never confirmed in time, and proposals whose expiry
    passed while still in review (the morning run expires approved ones). Returns the rest."""
    now = services.clock()
    still_open = []
    for proposal in proposals:
        if proposal.status is Status.AWAITING_CONFIRMATION and now > proposal.confirm_by:
            reason, mails = "never confirmed in time", []
        elif (
            proposal.status in (Status.PENDING, Status.CHANGES_REQUESTED)
            and proposal.expires_at is not None
            and proposal.expires_at <= now
        ):
            reason = "its expiry passed before it was approved"
            mails = compose.expired(services, replace(proposal, status=Status.EXPIRED))
        else:
            still_open.append(proposal)
            continue
        try:
            outbox.transition(
                services,
                proposal,
                Status.EXPIRED,
                AuditEntry(proposal.id, now, "postdesk", "expired", proposal.version, "digest run", reason),
                mails=mails,
                changes={"status_reason": reason},
                now=now,
            )
        except Conflict:  # it moved meanwhile: the next run looks again
            continue
        logger.info("proposal expired", extra={"proposal_id": proposal.id, "reason": reason})
    return still_open


def _held(
    proposal: Proposal, approver: str, slots: dict[str, Slot], next_run: datetime | None
) -> Held | None:
    status = proposal.status
    if status is Status.APPROVED:
        slot = slots.get(proposal.id)
        if slot is None:
            return None
        if slot.expires_first:
            return Held(proposal, "expires")
        if slot.run_at is not None and slot.run_at != next_run:
            embargoed = proposal.not_before is not None and proposal.not_before >= (next_run or slot.run_at)
            return Held(proposal, "embargo" if embargoed else "cap", slot.run_at)
        return None
    if status is Status.PENDING and not desk.waits_for(approver, proposal):
        return Held(proposal, "approvals")
    if status is Status.AWAITING_CONFIRMATION:
        return Held(proposal, "confirmation")
    if status is Status.CHANGES_REQUESTED:
        return Held(proposal, "changes")
    return None


def agendas(services: Services, proposals: list[Proposal], *, since: datetime) -> list[Agenda]:
    """Each approver's agenda, from one reading of the facts."""
    settings = services.settings
    now = services.clock()
    language = pick_language(None)
    slots = following.publication_slots(services)
    next_run = settings.morning_runs.next_run(now)
    going_out = sorted(
        (
            p
            for p in proposals
            if p.status is Status.APPROVED and slots.get(p.id) and slots[p.id].run_at == next_run
        ),
        key=lambda p: (p.approved_at or p.created_at, p.id),
    )
    blocked = [
        (code, at, until)
        for code, _, at, until in services.store.alerts()
        if code in CHANNEL_ALERTS and (until is None or until > now)
    ]
    if settings.channel == "none":
        blocked.append(("off", now, None))
    published = services.store.published_since(since)
    result = []
    for approver in settings.approvers:
        agenda = Agenda(approver, next_run=next_run, going_out=list(going_out), blocked=blocked)
        agenda.published = published
        for proposal in sorted(proposals, key=lambda p: p.created_at):
            if desk.waits_for(approver, proposal):
                agenda.to_decide.append(desk.desk_row(services, approver, proposal, language, slots))
            elif proposal.status in (Status.NEEDS_RECONCILE, Status.FAILED) and desk.allowed_actions(
                approver, proposal
            ):
                agenda.to_settle.append(desk.desk_row(services, approver, proposal, language, slots))
            else:
                held = _held(proposal, approver, slots, next_run)
                if held is not None:
                    agenda.held.append(held)
        result.append(agenda)
    return result


def send_digest(services: Services, *, run_key: str) -> DigestReport:
    """Send each approver their agenda, once per `run_key` (the scheduled day): a second delivery of the
    same schedule sends nothing. The next run it names comes from the schedule."""
    outbox.deliver_owed(services)
    now = services.clock()
    store = services.store
    settings = services.settings
    since = store.last_run_at("digest") or now - timedelta(days=1)
    proposals = expire_overdue(services, store.open_proposals())
    mails: list[Mail] = []
    for agenda in agendas(services, proposals, since=since):
        if agenda.quiet and not settings.digest_on_quiet_days:
            continue
        mails.append(compose.digest(services, agenda))
    owed = owed_items(mails, "", now)
    if not store.claim_run_owing("digest", run_key, owed, now):
        logger.info("digest already sent", extra={"run_key": run_key})
        return DigestReport([], skipped=True)
    outbox.deliver(services, owed)
    metrics.add_metric(name="DigestsSent", unit="Count", value=len(mails))
    return DigestReport([mail.to[0] for mail in mails])
