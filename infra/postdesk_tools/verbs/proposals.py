"""`postdesk list`, `show` and `export-audit`: the proposals as the table holds them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from postdesk_tools.verbs import product
from postdesk_tools.verbs.status import when
from postdesk_tools.verbs.targets import OperatorError

if TYPE_CHECKING:
    import argparse

    from postdesk_tools.verbs.output import Output
    from postdesk_tools.verbs.targets import Target

STATES = [state.value for state in product.Status]


def state_name(raw: str) -> str:
    """A state as typed (`needs_reconcile`, `Pending`): its name."""
    name = raw.strip().upper().replace("-", "_")
    if name not in STATES:
        raise OperatorError(f"{raw!r} is not a state; the states are {', '.join(STATES)}", exit_code=2)
    return name


def _summary(proposal: product.Proposal) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "status": proposal.status.value,
        "kind": proposal.kind.value,
        "version": proposal.version,
        "approvals": len(proposal.approvals),
        "quorum": proposal.quorum,
        "created_at": proposal.created_at.isoformat(),
        "text": proposal.text,
    }


def run_list(target: Target, out: Output, args: argparse.Namespace) -> int:
    state = state_name(args.state) if args.state else None
    with out.progress(f"Reading the proposals of {target.label}"), product.acting_on(target.environment):
        services = product.services()
        proposals = sorted(services.store.all(), key=lambda p: p.created_at, reverse=True)
        zone = services.settings.time_zone
    if state:
        proposals = [p for p in proposals if p.status.value == state]
    if out.as_json:
        out.document([_summary(p) for p in proposals])
        return 0
    if not proposals:
        out.line(f"No proposal is {state}." if state else "No proposal yet.")
        return 0
    out.table(
        ["id", "state", "kind", "v", "approvals", f"created ({zone})", "text"],
        [
            [
                p.id,
                p.status.value,
                p.kind.value,
                p.version,
                f"{len(p.approvals)}/{p.quorum}",
                when(p.created_at, zone),
                product.excerpt(p.text, 50),
            ]
            for p in proposals
        ],
        title=f"{len(proposals)} proposal(s), newest first" + (f", {state}" if state else ""),
    )
    return 0


def run_show(target: Target, out: Output, args: argparse.Namespace) -> int:
    with product.acting_on(target.environment):
        services = product.services()
        try:
            proposal = services.store.get(args.id)
        except product.NotFound:
            raise OperatorError(f"there is no proposal {args.id} in {target.label}") from None
        votes = services.store.votes(args.id)
        history = services.store.audit_log(args.id)
        zone = services.settings.time_zone
    if out.as_json:
        out.document(
            {
                **_summary(proposal),
                "proposer_email": proposal.proposer_email,
                "status_reason": proposal.status_reason,
                "judicial_risk": proposal.judicial_risk,
                "urgent": proposal.urgent,
                "not_before": proposal.not_before,
                "expires_at": proposal.expires_at,
                "approved_at": proposal.approved_at,
                "post_url": proposal.post_url,
                "images": [
                    {"alt": image.alt, "content_type": image.content_type} for image in proposal.images
                ],
                "votes": [
                    {
                        "approver": v.approver,
                        "version": v.version,
                        "decision": v.decision,
                        "comment": v.comment,
                        "at": v.at,
                    }
                    for v in votes
                ],
                "history": product.audit_rows(history),
            }
        )
        return 0
    out.heading(
        f"Proposal {proposal.id}: {proposal.status.value}"
        + (f" ({proposal.status_reason})" if proposal.status_reason else "")
    )
    facts: list[list[object]] = [
        [
            "kind",
            proposal.kind.value
            + (", judicial risk" if proposal.judicial_risk else "")
            + (", urgent" if proposal.urgent else ""),
        ],
        ["version", proposal.version],
        [
            "approvals",
            f"{len(proposal.approvals)} of {proposal.quorum}: "
            + (", ".join(sorted(proposal.approvals)) or "none yet"),
        ],
        ["proposer", proposal.proposer_email],
        ["created", when(proposal.created_at, zone)],
        ["not before", when(proposal.not_before, zone)],
        ["expires", when(proposal.expires_at, zone)],
        ["approved", when(proposal.approved_at, zone)],
        ["published", f"{when(proposal.published_at, zone)} {proposal.post_url or ''}".strip()],
        ["images", "; ".join(f"{image.alt} ({image.content_type})" for image in proposal.images)],
    ]
    out.table(["", f"({zone})"], [row for row in facts if str(row[1]).strip()])
    out.line("Text:")
    for text_line in proposal.text.splitlines() or [""]:
        out.line(f"  {text_line}")
    if votes:
        out.table(
            ["approver", "version", "decision", "comment", "at"],
            [[v.approver, v.version, v.decision, v.comment, when(v.at, zone)] for v in votes],
            title="Votes",
        )
    else:
        out.line("Votes: none.")
    out.table(
        ["at", "who", "what", "version", "through", "detail"],
        [[when(e.at, zone), e.actor, e.action, e.version, e.via, e.detail] for e in history],
        title="History",
    )
    return 0


def run_export(target: Target, out: Output, args: argparse.Namespace) -> int:
    with out.progress(f"Reading the audit log of {target.label}"), product.acting_on(target.environment):
        entries = product.services().store.whole_audit_log()
    if out.as_json or args.format == "json":
        out.document(product.audit_rows(entries))
    else:
        print(product.audit_csv(entries), end="")
    return 0
