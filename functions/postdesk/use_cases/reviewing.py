"""The approvers' side: approve, reject, request changes, edit; and the proposer's withdrawal.

Each action comes from a signed link and acts once. Every refusal is audited as well as every act."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from postdesk.domain.addresses import canonical_address
from postdesk.domain.links import APPROVE, EDIT, REJECT, REQUEST_CHANGES, REVIEW_ACTIONS, WITHDRAW, OpenedLink
from postdesk.domain.proposal import AuditEntry, Proposal
from postdesk.domain.review_rules import (
    OPEN_FOR_EDIT,
    OPEN_FOR_REVIEW,
    OPEN_FOR_WITHDRAWAL,
    check_approver,
    check_current_version,
    check_may_approve,
    check_open,
)
from postdesk.domain.states import Status
from postdesk.domain.validation import field_error, normalised_lines, plain_text_errors, post_text
from postdesk.errors import Conflict, InvalidLink, InvalidProposal, LinkAlreadyUsed, PostdeskError
from postdesk.mail import compose, outbox
from postdesk.observability import logger, metrics
from postdesk.store.proposals import LinkUse, version_item, vote_item
from postdesk.use_cases import following
from postdesk.wording import approvals_count, next_text, strings

if TYPE_CHECKING:
    from postdesk.domain.mail import Mail
    from postdesk.services import Services

MAX_COMMENT = 1000


@dataclass(frozen=True)
class Outcome:
    proposal: Proposal
    message_key: str
    approved_now: bool = False


def _via(opened: OpenedLink) -> str:
    return f"link {opened.claims.link_id}"


def refuse(services: Services, opened: OpenedLink, error: PostdeskError) -> NoReturn:
    """Audit a refused link (once), then let the error reach the person."""
    claims = opened.claims
    if getattr(error, "audited", False):
        raise error
    error.audited = True  # type: ignore[attr-defined]
    services.store.append_audit(
        AuditEntry(
            claims.proposal_id,
            services.clock(),
            claims.actor,
            f"refused {claims.action}",
            claims.version,
            _via(opened),
            error.message,
        )
    )
    raise error


def check_link(services: Services, opened: OpenedLink, *, acting: bool) -> None:
    """What every review link must satisfy, before showing its page and again before acting. The
    proposer's own links (edit when changes are asked, withdraw) follow the proposer's rules; every
    other review link is an approver's."""
    claims, proposal = opened.claims, opened.proposal
    try:
        by_proposer = canonical_address(claims.actor) == canonical_address(proposal.proposer_email)
        if claims.action == WITHDRAW:
            if not by_proposer:
                raise InvalidLink("this withdrawal link is not for this proposal", "withdraw_not_yours")
            check_open(proposal, OPEN_FOR_WITHDRAWAL, "withdrawn")
        elif claims.action == EDIT and by_proposer:
            check_current_version(claims.version, proposal)
            check_open(proposal, OPEN_FOR_EDIT, "edited")
        elif claims.action in REVIEW_ACTIONS:
            check_approver(claims.actor, services.settings.approvers)
            check_current_version(claims.version, proposal)
            if claims.action == APPROVE:
                check_may_approve(claims.actor, proposal)
                check_open(proposal, OPEN_FOR_REVIEW, "approved")
            elif claims.action in (REJECT, REQUEST_CHANGES):
                check_open(proposal, OPEN_FOR_REVIEW, "decided")
            else:
                check_open(proposal, OPEN_FOR_EDIT, "edited")
        else:
            raise InvalidLink("this link does not review a proposal", "not_a_review_link")
        # A link's single use is not checked here: the write that acts is conditioned on it.
    except PostdeskError as error:
        if acting:
            refuse(services, opened, error)
        raise


def _refusals_audited(action: Callable[..., Outcome]) -> Callable[..., Outcome]:
    """A link used twice, or a proposal moved by someone else meanwhile, is found by the write itself
    (its condition fails); the refusal is audited like any other."""

    @functools.wraps(action)
    def acting(services: Services, opened: OpenedLink, *args: Any) -> Outcome:
        try:
            return action(services, opened, *args)
        except (LinkAlreadyUsed, Conflict) as error:
            refuse(services, opened, error)

    return acting


def approve(services: Services, opened: OpenedLink) -> Outcome:
    check_link(services, opened, acting=True)
    claims, proposal = opened.claims, opened.proposal
    now = services.clock()
    approver = canonical_address(claims.actor)

    def approval_mails(approved: Proposal) -> list[Mail]:
        """Built by each attempt of the write, with the approvals as that attempt counts them; they say
        which run will publish it (or that it goes out now, or that its expiry comes first)."""
        step = following.next_step(services, approved)
        language = approved.language
        return compose.tell(
            services,
            approved,
            "mail_approved_subject",
            "mail_approved_body",
            approvals=approvals_count(len(approved.approvals), approved.quorum, language),
            next=next_text(
                step.code,
                language,
                services.settings.time_zone,
                run_at=step.run_at,
                cap=services.settings.publish_cap,
                expiry=approved.expires_at,
            ),
        )

    def quorum_line(approved: Proposal) -> AuditEntry:
        voters = ", ".join(sorted(approved.approvals))
        detail = f"{len(approved.approvals)}/{approved.quorum}: {voters}"
        return AuditEntry(
            proposal.id, now, "postdesk", "quorum reached", proposal.version, _via(opened), detail
        )

    try:
        approval = services.store.record_approval(
            proposal,
            approver,
            link_use=LinkUse(claims.link_id, approver, claims.action),
            audit=AuditEntry(proposal.id, now, approver, "approved", proposal.version, _via(opened)),
            mails_if_approved=approval_mails,
            audit_if_approved=quorum_line,
            now=now,
        )
    except LinkAlreadyUsed as error:
        refuse(services, opened, error)
    metrics.add_metric(name="Approvals", unit="Count", value=1)
    after, approved_now = approval.proposal, approval.approved_now
    if approved_now:
        logger.info("proposal approved", extra={"proposal_id": proposal.id, "version": proposal.version})
        outbox.deliver(services, approval.owed)
        if after.urgent and services.publish_now is not None:  # a call for witnesses does not wait
            try:
                services.publish_now(after.id)
            except Exception:  # approved all the same: the morning run publishes it
                logger.exception("urgent publish not started", extra={"proposal_id": after.id})
    goes_now = after.urgent and (after.not_before is None or after.not_before <= now)
    final = "approved_final_urgent" if goes_now and services.publish_now is not None else "approved_final"
    return Outcome(after, final if approved_now else "approved_vote", approved_now)


def _comment(value: str | None, field: str) -> str:
    comment = normalised_lines(value or "").strip()
    if not comment:
        raise InvalidProposal([field_error(field, "required")])
    if len(comment) > MAX_COMMENT:
        raise InvalidProposal([field_error(field, "too_long", max=MAX_COMMENT)])
    if problems := plain_text_errors(field, comment):
        raise InvalidProposal(problems)
    return comment


@_refusals_audited
def reject(services: Services, opened: OpenedLink, reason: str | None) -> Outcome:
    check_link(services, opened, acting=True)
    text = _comment(reason, "reason")
    claims, proposal = opened.claims, opened.proposal
    now = services.clock()
    approver = canonical_address(claims.actor)
    after = replace(proposal, status=Status.REJECTED, status_reason=text)
    mails = compose.tell(
        services, after, "mail_rejected_subject", "mail_rejected_body", who=approver, reason=text
    )
    outbox.transition(
        services,
        proposal,
        Status.REJECTED,
        AuditEntry(proposal.id, now, approver, "rejected", proposal.version, _via(opened), text),
        mails=mails,
        link_use=LinkUse(claims.link_id, approver, claims.action),
        changes={"status_reason": text},
        extra=[vote_item(proposal, approver, "reject", text, claims.link_id, now)],
        now=now,
    )
    metrics.add_metric(name="Rejections", unit="Count", value=1)
    return Outcome(after, "rejected_done")


@_refusals_audited
def request_changes(services: Services, opened: OpenedLink, comment: str | None) -> Outcome:
    check_link(services, opened, acting=True)
    text = _comment(comment, "comment")
    claims, proposal = opened.claims, opened.proposal
    now = services.clock()
    approver = canonical_address(claims.actor)
    after = replace(proposal, status=Status.CHANGES_REQUESTED, status_reason=text)
    t = strings(proposal.language)
    edit_url = compose.link(
        services,
        actor=proposal.proposer_email,
        proposal=after,
        action=EDIT,
        expires=now + timedelta(days=services.settings.review_link_days),
        language=proposal.language,
    )
    to_proposer = compose.to_proposer(
        services,
        after,
        "mail_changes_subject",
        [t["mail_changes_body"].format(who=approver, comment=text), t["mail_changes_edit"]],
        extra=[(t["edit_button"], edit_url)],
    )
    others = compose.tell(
        services, after, "mail_changes_subject", "mail_changes_body", who=approver, comment=text
    )[1:]  # the approvers' copies, when they asked for every decision
    outbox.transition(
        services,
        proposal,
        Status.CHANGES_REQUESTED,
        AuditEntry(proposal.id, now, approver, "changes requested", proposal.version, _via(opened), text),
        mails=[to_proposer, *others],
        link_use=LinkUse(claims.link_id, approver, claims.action),
        changes={
            "status_reason": text,
            "due_pk": None,
            "due_sk": None,
            "approvals": None,
            "approved_at": None,
        },
        extra=[vote_item(proposal, approver, "request_changes", text, claims.link_id, now)],
        now=now,
    )
    return Outcome(after, "changes_done")


@_refusals_audited
def edit(services: Services, opened: OpenedLink, new_text: str | None) -> Outcome:
    """A new version: the text changes, earlier approvals stop counting, every approver votes again."""
    check_link(services, opened, acting=True)
    claims, proposal = opened.claims, opened.proposal
    text = post_text(new_text)
    now = services.clock()
    editor = canonical_address(claims.actor)
    is_proposer = editor == canonical_address(proposal.proposer_email)
    after = replace(
        proposal,
        status=Status.PENDING,
        text=text,
        version=proposal.version + 1,
        approvals=frozenset(),
        approved_at=None,
        edited_by=None if is_proposer else editor,
        status_reason=None,
    )
    mails = compose.review_requests(services, after)
    outbox.transition(
        services,
        proposal,
        Status.PENDING,
        AuditEntry(
            proposal.id,
            now,
            editor,
            "edited",
            after.version,
            _via(opened),
            f"version {proposal.version} -> {after.version}",
        ),
        mails=mails,
        link_use=LinkUse(claims.link_id, editor, claims.action),
        changes={
            "text": text,
            "version": after.version,
            "approvals": None,
            "approved_at": None,
            "edited_by": after.edited_by,
            "status_reason": None,
            "due_pk": None,
            "due_sk": None,
        },
        extra=[version_item(proposal, now)],
        now=now,
    )
    return Outcome(after, "edited_done")


@_refusals_audited
def withdraw(services: Services, opened: OpenedLink) -> Outcome:
    check_link(services, opened, acting=True)
    claims, proposal = opened.claims, opened.proposal
    now = services.clock()
    after = replace(proposal, status=Status.WITHDRAWN)
    mails = compose.tell(
        services, after, "mail_withdrawn_subject", "mail_withdrawn_body", who=proposal.proposer_email
    )
    if proposal.status is Status.AWAITING_CONFIRMATION:  # the approvers never saw it
        mails = mails[:1]
    outbox.transition(
        services,
        proposal,
        Status.WITHDRAWN,
        AuditEntry(proposal.id, now, claims.actor, "withdrawn", proposal.version, _via(opened)),
        mails=mails,
        link_use=LinkUse(claims.link_id, claims.actor, claims.action),
        changes={},  # WITHDRAWN is final: the store takes it off the sparse indexes
        now=now,
    )
    return Outcome(after, "withdrawn_done")
