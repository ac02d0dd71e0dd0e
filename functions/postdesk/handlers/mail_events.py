"""The mail events Lambda: SES publishes each bounce, complaint and reject of a sent mail (the stack's
configuration set) to an SNS topic that invokes this function. Each lands on the proposal's audit log
(the proposal's id travels as the mail's `proposal` tag) and counts in the `MailBounced` metric, whose
alarm tells the operator. Recipients' addresses go to the audit log, never to the logs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from postdesk.domain.proposal import AuditEntry
from postdesk.handlers.wiring import get_services
from postdesk.mail.ses import PROPOSAL_TAG
from postdesk.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# SES's event type -> (audit action, log message, the part of the event that says who and why)
_KINDS = {
    "Bounce": ("mail_bounced", "mail bounced", "bounce"),
    "Complaint": ("mail_complaint", "mail complaint", "complaint"),
    "Reject": ("mail_rejected", "mail rejected by SES", "reject"),
}


def _recipients(kind: str, detail: dict[str, Any]) -> list[str]:
    listed = detail.get("bouncedRecipients" if kind == "Bounce" else "complainedRecipients") or []
    return [str(entry.get("emailAddress", "")) for entry in listed if isinstance(entry, dict)]


def _reason(kind: str, detail: dict[str, Any]) -> str:
    if kind == "Bounce":
        return f"{detail.get('bounceType', '?')}/{detail.get('bounceSubType', '?')}"
    if kind == "Complaint":
        return str(detail.get("complaintFeedbackType") or "complaint")
    return str(detail.get("reason") or "rejected")


def record(notification: dict[str, Any]) -> str | None:
    """One SES event: on the proposal's audit log when the mail names one; answers the action."""
    kind = str(notification.get("eventType") or notification.get("notificationType") or "")
    if kind not in _KINDS:
        logger.info("mail event ignored", extra={"event_type": kind})
        return None
    action, message, part = _KINDS[kind]
    detail = notification.get(part) or {}
    mail = notification.get("mail") or {}
    tags = mail.get("tags") or {}
    proposal_id = next(iter(tags.get(PROPOSAL_TAG) or []), "")
    subject = str((mail.get("commonHeaders") or {}).get("subject", ""))
    recipients = _recipients(kind, detail)
    reason = _reason(kind, detail)
    logger.warning(
        message,
        extra={
            "proposal_id": proposal_id,
            "bounce_type": reason,
            "recipients": len(recipients),
            "ses_message_id": mail.get("messageId"),
        },
    )
    metrics.add_metric(name="MailBounced", unit="Count", value=max(len(recipients), 1))
    if proposal_id:
        services = get_services()
        services.store.append_audit(
            AuditEntry(
                proposal_id,
                services.clock(),
                "ses",
                action,
                0,
                "ses",
                f"{subject} to {', '.join(recipients) or '?'}: {reason}",
            )
        )
    return action


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    recorded: list[str | None] = []
    for entry in event.get("Records") or []:
        try:
            notification = json.loads(entry["Sns"]["Message"])
        except (KeyError, TypeError, ValueError):
            # A message that is not SES's would fail the same way on every retry: said, then dropped.
            logger.error(
                "not an SES mail event", extra={"message_id": (entry.get("Sns") or {}).get("MessageId")}
            )
            recorded.append(None)
            continue
        recorded.append(record(notification))
    return {"recorded": recorded}
