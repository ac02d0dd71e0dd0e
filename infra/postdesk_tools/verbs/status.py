"""`postdesk status`: where things stand, and what needs a person.

Counts per state come from reading every proposal (a scan of a table that stays small at this use);
the next runs from the stack's schedules; owed mail from its partition; what needs a person from the
proposals' states, the owed mail, and on a deployed stack its alarms and the inbound failure queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from postdesk_tools.verbs import product
from postdesk_tools.verbs.schedules import UnknownSchedule, next_runs

if TYPE_CHECKING:
    import argparse

    from postdesk_tools.verbs.output import Output
    from postdesk_tools.verbs.targets import Target


def when(moment: datetime | None, time_zone: str) -> str:
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M") if moment else ""


def _next_runs(target: Target, now: datetime) -> dict[str, Any]:
    schedules = target.schedules()
    if schedules is None:
        return {"known": False, "note": "no schedule known for this stack (name it with --stack)"}
    runs: dict[str, Any] = {"known": True, "time_zone": schedules.time_zone, "note": schedules.note}
    for name, expression in (("digest", schedules.digest), ("morning run", schedules.publish)):
        try:
            upcoming = next_runs(expression, schedules.time_zone, now, count=2)
            runs[name] = {"expression": expression, "next": [moment.isoformat() for moment in upcoming]}
        except UnknownSchedule as error:
            runs[name] = {"expression": expression, "next": [], "problem": str(error)}
    return runs


def needs_a_person(
    proposals: list[product.Proposal], owed: list[product.OutboxItem], target: Target, now: datetime
) -> list[dict[str, str]]:
    found = []
    for proposal in proposals:
        if proposal.status is product.Status.NEEDS_RECONCILE:
            found.append(
                {
                    "what": "was it posted? (NEEDS_RECONCILE)",
                    "subject": proposal.id,
                    "detail": (proposal.status_reason or "")
                    + " — settle it from the alert mail's links, after looking at the account",
                }
            )
        elif proposal.status is product.Status.FAILED and not product.is_abandoned(
            proposal.status, proposal.status_reason
        ):
            found.append(
                {"what": "publishing failed", "subject": proposal.id, "detail": proposal.status_reason or ""}
            )
        elif (
            proposal.status is product.Status.PUBLISHING
            and proposal.claimed_at is not None
            and now - proposal.claimed_at > product.CLAIM_LEASE
        ):
            found.append(
                {
                    "what": "claimed by a run that did not finish",
                    "subject": proposal.id,
                    "detail": f"run {proposal.run_id}; the next run checks the account before posting it",
                }
            )
    for item in owed:
        if int(item.attempts or 0) >= product.ALERT_AFTER_ATTEMPTS:
            found.append(
                {
                    "what": "mail that keeps failing",
                    "subject": str(item.subject),
                    "detail": f"{item.attempts} attempts; last: {item.last_error}",
                }
            )
    if target.variable("CHANNEL") == "x" and not target.variable("X_CREDENTIALS_SECRET"):
        found.append(
            {
                "what": "no X credentials",
                "subject": "XCredentialsSecretName is empty",
                "detail": "nothing is published: see the README's Deploy section, the X developer app",
            }
        )
    found += [{"what": a.what, "subject": a.subject, "detail": a.detail} for a in target.attention()]
    return found


def gather(target: Target) -> dict[str, Any]:
    now = datetime.now(UTC)
    with product.acting_on(target.environment):
        services = product.services()
        proposals = list(services.store.all())
        owed = services.store.owed_mail()
        due = services.store.due(now)
        settings = services.settings
        approvers = settings.approvers
        time_zone = settings.time_zone
    counts = {state.value: 0 for state in product.Status}
    for proposal in proposals:
        counts[proposal.status.value] += 1
    oldest = min((item.created_at for item in owed), default=None)
    return {
        "stack": target.label,
        "time_zone": time_zone,
        "approvers": approvers,
        "proposals": {"total": len(proposals), "by_state": counts},
        "due_now": len(due),
        "publish_cap": settings.publish_cap,
        "next_runs": _next_runs(target, now),
        "owed_mail": {"count": len(owed), "oldest": oldest.isoformat() if oldest else None},
        "needs_a_person": needs_a_person(proposals, owed, target, now),
    }


def run_status(target: Target, out: Output, args: argparse.Namespace) -> int:
    with out.progress(f"Reading {target.label}"):
        report = gather(target)
    if out.as_json:
        out.document(report)
        return 0
    zone = report["time_zone"]
    out.heading(f"postdesk: {report['stack']}")
    out.line(f"Approvers today: {', '.join(report['approvers'])}")
    counts = report["proposals"]["by_state"]
    out.table(
        ["state", "proposals"],
        [[state, count] for state, count in counts.items() if count]
        + [["total", report["proposals"]["total"]]],
        title="Proposals",
    )
    runs = report["next_runs"]
    if runs["known"]:
        rows = []
        for name in ("digest", "morning run"):
            entry = runs[name]
            upcoming = ", ".join(when(datetime.fromisoformat(moment), zone) for moment in entry["next"])
            rows.append([name, entry["expression"], upcoming or entry.get("problem", "none")])
        out.table(["run", "schedule", f"next ({zone})"], rows, title="Next runs")
        if runs["note"]:
            out.line(f"({runs['note']})")
    else:
        out.line(runs["note"])
    out.line(f"Approved and due now: {report['due_now']} (a run publishes at most {report['publish_cap']}).")
    owed = report["owed_mail"]
    if owed["count"]:
        oldest = when(datetime.fromisoformat(owed["oldest"]), zone)
        out.line(f"Owed mail: {owed['count']}, the oldest since {oldest} (sent again every five minutes).")
    else:
        out.line("Owed mail: none (every mail was handed to SES).")
    attention = report["needs_a_person"]
    if attention:
        out.table(
            ["needs a person", "what", "detail"],
            [[entry["what"], entry["subject"], entry["detail"]] for entry in attention],
            title="Needs a person",
        )
    else:
        out.line("Nothing needs a person.")
    return 0
