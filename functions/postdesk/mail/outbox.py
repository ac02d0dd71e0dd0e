"""Owed mail. A mail is stored as owed in the same transaction as the change that causes it, sent right
after, and removed once SES has taken it; what fails stays owed and is sent again by the next sweep
(every few minutes, and before each digest and morning run), with an alert when it keeps failing. So
a mail is never lost with the request that caused it.

`transition` is how every use case changes a proposal's state and tells people: the store's
conditional write with the mails it owes, then their delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from postdesk.domain.proposal import AuditEntry
from postdesk.observability import logger, metrics
from postdesk.store.proposals import mail_of, owed_items

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pynamodb.models import Model

    from postdesk.domain.mail import Mail
    from postdesk.domain.proposal import Proposal
    from postdesk.domain.states import Status
    from postdesk.services import Services
    from postdesk.store.table import OutboxItem

ALERT_AFTER_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=1)


def deliver(services: Services, items: Sequence[OutboxItem]) -> int:
    """Send each owed mail now; returns how many went out."""
    sent = 0
    for item in items:
        try:
            services.mailer.send(mail_of(item))
        except Exception as error:
            attempts = services.store.mail_failed(item, f"{type(error).__name__}: {error}") + 1
            logger.warning(
                "mail not sent; it stays owed", extra={"subject": item.subject, "attempts": attempts}
            )
            metrics.add_metric(name="MailFailed", unit="Count", value=1)
            if item.proposal_id:
                services.store.append_audit(
                    AuditEntry(
                        item.proposal_id,
                        services.clock(),
                        "postdesk",
                        "mail_failed",
                        0,
                        "ses",
                        f"{item.subject} to {', '.join(map(str, item.to))}: {error}",
                    )
                )
            if attempts == ALERT_AFTER_ATTEMPTS:
                logger.error("mail keeps failing", extra={"subject": item.subject, "to": list(item.to)})
                metrics.add_metric(name="MailUndeliverable", unit="Count", value=1)
            continue
        services.store.mail_sent(item)
        sent += 1
    return sent


def deliver_owed(services: Services) -> int:
    """Send again what earlier attempts left owed (older than a minute, so as not to race a request
    that is sending its own mail right now)."""
    cutoff = services.clock() - RETRY_AFTER
    owed = [item for item in services.store.owed_mail() if item.created_at <= cutoff]
    return deliver(services, owed) if owed else 0


def transition(
    services: Services,
    proposal: Proposal,
    target: Status,
    audit: AuditEntry,
    *,
    mails: Sequence[Mail] = (),
    now: datetime,
    **write: Any,
) -> Proposal:
    """Move `proposal` to `target` (the store's conditional write, with `write`'s link use, changes,
    extra items and claim), owing `mails` in the same transaction; then send them. Raises what the
    store raises when the write is refused, and then nothing is owed or sent."""
    owed = owed_items(mails, proposal.id, now)
    moved = services.store.transition(proposal, target, audit, owed=owed, now=now, **write)
    deliver(services, owed)
    return moved


def create(
    services: Services,
    proposal: Proposal,
    audit: AuditEntry,
    *,
    mails: Sequence[Mail],
    extra: Sequence[Model] = (),
) -> None:
    """Store a new proposal with the mails it owes (and `extra` records) in one write; then send them."""
    owed = owed_items(mails, proposal.id, audit.at)
    services.store.create(proposal, audit, owed, extra)
    deliver(services, owed)


def send(services: Services, mails: Sequence[Mail], *, proposal_id: str = "") -> int:
    """Mails that go with no change of state (the digest, an alert): owed first, then sent."""
    owed = owed_items(mails, proposal_id, services.clock())
    services.store.owe_mail(owed)
    return deliver(services, owed)
