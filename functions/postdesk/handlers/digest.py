"""The digest Lambda, run by EventBridge Scheduler before the morning run (default 07:30, the
organisation's time zone). The scheduled time names the day, so a repeated delivery sends nothing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from postdesk.handlers.wiring import get_services
from postdesk.observability import logger, metrics, tracer
from postdesk.use_cases.digest import send_digest

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


def _scheduled_time(event: dict[str, Any], fallback: datetime) -> datetime:
    raw = event.get("scheduled_time") or event.get("time")
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            logger.warning("unreadable scheduled time; using now", extra={"scheduled_time": raw})
    return fallback


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    services = get_services()
    scheduled = _scheduled_time(event, services.clock())
    day = scheduled.astimezone(ZoneInfo(services.settings.time_zone)).date().isoformat()
    # A run asked for by hand (`POST /_local/digest`) names itself; a scheduled one is its day's.
    report = send_digest(services, run_key=str(event.get("run_key") or day))
    return {"day": day, "sent_to": report.sent_to, "skipped": report.skipped}
