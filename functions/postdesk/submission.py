"""The proposer's side of a proposal's life: submit it, confirm it by the link mailed to them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from postdesk.domain.links import LinkClaims, new_link_id, sign, verify
from postdesk.domain.proposal import AuditEntry, Proposal, ProposalDraft, StoredImage
from postdesk.domain.states import Status
from postdesk.domain.validation import IMAGE_TYPES, sniff_image_type
from postdesk.errors import Conflict, InvalidLink
from postdesk.mail import Mail
from postdesk.observability import logger
from postdesk.proposal_store import LinkUse
from postdesk.services import Services
from postdesk.web.i18n import strings
from postdesk.web.render import render

CONFIRM = "confirm"


def link_url(services: Services, claims: LinkClaims, language: str) -> str:
    token = sign(claims, services.signing_keys())
    suffix = "?lang=en" if language == "en" else ""
    return f"{services.settings.public_base_url}/l/{token}{suffix}"


def submit_proposal(
    services: Services, draft: ProposalDraft, *, source: str, language: str, via: str
) -> Proposal:
    """Store the proposal (images first, then the item), then mail the confirmation link.

    A proposal is stored before anyone is told; if the mail can't be sent, the failure is logged and
    audited and the proposal stays, waiting for a resend."""
    settings = services.settings
    now = services.clock()
    proposal_id = uuid.uuid4().hex
    images: list[StoredImage] = []
    for number, upload in enumerate(draft.images, start=1):
        content_type = sniff_image_type(upload.data) or upload.content_type
        key = f"proposals/{proposal_id}/v1/{number}.{IMAGE_TYPES.get(content_type, 'bin')}"
        services.media.put(key, upload.data, content_type)
        images.append(StoredImage(key=key, content_type=content_type, alt=upload.alt.strip(), size=len(upload.data)))
    proposal = Proposal(
        id=proposal_id,
        status=Status.AWAITING_CONFIRMATION,
        version=1,
        kind=draft.kind,
        text=draft.text,
        proposer_email=draft.proposer_email,
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
    )
    services.store.create(
        proposal,
        AuditEntry(proposal_id, now, draft.proposer_email, "submitted", 1, via),
    )
    logger.info("proposal submitted", extra={"proposal_id": proposal_id, "kind": draft.kind.value})
    send_confirmation(services, proposal, language)
    return proposal


def send_confirmation(services: Services, proposal: Proposal, language: str) -> None:
    claims = LinkClaims(
        actor=proposal.proposer_email,
        proposal_id=proposal.id,
        version=proposal.version,
        action=CONFIRM,
        expires_at=int(proposal.confirm_by.timestamp()),
        link_id=new_link_id(),
    )
    t = strings(language)
    zone = ZoneInfo(services.settings.time_zone)
    expiry = t["mail_confirm_expiry"].format(date=proposal.confirm_by.astimezone(zone).strftime("%d/%m/%Y %H:%M"))
    context = {"proposal": proposal, "link": link_url(services, claims, language), "expiry": expiry}
    mail = Mail(
        to=(proposal.proposer_email,),
        subject=t["mail_confirm_subject"],
        text=render("mail_confirm.txt", language=language, **context),
        html=render("mail_confirm.html", language=language, **context),
    )
    _send(services, proposal, mail, "confirmation")


def _send(services: Services, proposal: Proposal, mail: Mail, what: str) -> None:
    now = services.clock()
    try:
        services.mailer.send(mail)
    except Exception as error:  # noqa: BLE001 - any failure of the mail service leaves a trace, not a 500
        logger.exception("mail not sent", extra={"proposal_id": proposal.id, "mail": what})
        services.store.append_audit(
            AuditEntry(proposal.id, now, "postdesk", "mail_failed", proposal.version, "ses", f"{what}: {error}")
        )
        return
    services.store.append_audit(
        AuditEntry(proposal.id, now, "postdesk", "mail_sent", proposal.version, "ses", f"{what} to {', '.join(mail.to)}")
    )


@dataclass(frozen=True)
class OpenedLink:
    claims: LinkClaims
    proposal: Proposal


def open_link(services: Services, token: str) -> OpenedLink:
    """Check a link and load what it is about; a GET calls only this and so never changes anything."""
    claims = verify(token, services.signing_keys(), services.clock())
    proposal = services.store.get(claims.proposal_id)
    return OpenedLink(claims, proposal)


def confirm_proposal(services: Services, opened: OpenedLink) -> Proposal:
    """The proposer proves the mailbox is theirs: AWAITING_CONFIRMATION -> PENDING, once."""
    claims, proposal = opened.claims, opened.proposal
    if claims.action != CONFIRM or claims.actor != proposal.proposer_email:
        raise InvalidLink("this link is not a confirmation link for this proposal")
    now = services.clock()
    via = f"link {claims.link_id}"
    if proposal.status is Status.AWAITING_CONFIRMATION and now > proposal.confirm_by:
        services.store.transition(
            proposal,
            Status.EXPIRED,
            AuditEntry(proposal.id, now, "postdesk", "expired", proposal.version, via, "never confirmed in time"),
            changes={"status_reason": "never confirmed in time"},
            now=now,
        )
        raise Conflict("the time to confirm has passed: the proposal has expired")
    if proposal.status is not Status.AWAITING_CONFIRMATION:
        if services.store.link_was_used(proposal.id, claims.link_id):
            raise Conflict("this proposal was already confirmed")
        raise Conflict(f"this proposal can no longer be confirmed: it is {proposal.status.value}")
    services.store.transition(
        proposal,
        Status.PENDING,
        AuditEntry(proposal.id, now, claims.actor, "confirmed", proposal.version, via),
        link_use=LinkUse(claims.link_id, claims.actor, CONFIRM),
        now=now,
    )
    services.media.mark_confirmed([image.key for image in proposal.images])
    logger.info("proposal confirmed", extra={"proposal_id": proposal.id})
    return proposal
