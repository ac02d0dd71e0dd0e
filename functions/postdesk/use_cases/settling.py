"""A person settles what the morning run could not: a post in NEEDS_RECONCILE (did it go out?) or
FAILED (X refused it), through the signed links of the alert mail.

- "it was published", with the post's address: recorded as published, nothing posted;
- "publish it again": approved again, due at once, at its old place in the queue;
- "abandon it": FAILED for good, the proposer and approvers told.

Each link acts once, only for an approver, only on the version it was sent for; every act and every
refusal lands in the audit log."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from postdesk.domain.addresses import canonical_address
from postdesk.domain.links import ABANDON, MARK_PUBLISHED, PUBLISH_AGAIN, SETTLING_ACTIONS, OpenedLink
from postdesk.domain.proposal import AuditEntry
from postdesk.domain.review_rules import check_approver, check_current_version, check_open
from postdesk.domain.states import ABANDONED_BY, Status, is_abandoned
from postdesk.errors import Conflict, FieldError, InvalidLink, InvalidProposal, LinkAlreadyUsed, PostdeskError
from postdesk.mail import compose, outbox
from postdesk.observability import logger
from postdesk.store.proposals import LinkUse, due_again, published_at
from postdesk.use_cases.reviewing import Outcome, refuse

if TYPE_CHECKING:
    from postdesk.services import Services

OPEN_FOR = {
    MARK_PUBLISHED: frozenset({Status.NEEDS_RECONCILE}),
    PUBLISH_AGAIN: frozenset({Status.NEEDS_RECONCILE, Status.FAILED}),
    ABANDON: frozenset({Status.NEEDS_RECONCILE, Status.FAILED}),
}
DOING = {MARK_PUBLISHED: "marked_published", PUBLISH_AGAIN: "published_again", ABANDON: "abandoned"}
MAX_URL = 300
_X_POST_URL = re.compile(
    r"https://(?:www\.|mobile\.)?(?:x|twitter)\.com/(i/web|i|[A-Za-z0-9_]{1,15})/status/(\d{1,20})(?:[/?#][^\s\x00-\x1f]*)?"
)
DUPLICATE = "duplicate_content"  # the reason code of X's duplicate refusal (publishing again can't succeed)


def check_link(services: Services, opened: OpenedLink, *, acting: bool) -> None:
    """Before showing the page and again before acting: an approver, the current version, a post
    still waiting for this decision, a link not used yet."""
    claims, proposal = opened.claims, opened.proposal
    try:
        if claims.action not in SETTLING_ACTIONS:
            raise InvalidLink("this link does not settle a post", "not_a_settle_link")
        if canonical_address(claims.actor) == canonical_address(proposal.proposer_email) and (
            canonical_address(claims.actor) not in services.settings.approvers
        ):
            raise InvalidLink("only approvers settle a post", "settle_approvers_only")
        check_approver(claims.actor, services.settings.approvers)
        check_current_version(claims.version, proposal)
        check_open(proposal, OPEN_FOR[claims.action], DOING[claims.action])
        if claims.action == PUBLISH_AGAIN and proposal.reason_code == DUPLICATE:
            raise Conflict(
                "publishing again would be refused as a duplicate", "duplicate_cannot_publish_again"
            )
        if is_abandoned(proposal.status, proposal.status_reason):
            raise Conflict(f"this post was {proposal.status_reason}: it stays as it is", "abandoned_already")
        if acting and services.store.link_was_used(proposal.id, claims.link_id):
            raise LinkAlreadyUsed("this link has already been used", "link_used")
    except PostdeskError as error:
        if acting:
            refuse(services, opened, error)
        raise


def post_id_of(url: str, *, account: str = "", local_timeline: str = "") -> str:
    """The id of the post at `url`: a post of the configured X `account` (any account's when none is
    configured), or, in the local stack, a post of its own timeline."""
    address = url.strip()
    if local_timeline:
        if address.startswith(f"{local_timeline}#post-") and address.rsplit("-", 1)[-1].isdigit():
            return address.rsplit("-", 1)[-1]
    else:
        match = _X_POST_URL.fullmatch(address)
        if match and account and match.group(1).lower() != account.lower():
            raise InvalidProposal.one(
                "url", f"is not a post of @{account}", "not_our_account", account=account
            )
        if match:
            return match.group(2)
    raise InvalidProposal(
        [
            FieldError(
                "url",
                "must be the address of the post on X, such as https://x.com/account/status/123",
                "bad_post_url",
            )
        ]
    )


def resolve(services: Services, opened: OpenedLink, form: dict[str, str]) -> Outcome:
    check_link(services, opened, acting=True)
    claims, proposal = opened.claims, opened.proposal
    now = services.clock()
    who = canonical_address(claims.actor)
    via = f"link {claims.link_id}"
    link_use = LinkUse(claims.link_id, who, claims.action)
    if claims.action == MARK_PUBLISHED:
        url = (form.get("url") or "").strip()[:MAX_URL]
        if not url:
            raise InvalidProposal([FieldError("url", "is required", "required")])
        settings = services.settings
        local = f"{settings.public_base_url}/_local/timeline" if settings.channel == "local" else ""
        post_id = post_id_of(url, account=settings.x_account, local_timeline=local)
        after = replace(proposal, status=Status.PUBLISHED, post_id=post_id, post_url=url)
        outbox.transition(
            services,
            proposal,
            Status.PUBLISHED,
            AuditEntry(proposal.id, now, who, "marked published", proposal.version, via, url),
            mails=compose.published(services, after, url),
            link_use=link_use,
            changes={
                "post_id": post_id,
                "post_url": url,
                "published_at": now,
                "status_reason": None,
                **published_at(proposal.id, now),
            },
            now=now,
        )
        return Outcome(after, "marked_published_done")
    if claims.action == PUBLISH_AGAIN:
        after = replace(proposal, status=Status.APPROVED, status_reason=None)
        services.store.transition(
            proposal,
            Status.APPROVED,
            AuditEntry(
                proposal.id, now, who, "publish again", proposal.version, via, proposal.status_reason or ""
            ),
            link_use=link_use,
            changes={"status_reason": None, **due_again(proposal, now)},
            now=now,
        )
        if proposal.urgent and services.publish_now is not None:
            try:
                services.publish_now(proposal.id)
            except Exception:  # the morning run publishes it anyway
                logger.exception("urgent publish not started", extra={"proposal_id": proposal.id})
        return Outcome(after, "publish_again_done")
    reason = f"{ABANDONED_BY}{who}"
    after = replace(proposal, status=Status.FAILED, status_reason=reason)
    outbox.transition(
        services,
        proposal,
        Status.FAILED,
        AuditEntry(proposal.id, now, who, "abandoned", proposal.version, via, proposal.status_reason or ""),
        mails=compose.abandoned(services, after, who),
        link_use=link_use,
        changes={"status_reason": reason, "due_pk": None, "due_sk": None},
        now=now,
    )
    return Outcome(after, "abandoned_done")
