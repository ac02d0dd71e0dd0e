"""The one DynamoDB table, as pynamodb models: proposals, their audit log and the use of their links.

Every item of a proposal shares its partition (`pk` = PROPOSAL#<id>), so a proposal, its votes, the
links used on it and its audit log are read with one query and changed together in one transaction.
Only approved-and-due proposals carry `due_pk`/`due_sk`: the sparse `due` index that the morning run
queries holds nothing else."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

PROPOSAL_SK = "PROPOSAL"
DUE_PK = "DUE"
# A claimed post moves from the DUE partition of the `due` index to this one (due_sk = claim time), so
# that a later run finds claims older than the lease with one query, never a Scan.
CLAIMED_PK = "CLAIMED"
OPEN_PK = "OPEN"
# A claimed post whose run could not tell whether it went out, because X could not be reached, stays in
# the claims' partition with this prefix, which sorts before any time: every later run finds it among
# the claims to settle, and reads the account's posts for it before posting anything.
CHECK_PREFIX = "!check#"
# A published post stays on the `due` index in this partition (due_sk = when it went out): the digest
# names what went out since the last one with one query.
PUBLISHED_PK = "PUBLISHED"
ALERT_PK = "ALERT"


def proposal_pk(proposal_id: str) -> str:
    return f"PROPOSAL#{proposal_id}"


class ImageAttribute(MapAttribute[str, Any]):
    key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    alt = UnicodeAttribute()
    size = NumberAttribute()


class DueIndex(GlobalSecondaryIndex["ProposalItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "due"
        projection = AllProjection()

    due_pk = UnicodeAttribute(hash_key=True)
    due_sk = UnicodeAttribute(range_key=True)


class OpenIndex(GlobalSecondaryIndex["ProposalItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "open"
        projection = AllProjection()

    open_pk = UnicodeAttribute(hash_key=True)
    open_sk = UnicodeAttribute(range_key=True)


class _TableMeta:
    table_name = "postdesk"
    region: str | None = None


class ProposalItem(Model):
    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    status = UnicodeAttribute()
    version = NumberAttribute()
    kind = UnicodeAttribute()
    text = UnicodeAttribute()
    proposer_email = UnicodeAttribute()
    judicial_risk = BooleanAttribute(default=False)
    urgent = BooleanAttribute(default=False)
    not_before = UTCDateTimeAttribute(null=True)
    expires_at = UTCDateTimeAttribute(null=True)
    prosecutor_reference = UnicodeAttribute(null=True)
    images = ListAttribute(of=ImageAttribute, default=list)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    confirm_by = UTCDateTimeAttribute()
    quorum = NumberAttribute()
    source = UnicodeAttribute(default="web")
    status_reason = UnicodeAttribute(null=True)
    reason_code = UnicodeAttribute(null=True)
    language = UnicodeAttribute(default="fr")
    approvals = UnicodeSetAttribute(null=True)  # approvers of the current version
    approved_at = UTCDateTimeAttribute(null=True)
    edited_by = UnicodeAttribute(null=True)  # who wrote the current version, when not the proposer
    due_pk = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    open_pk = UnicodeAttribute(null=True)
    open_sk = UnicodeAttribute(null=True)
    ttl = NumberAttribute(null=True)
    run_id = UnicodeAttribute(null=True)  # the morning run holding the claim
    claimed_at = UTCDateTimeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)
    post_url = UnicodeAttribute(null=True)
    published_at = UTCDateTimeAttribute(null=True)
    due = DueIndex()
    open = OpenIndex()


class AuditItem(Model):
    """Append-only: written with a condition that it does not exist, never updated."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # AUDIT#<iso time>#<random>
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    version = NumberAttribute()
    via = UnicodeAttribute()
    detail = UnicodeAttribute(default="")


class LinkUseItem(Model):
    """The one use of an action link, recorded with a condition so that a link acts at most once."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # LINK#<link id>
    used_at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()


class VoteItem(Model):
    """One approver's decision on one version: at most one each (written with a condition)."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # VOTE#<version, 6 digits>#<approver>
    approver = UnicodeAttribute()
    version = NumberAttribute()
    decision = UnicodeAttribute()
    comment = UnicodeAttribute(default="")
    at = UTCDateTimeAttribute()
    link_id = UnicodeAttribute()


class VersionItem(Model):
    """A text as it was before an edit: approvals are for one exact text, so every text is kept."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # VERSION#<version, 6 digits>
    version = NumberAttribute()
    text = UnicodeAttribute()
    written_by = UnicodeAttribute()
    at = UTCDateTimeAttribute()


OUTBOX_PK = "OUTBOX"


class OutboxItem(Model):
    """A mail owed: written with the change that causes it, removed once SES has taken it."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)  # OUTBOX
    sk = UnicodeAttribute(range_key=True)  # <iso time>#<random>
    to = ListAttribute(of=UnicodeAttribute)  # a list of addresses
    subject = UnicodeAttribute()
    text = UnicodeAttribute()
    html = UnicodeAttribute()
    proposal_id = UnicodeAttribute(default="")
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()


class RunItem(Model):
    """A scheduled run that happened (digest of a day, publish run of a scheduled time): the scheduler
    may deliver an event twice, the run happens once."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)  # RUN
    sk = UnicodeAttribute(range_key=True)  # <kind>#<key>
    at = UTCDateTimeAttribute()
    ttl = NumberAttribute(null=True)


class AlertItem(Model):
    """A condition that stops publishing (no credentials, X unreachable, X's rate limit...): raised once,
    told to the operator once, shown in the digest until it clears."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)  # ALERT
    sk = UnicodeAttribute(range_key=True)  # the condition's code
    since = UTCDateTimeAttribute()
    detail = UnicodeAttribute(default="")
    until = UTCDateTimeAttribute(null=True)  # when it clears by itself (X's rate limit's reset)


class FormUseItem(Model):
    """The one use of a proposal form's token: a form sent twice (a double click, a retry, a refresh)
    makes one proposal. Written with the proposal, on the condition that it does not exist."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)  # FORM#<nonce>
    sk = UnicodeAttribute(range_key=True)  # FORM
    proposal_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    ttl = NumberAttribute(null=True)


INBOUND_SK = "INBOUND"
EMAIL_ORIGIN_SK = "EMAIL"


def inbound_pk(message_id: str) -> str:
    return f"INBOUND#{message_id}"


class InboundMailItem(Model):
    """What became of one received mail, keyed on SES's message id. Written once, with a condition
    (with the proposal it created, or with the reply it owes), so that a second delivery of the same
    mail finds it and creates nothing."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)  # INBOUND#<SES message id>
    sk = UnicodeAttribute(range_key=True)  # INBOUND
    message_id = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
    outcome = UnicodeAttribute()  # accepted | refused
    reason = UnicodeAttribute()  # a code: accepted, spam, not_authenticated, sender_not_allowed...
    detail = UnicodeAttribute(default="")
    sender = UnicodeAttribute(default="")  # the From address
    envelope_sender = UnicodeAttribute(default="")
    subject = UnicodeAttribute(default="")
    raw_key = UnicodeAttribute(default="")  # where the raw message is kept in the media bucket
    proposal_id = UnicodeAttribute(default="")
    replied = BooleanAttribute(default=False)


class EmailOriginItem(Model):
    """Where a proposal made by email came from, and what its confirmation page must ask for."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)  # PROPOSAL#<id>
    sk = UnicodeAttribute(range_key=True)  # EMAIL
    message_id = UnicodeAttribute()
    subject = UnicodeAttribute(default="")
    received_at = UTCDateTimeAttribute()
    kind_from_subject = BooleanAttribute(default=False)
    ignored_attachments = ListAttribute(of=UnicodeAttribute, default=list)


class FloodCounterItem(Model):
    """How many proposals (or confirmation mails) one subject caused in one window, counted with a
    condition that keeps it at or under its limit (see `store.flood_counters`)."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)  # LIMIT#<scope>#<subject>#<window>
    sk = UnicodeAttribute(range_key=True)  # LIMIT
    uses = NumberAttribute(null=True)
    ttl = NumberAttribute(null=True)


class MessageIdItem(Model):
    """A received mail's own Message-ID (normalised, with its sender), recorded with the proposal it
    made: the same message delivered again under another SES id (resent through SMTP, say) finds it."""

    class Meta(_TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)  # MESSAGE-ID#<sha256 of sender and Message-ID>
    sk = UnicodeAttribute(range_key=True)  # MESSAGE-ID
    ses_message_id = UnicodeAttribute()  # the SES id of the delivery that made the proposal
    proposal_id = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
    ttl = NumberAttribute(null=True)


def vote_sk(version: int, approver: str) -> str:
    return f"VOTE#{version:06d}#{approver}"


ALL_MODELS: tuple[type[Model], ...] = (
    ProposalItem,
    AuditItem,
    LinkUseItem,
    VoteItem,
    VersionItem,
    OutboxItem,
    RunItem,
    AlertItem,
    FormUseItem,
    InboundMailItem,
    EmailOriginItem,
    FloodCounterItem,
    MessageIdItem,
)


def bind_table(table_name: str, region: str | None) -> None:
    """Point every model at the configured table (called once, by the store's factory)."""
    for model in ALL_MODELS:
        model.Meta.table_name = table_name
        model.Meta.region = region
        model._connection = None
