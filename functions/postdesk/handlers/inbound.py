"""The inbound mail Lambda: SES's receipt rule keeps the raw message in S3, then invokes this function
asynchronously (failures are retried, then sent to the on-failure queue). Each mail ends with a
recorded outcome; what it returns is for the local stack's console, Lambda's Event invocation drops it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from postdesk.handlers.wiring import get_services
from postdesk.inbound_mail.ses_event import received_mails
from postdesk.observability import logger, metrics, tracer
from postdesk.use_cases.emailed_proposals import receive

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(correlation_id_path="Records[0].ses.mail.messageId", log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    services = get_services()
    outcomes = [receive(services, mail) for mail in received_mails(event)]
    return {"outcomes": [outcome.as_json() for outcome in outcomes]}
