"""What the confirmation page of a proposal made by email asks for, checked with the web form's rules.

A mail carries a text, images and perhaps a kind tag; the page asks for the rest: the kind when no tag
named it, judicial risk, embargo, expiry, urgency, the prosecutor's agreement and reference for a call
for witnesses, and every missing alt text. Its answers and the confirmation are one conditional write
(submission.confirm_proposal with a Completion)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from postdesk.domain.addresses import canonical_address
from postdesk.domain.proposal import ImageUpload, Proposal
from postdesk.domain.validation import validate_proposal
from postdesk.services import Services
from postdesk.submission import Completion
from postdesk.table import ImageAttribute

ASKED = (
    "kind",
    "judicial_risk",
    "urgent",
    "not_before",
    "expires_at",
    "prosecutor_agreement",
    "prosecutor_reference",
)


def complete(services: Services, proposal: Proposal, form: Mapping[str, str]) -> Completion:
    """The proposal with the page's answers, or InvalidProposal naming each field to fix.

    The images are read back so that they pass the same checks as an upload; the proposer's address
    was checked when the mail arrived, so a later change of the allow-list does not block them here."""
    settings = services.settings
    fields: dict[str, object] = {name: form[name] for name in ASKED if name in form}
    fields |= {"text": proposal.text, "proposer_email": proposal.proposer_email}
    images = [
        ImageUpload(
            data=services.media.read(image.key),
            content_type=image.content_type,
            alt=form.get(f"alt_{number}", image.alt),
            field=f"image_{number}",
            alt_field=f"alt_{number}",
        )
        for number, image in enumerate(proposal.images, start=1)
    ]
    draft = validate_proposal(
        fields,
        images,
        allowed_domains=settings.allowed_proposer_domains,
        allowed_addresses=[*settings.allowed_proposer_addresses, canonical_address(proposal.proposer_email)],
        now=services.clock(),
        time_zone=settings.time_zone,
        explicit_prosecutor_agreement=True,
    )
    stored = [
        replace(image, alt=upload.alt.strip())
        for image, upload in zip(proposal.images, draft.images, strict=True)
    ]
    completed = replace(
        proposal,
        kind=draft.kind,
        judicial_risk=draft.judicial_risk,
        urgent=draft.urgent,
        not_before=draft.not_before,
        expires_at=draft.expires_at,
        prosecutor_reference=draft.prosecutor_reference,
        images=stored,
        quorum=settings.quorum_for(draft.kind, draft.judicial_risk),
    )
    changes: dict[str, Any] = {
        "kind": draft.kind.value,
        "judicial_risk": draft.judicial_risk,
        "urgent": draft.urgent,
        "not_before": draft.not_before,
        "expires_at": draft.expires_at,
        "prosecutor_reference": draft.prosecutor_reference,
        "quorum": completed.quorum,
    }
    if stored:
        changes["images"] = [
            ImageAttribute(key=i.key, content_type=i.content_type, alt=i.alt, size=i.size)  # type: ignore[no-untyped-call]
            for i in stored
        ]
    return Completion(completed, changes)
