"""The publish Lambda. Three events:
- EventBridge Scheduler's morning run, `{"scheduled_time": "<aws.scheduler.scheduled-time>"}`: the
  scheduled time is the run's idempotency key, so a second delivery of it publishes nothing;
- `{"proposal_id": "..."}` from the API function, for an urgent post whose quorum was just reached;
- `{"dry_run": true}`: what would go out now, with nothing changed.

Lambda's own retries of it are off (template.yaml): the run is made safe to repeat, not retried blindly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from postdesk.errors import BadRequest
from postdesk.handlers.wiring import get_services
from postdesk.observability import logger, metrics, tracer
from postdesk.use_cases.morning_run import morning_run, publish_urgent

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    services = get_services()
    remaining_ms = context.get_remaining_time_in_millis
    proposal_id = event.get("proposal_id")
    if proposal_id is not None:
        if not isinstance(proposal_id, str) or not proposal_id:
            raise BadRequest("proposal_id must be a proposal's id")
        return publish_urgent(services, proposal_id, remaining_ms=remaining_ms).as_dict()
    dry_run = event.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise BadRequest("dry_run must be true or false")
    scheduled = event.get("scheduled_time")
    if scheduled is not None and (not isinstance(scheduled, str) or not scheduled):
        raise BadRequest("scheduled_time must be the scheduled time, as EventBridge Scheduler sends it")
    run_id = f"scheduled-{scheduled}" if scheduled else None
    report = morning_run(
        services, run_id=run_id, run_key=scheduled, dry_run=dry_run, remaining_ms=remaining_ms
    )
    return report.as_dict()
