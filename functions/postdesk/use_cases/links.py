"""Signed links as people use them: open one (verify it, load its proposal: all a GET does), check that
its reader may use it now, and do what it is for, once (the page's button and the JSON API alike)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from postdesk.domain.addresses import canonical_address
from postdesk.domain.links import (
    ALL_PROPOSALS,
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
    resolve_actor,
    verify,
)
from postdesk.domain.review_rules import NotAnApprover
from postdesk.errors import InvalidLink, LinkAlreadyUsed
from postdesk.use_cases import reviewing, settling

if TYPE_CHECKING:
    from postdesk.services import Services
    from postdesk.use_cases.reviewing import Outcome


# The links that act (once): their page says so when the link was used, before anyone presses.
ACTING = frozenset({*REVIEW_ACTIONS, WITHDRAW, *SETTLING_ACTIONS})
# The actions a link's page knows. A link signed for any other (one retired since it was mailed, or one
# a newer version of postdesk signed) says so on its page, and does nothing.
PAGE_ACTIONS = frozenset({CONFIRM, *REVIEW_ACTIONS, WITHDRAW, *SETTLING_ACTIONS, FOLLOW, SENT, DESK, LIST})


def verify_link(services: Services, token: str) -> LinkClaims:
    """A genuine, unexpired link whose action postdesk knows (InvalidLink otherwise). A link about no one
    proposal (the desk) is an approver's: its reader is found among them here; a proposal's link finds
    its reader once the proposal is loaded."""
    claims = verify(token, services.signing_keys(), services.clock())
    if claims.action not in PAGE_ACTIONS:
        raise InvalidLink("this link asks for an action postdesk does not know", "unknown_action")
    if claims.proposal_id == ALL_PROPOSALS:
        return _reader_found(services, claims, [])
    return claims


def open_link(services: Services, token: str) -> OpenedLink:
    """Check a link and load what it is about; a GET calls only this, so it never changes anything."""
    return load_link(services, verify_link(services, token))


def load_link(services: Services, claims: LinkClaims) -> OpenedLink:
    """The proposal a verified link is about, and who the link is for: its author or an approver."""
    proposal = services.store.get(claims.proposal_id)
    return OpenedLink(_reader_found(services, claims, [proposal.proposer_email]), proposal)


def _reader_found(services: Services, claims: LinkClaims, also: list[str]) -> LinkClaims:
    if claims.actor or not claims.actor_hash:
        return claims
    reader = resolve_actor(claims, services.signing_keys(), [*also, *services.settings.approvers])
    if reader is None:  # an approver since removed (their address is no longer known to postdesk)
        raise NotAnApprover("this link's reader is no longer an approver", "no_longer_an_approver")
    return replace(claims, actor=reader)


def check(services: Services, opened: OpenedLink) -> None:
    """What a link's page checks before showing its form: the same checks the action makes before it
    acts, without acting (a confirmation link's page says itself why it can no longer confirm)."""
    action = opened.claims.action
    if action in ACTING and services.store.link_was_used(opened.proposal.id, opened.claims.link_id):
        raise LinkAlreadyUsed("this link has already been used", "link_used")  # said when opened, too
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
