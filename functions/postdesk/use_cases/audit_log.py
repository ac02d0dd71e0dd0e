"""The audit log as people take it away: one row per line, as JSON or as CSV a spreadsheet opens safely
(a cell that starts like a formula is kept as text, never run)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from postdesk.domain.proposal import AuditEntry

AUDIT_COLUMNS = ("at", "proposal_id", "version", "actor", "action", "via", "detail")


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "proposal_id": entry.proposal_id,
        "version": entry.version,
        "actor": entry.actor,
        "action": entry.action,
        "via": entry.via,
        "detail": entry.detail,
    }


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv(entries: list[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    for entry in entries:
        row = audit_row(entry)
        writer.writerow([spreadsheet_safe(row[column]) for column in AUDIT_COLUMNS])
    return out.getvalue()
