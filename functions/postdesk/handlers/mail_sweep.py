"""The mail sweep Lambda, every few minutes: sends again what an earlier attempt left owed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from postdesk.handlers.wiring import get_services
from postdesk.mail.outbox import deliver_owed
from postdesk.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"sent": deliver_owed(get_services())}
