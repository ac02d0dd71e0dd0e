"""The approvers' morning digest: what waits for each one's vote, what the next run will publish, and
a link, valid for the day, to the list of every proposal and the audit log."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from postdesk.domain.addresses import canonical_address
from postdesk.domain.links import REVIEW_ACTIONS
from postdesk.domain.proposal import AuditEntry, Proposal
from postdesk.domain.review_rules import authors, due_at
from postdesk.domain.states import Status
from postdesk.errors import Conflict
from postdesk.mail import compose, outbox
from postdesk.observability import logger, metrics
from postdesk.wording import pick_language, strings

if TYPE_CHECKING:
    from postdesk.domain.mail import Mail
    from postdesk.services import Services


@dataclass(frozen=True)
class DigestReport:
    sent_to: list[str]
    skipped: bool = False


def end_of_day(now: datetime, time_zone: str) -> datetime:
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(0, 0), tzinfo=zone)


def waiting_for(approver: str, proposals: list[Proposal]) -> list[Proposal]:
    """Pending proposals this approver has not voted on and did not write."""
    who = canonical_address(approver)
    return [
        p
        for p in proposals
        if p.status is Status.PENDING and who not in p.approvals and who not in authors(p)
    ]


def due_next_run(proposals: list[Proposal], next_run: datetime, cap: int) -> list[Proposal]:
    due = [
        p
        for p in proposals
        if p.status is Status.APPROVED
        and p.approved_at is not None
        and due_at(p.approved_at, p.not_before) <= next_run
        and (p.expires_at is None or p.expires_at > next_run)
    ]
    return sorted(due, key=lambda p: p.approved_at or p.created_at)[:cap]


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


def send_digest(services: Services, *, run_key: str, next_run: datetime | None = None) -> DigestReport:
    """Send each approver their digest, once per `run_key` (the scheduled day): a second delivery of
    the same schedule sends nothing. An approver with nothing to decide and nothing due gets no mail:
    there is no obligation to post every day, nor to read about it."""
    outbox.deliver_owed(services)
    now = services.clock()
    if not services.store.claim_run("digest", run_key, now):
        logger.info("digest already sent", extra={"run_key": run_key})
        return DigestReport([], skipped=True)
    settings = services.settings
    proposals = expire_overdue(services, services.store.open_proposals())
    upcoming = due_next_run(proposals, next_run or now + timedelta(minutes=30), settings.publish_cap)
    language = pick_language(None)
    t = strings(language)
    expires = end_of_day(now, settings.time_zone)
    mails: list[Mail] = []
    for approver in settings.approvers:
        waiting = waiting_for(approver, proposals)
        if not waiting and not upcoming:
            continue
        paragraphs = [t["mail_digest_waiting"] if waiting else t["mail_digest_nothing"]]
        actions: list[tuple[str, str]] = []
        for number, proposal in enumerate(waiting, start=1):
            paragraphs.append(f"{number}. {compose.excerpt(proposal.text, 120)}")
            actions += compose.action_links(
                services,
                actor=approver,
                proposal=proposal,
                actions=REVIEW_ACTIONS,
                expires=expires,
                language=language,
                label_suffix=f" ({number})",
            )
        if upcoming:
            paragraphs.append(t["mail_digest_due"])
            paragraphs += [f"– {compose.excerpt(p.text, 120)}" for p in upcoming]
        actions.append(compose.desk_action(services, approver, language))
        mail = compose.compose(
            services,
            to=approver,
            subject=t["mail_digest_subject"].format(waiting=len(waiting), due=len(upcoming)),
            paragraphs=paragraphs,
            language=language,
            actions=actions,
            footer=t["mail_links_footer"],
        )
        mails.append(mail)
    outbox.send(services, mails)
    metrics.add_metric(name="DigestsSent", unit="Count", value=len(mails))
    return DigestReport([mail.to[0] for mail in mails])
