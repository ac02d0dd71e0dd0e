"""The proposer's side of a proposal's life: submit it, then confirm it by the link mailed to them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import TransactWriteError

from postdesk.domain.addresses import canonical_address
from postdesk.domain.flood_limits import counters, refusal
from postdesk.domain.links import (
    ALL_PROPOSALS,
    CONFIRM,
    PROPOSE,
    SENT,
    LinkClaims,
    OpenedLink,
    new_link_id,
    sign,
    verify,
)
from postdesk.domain.proposal import AuditEntry, Proposal, ProposalDraft, StoredImage
from postdesk.domain.states import Status
from postdesk.domain.unlinked_urls import unlinked
from postdesk.domain.validation import IMAGE_TYPES, sniff_image_type
from postdesk.errors import Conflict, InvalidLink
from postdesk.mail import compose, outbox
from postdesk.observability import logger, metrics
from postdesk.store import flood_counters
from postdesk.store.proposals import FORM_TOKEN_DAYS, LinkUse, form_use_item
from postdesk.wording import strings

if TYPE_CHECKING:
    from pynamodb.models import Model

    from postdesk.services import Services


def submit_proposal(
    services: Services,
    draft: ProposalDraft,
    *,
    source: str,
    language: str,
    via: str,
    proposal_id: str | None = None,
    extra: Sequence[Model] = (),
    form_nonce: str | None = None,
    source_ip: str | None = None,
) -> Proposal:
    """Store the proposal (images first, then the item with the confirmation mail it owes), then send
    that mail. The proposal is stored before anyone is told; a mail that fails stays owed.

    `extra` items are stored in the same conditional write (a proposal by email: its mail's record,
    keyed on the message id, which needs the proposal's id chosen beforehand). A form's one-time token
    (`form_nonce`) is spent in that write too: the same form sent again answers the first proposal.

    Before anything is stored (images included) or mailed, the proposal counts against the flood
    limits: TooManyRequests beyond one. A form sent again counts against none: it answers its first
    proposal before counting (as a repeated Idempotency-Key answers before this is called). The
    proposer is known by the canonical address (`Director+1@Example.org` is director@example.org),
    which is where every mail to them goes."""
    settings = services.settings
    now = services.clock()
    if form_nonce is not None:
        earlier = services.store.form_used_for(form_nonce)
        if earlier is not None:
            return services.store.get(earlier)
    proposer = canonical_address(draft.proposer_email)
    count_against_limits(services, proposer, source_ip)
    proposal_id = proposal_id or uuid.uuid4().hex
    if form_nonce is not None:
        extra = [*extra, form_use_item(form_nonce, proposal_id, now)]
    images: list[StoredImage] = []
    for number, upload in enumerate(draft.images, start=1):
        content_type = sniff_image_type(upload.data) or upload.content_type
        key = f"proposals/{proposal_id}/v1/{number}.{IMAGE_TYPES.get(content_type, 'bin')}"
        services.media.put(key, upload.data, content_type)
        images.append(
            StoredImage(key=key, content_type=content_type, alt=upload.alt.strip(), size=len(upload.data))
        )
    proposal = Proposal(
        id=proposal_id,
        status=Status.AWAITING_CONFIRMATION,
        version=1,
        kind=draft.kind,
        text=draft.text,
        proposer_email=proposer,
        created_at=now,
        updated_at=now,
        confirm_by=now + timedelta(hours=settings.confirmation_hours),
        quorum=settings.quorum_for(draft.kind, draft.judicial_risk),
        judicial_risk=draft.judicial_risk,
        urgent=draft.urgent,
        not_before=draft.not_before,
        expires_at=draft.expires_at,
        prosecutor_reference=draft.prosecutor_reference,
        images=images,
        source=source,
        language=language,
    )
    try:
        outbox.create(
            services,
            proposal,
            AuditEntry(proposal_id, now, proposer, "submitted", 1, via),
            # The text's web addresses unclickable: the mail goes wherever the form said, from our sender.
            mails=[compose.confirmation(services, replace(proposal, text=unlinked(proposal.text)))],
            extra=extra,
        )
    except TransactWriteError:
        earlier = services.store.form_used_for(form_nonce) if form_nonce is not None else None
        if earlier is None:
            raise
        return services.store.get(earlier)  # the same form, sent twice at once: the other one made it
    logger.info("proposal submitted", extra={"proposal_id": proposal_id, "kind": draft.kind.value})
    return proposal


def count_against_limits(services: Services, proposer: str, source_ip: str | None) -> None:
    """Count one proposal by `proposer` (whose confirmation mail goes to that same address) from
    `source_ip`, or raise TooManyRequests and count nothing. Each refusal is a metric and a log line."""
    settings = services.settings
    now = services.clock()
    found = counters(
        settings.flood_limits,
        proposer=proposer,
        recipient=proposer,
        source_ip=source_ip,
        now=now,
        time_zone=settings.time_zone,
    )
    full = flood_counters.count(found)
    if full:
        logger.warning(
            "flood limit reached: nothing stored, nothing mailed",
            extra={"limits": [f"{counter.scope} per {counter.window}: {counter.most}" for counter in full]},
        )
        metrics.add_metric(name="FloodLimitRefusals", unit="Count", value=1)
        raise refusal(full, now, settings.time_zone)


def new_form_token(services: Services) -> str:
    """A one-time token for the proposal form, signed like a link: the form sent with it makes one
    proposal, however often it is sent."""
    expires = services.clock() + timedelta(days=FORM_TOKEN_DAYS)
    claims = LinkClaims("", ALL_PROPOSALS, 0, PROPOSE, int(expires.timestamp()), new_link_id())
    return sign(claims, services.signing_keys())


def sent_page_link(services: Services, proposal: Proposal) -> str:
    """Where the form's browser goes once the proposal is stored: what was sent and what to do next,
    valid until the time to confirm runs out (after confirming, the mails' follow-up link takes over)."""
    return compose.link(
        services,
        actor=proposal.proposer_email,
        proposal=proposal,
        action=SENT,
        expires=proposal.confirm_by,
        language=proposal.language,
    )


def form_nonce(services: Services, token: str) -> str:
    """The nonce of a genuine, unexpired form token; InvalidLink for anything else."""
    claims = verify(token, services.signing_keys(), services.clock())
    if claims.action != PROPOSE:
        raise InvalidLink("this form's token is not a proposal form's", "not_a_form_token")
    return claims.link_id


@dataclass(frozen=True)
class Completion:
    """What a confirmation page asked for (a proposal by email: the kind, dates, alt texts...): the
    proposal as completed, and the attribute changes that make it so."""

    proposal: Proposal
    changes: dict[str, Any]


def confirm_proposal(
    services: Services, opened: OpenedLink, completion: Completion | None = None
) -> Proposal:
    """The proposer proves the mailbox is theirs: AWAITING_CONFIRMATION -> PENDING, once; then the
    approvers get their review mails and the proposer a receipt with a Withdraw link.

    A `completion` is written in the same conditional write that confirms."""
    claims, proposal = opened.claims, opened.proposal
    if claims.action != CONFIRM or claims.actor != proposal.proposer_email:
        raise InvalidLink("this link is not a confirmation link for this proposal", "not_a_confirm_link")
    now = services.clock()
    via = f"link {claims.link_id}"
    if proposal.status is Status.AWAITING_CONFIRMATION and now > proposal.confirm_by:
        services.store.transition(
            proposal,
            Status.EXPIRED,
            AuditEntry(
                proposal.id, now, "postdesk", "expired", proposal.version, via, "never confirmed in time"
            ),
            changes={"status_reason": "never confirmed in time"},
            now=now,
        )
        raise Conflict("the time to confirm has passed: the proposal has expired", "confirm_expired")
    if proposal.status is not Status.AWAITING_CONFIRMATION:
        if services.store.link_was_used(proposal.id, claims.link_id):
            raise Conflict("this proposal was already confirmed", "already_confirmed")
        raise Conflict(
            f"this proposal can no longer be confirmed: it is {proposal.status.value}",
            "cannot_confirm",
            state=proposal.status.value,
        )
    t = strings(proposal.language)
    completed = completion.proposal if completion is not None else proposal
    confirmed = replace(completed, status=Status.PENDING)
    mails = [
        compose.to_proposer(services, confirmed, "mail_pending_subject", [t["mail_pending_body"]]),
        *compose.review_requests(services, confirmed),
    ]
    outbox.transition(
        services,
        proposal,
        Status.PENDING,
        AuditEntry(proposal.id, now, claims.actor, "confirmed", proposal.version, via),
        mails=mails,
        link_use=LinkUse(claims.link_id, claims.actor, CONFIRM),
        changes=completion.changes if completion is not None else None,
        now=now,
    )
    services.media.mark_confirmed([image.key for image in proposal.images])
    logger.info("proposal confirmed", extra={"proposal_id": proposal.id})
    return confirmed if completion is not None else proposal
