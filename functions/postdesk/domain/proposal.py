"""A proposal as the domain sees it: what the proposer asked for and where it stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from postdesk.domain.kinds import Kind
from postdesk.domain.states import Status


@dataclass(frozen=True)
class ImageUpload:
    """An image as received, before it is stored. `field` and `alt_field` name the inputs for errors."""

    data: bytes
    content_type: str
    alt: str
    filename: str = ""
    field: str = "images"
    alt_field: str = "alt"


@dataclass(frozen=True)
class StoredImage:
    key: str
    content_type: str
    alt: str
    size: int


@dataclass(frozen=True)
class ProposalDraft:
    """A proposal that passed validation and may be stored."""

    text: str
    kind: Kind
    proposer_email: str
    judicial_risk: bool = False
    urgent: bool = False
    not_before: datetime | None = None
    expires_at: datetime | None = None
    prosecutor_reference: str | None = None
    images: tuple[ImageUpload, ...] = ()


@dataclass
class Proposal:
    id: str
    status: Status
    version: int
    kind: Kind
    text: str
    proposer_email: str
    created_at: datetime
    updated_at: datetime
    confirm_by: datetime
    quorum: int
    judicial_risk: bool = False
    urgent: bool = False
    not_before: datetime | None = None
    expires_at: datetime | None = None
    prosecutor_reference: str | None = None
    images: list[StoredImage] = field(default_factory=list)
    source: str = "web"
    status_reason: str | None = None  # why it stands where it stands, as the system saw it (English)
    reason_code: str | None = None  # the same, as a code people are told in words (wording.SETTLE_REASONS)
    language: str = "fr"
    approvals: frozenset[str] = frozenset()
    approved_at: datetime | None = None
    edited_by: str | None = None
    # Set by the morning run: the run holding the claim and since when, then where the post went.
    run_id: str | None = None
    claimed_at: datetime | None = None
    post_id: str | None = None
    post_url: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log: who did what to which version, when, and through what."""

    proposal_id: str
    at: datetime
    actor: str
    action: str
    version: int
    via: str
    detail: str = ""
