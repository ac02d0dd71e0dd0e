"""Delivering owed mail. A mail is stored as owed in the same transaction as the change that causes it,
sent right after, and removed once SES has taken it; what fails stays owed and is sent again by the
next sweep (every few minutes, and before each digest and morning run), with an alert when it keeps
failing. So a mail is never lost with the request that caused it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from postdesk.domain.proposal import AuditEntry
from postdesk.observability import logger, metrics
from postdesk.proposal_store import mail_of
from postdesk.services import Services
from postdesk.table import OutboxItem

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
