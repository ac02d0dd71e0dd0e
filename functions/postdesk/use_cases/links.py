"""Signed links as people use them: open one (verify it, load its proposal: all a GET does), check that
its reader may use it now, and do what it is for, once (the page's button and the JSON API alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from postdesk.domain.addresses import canonical_address
from postdesk.domain.links import (
    APPROVE,
    CONFIRM,
    DESK,
    EDIT,
    FOLLOW,
    LIST,
    REJECT,
    REQUEST_CHANGES,
    REVIEW_ACTIONS,
    SENT,
    SETTLING_ACTIONS,
    WITHDRAW,
    LinkClaims,
    OpenedLink,
    verify,
)
from postdesk.domain.review_rules import check_approver
from postdesk.errors import InvalidLink
from postdesk.use_cases import reviewing, settling

if TYPE_CHECKING:
    from postdesk.services import Services
    from postdesk.use_cases.reviewing import Outcome


# The actions a link's page knows. A link signed for any other (one retired since it was mailed, or one
# a newer version of postdesk signed) says so on its page, and does nothing.
PAGE_ACTIONS = frozenset({CONFIRM, *REVIEW_ACTIONS, WITHDRAW, *SETTLING_ACTIONS, FOLLOW, SENT, DESK, LIST})


def verify_link(services: Services, token: str) -> LinkClaims:
    """The claims of a genuine, unexpired link whose action postdesk knows; InvalidLink otherwise."""
    claims = verify(token, services.signing_keys(), services.clock())
    if claims.action not in PAGE_ACTIONS:
        raise InvalidLink("this link asks for an action postdesk does not know", "unknown_action")
    return claims


def open_link(services: Services, token: str) -> OpenedLink:
    """Check a link and load what it is about; a GET calls only this, so it never changes anything."""
    return load_link(services, verify_link(services, token))


def load_link(services: Services, claims: LinkClaims) -> OpenedLink:
    """The proposal a verified link is about."""
    return OpenedLink(claims, services.store.get(claims.proposal_id))


def check(services: Services, opened: OpenedLink) -> None:
    """What a link's page checks before showing its form: the same checks the action makes before it
    acts, without acting (a confirmation link's page says itself why it can no longer confirm)."""
    action = opened.claims.action
    if action in SETTLING_ACTIONS:
        settling.check_link(services, opened, acting=False)
    elif action in (FOLLOW, SENT):
        check_proposers_page(opened)
    elif action != CONFIRM:
        reviewing.check_link(services, opened, acting=False)


def check_proposers_page(opened: OpenedLink) -> None:
    """The follow-up page is its proposer's, whatever becomes of the proposal."""
    if canonical_address(opened.claims.actor) != canonical_address(opened.proposal.proposer_email):
        raise InvalidLink("this page is not for this proposal's author", "not_a_follow_link")


def perform(services: Services, opened: OpenedLink, form: dict[str, str]) -> Outcome:
    """Do what the link is for, once: the one use case behind both the page's button and the JSON API."""
    action = opened.claims.action
    if action == APPROVE:
        return reviewing.approve(services, opened)
    if action == REJECT:
        return reviewing.reject(services, opened, form.get("reason"))
    if action == REQUEST_CHANGES:
        return reviewing.request_changes(services, opened, form.get("comment"))
    if action == EDIT:
        return reviewing.edit(services, opened, form.get("text"))
    if action == WITHDRAW:
        return reviewing.withdraw(services, opened)
    if action in SETTLING_ACTIONS:
        return settling.resolve(services, opened, form)
    if action in (FOLLOW, SENT):
        raise InvalidLink("this page only shows: it does nothing", "shows_only")
    raise InvalidLink("this link does not perform an action", "unknown_action")


def check_list_link(services: Services, claims: LinkClaims) -> None:
    """The list of proposals and the audit log: for an approver, with a list link."""
    if claims.action != LIST:
        raise InvalidLink("this link does not open the list of proposals", "not_a_list_link")
    check_approver(claims.actor, services.settings.approvers)
