"""`postdesk publish [--dry-run]`: the morning run, now, by an operator's hand.

It runs the very use case the scheduled function runs, against the environment's table and channel,
with a new run id each time (a scheduled time is what makes a run happen once; an operator asking
again means it)."""

from __future__ import annotations

import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from postdesk.errors import PostdeskError
from postdesk.mail.compose import excerpt
from postdesk.use_cases.morning_run import RunReport, morning_run, new_run_id


def describe(report: RunReport, time_zone: str) -> list[str]:
    """The report as lines for a person at a terminal."""
    zone = ZoneInfo(time_zone)
    lines: list[str] = []
    if report.dry_run:
        if not report.would_publish:
            lines.append("Nothing is due: nothing would go out (a normal day).")
        else:
            lines.append(f"Would publish, in this order ({len(report.would_publish)}):")
        for entry in report.would_publish:
            approved = entry["approved_at"]
            when = (
                datetime.fromisoformat(approved).astimezone(zone).strftime("%d/%m/%Y %H:%M")
                if approved
                else "?"
            )
            lines.append(f"  {entry['id']}  approved {when}  {excerpt(entry['text'], 70)}")
        if report.deferred:
            lines.append(f"Beyond the cap, waiting for a later run: {', '.join(report.deferred)}")
        if report.expired:
            lines.append(f"Past their expiry (a real run marks them EXPIRED): {', '.join(report.expired)}")
        lines.append("Dry run: nothing was changed.")
        return lines
    for entry in report.published:
        lines.append(f"published {entry['id']}: {entry['url']}")
    for label, ids in (
        ("failed", report.failed),
        ("needs a person (NEEDS_RECONCILE)", report.needs_reconcile),
        ("expired", report.expired),
        ("waiting for a later run", report.deferred),
    ):
        if ids:
            lines.append(f"{label}: {', '.join(ids)}")
    if report.stopped:
        lines.append(f"The run stopped early: {report.stopped}")
    if len(lines) == 0:
        lines.append("Nothing was due: nothing went out (a normal day).")
    return [f"run {report.run_id}", *lines]


def publish_now(*, dry_run: bool) -> int:
    from postdesk.handlers.wiring import get_services

    try:
        services = get_services()
        report = morning_run(services, run_id=new_run_id("manual"), dry_run=dry_run)
    except PostdeskError as error:
        print(f"postdesk publish: {error.message}", file=sys.stderr)
        return 2
    for line in describe(report, services.settings.time_zone):
        print(line)
    return 1 if report.stopped and not report.published else 0
