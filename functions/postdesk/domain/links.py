"""Signed links: HMAC-SHA256 over who may act, on which proposal and version, what action, until when.

A link is opaque and short: its claims are packed in binary (the action as a number, the proposal's id
as its 16 bytes) and its reader is named only by a keyed hash of their address, so nothing in a mailed
link reads as an address or an action; the reader is found again, when the link is opened, among the
people who may use it (the proposal's author and the approvers). Links of the first format (claims as
JSON, the address in it) keep verifying until they expire.

Keys rotate: the newest key (greatest key id) signs, every key still listed verifies, so links in
flight keep working until their key is retired. Signatures are compared in constant time.

A token has one spelling: each half is base64url without padding, exactly as `sign` writes it (and as
it has written every link since the first). Any other spelling of the same bytes (padding, `+` or `/`,
stray characters, other values of the last character's unused bits) is refused as a forgery, so that
anything keyed on the token string sees one token per link."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from postdesk.domain.addresses import canonical_address
from postdesk.domain.proposal import Proposal
from postdesk.errors import InvalidLink

_PREFIX = b"postdesk-link-v1."
_PREFIX_V2 = b"postdesk-link-v2."
_ACTOR_PREFIX = b"postdesk-actor."
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_FORMAT_V2 = 2
_ACTOR_HASH_BYTES = 12
_LINK_ID_BYTES = 9
_MAC_BYTES = 16
_NO_PROPOSAL = bytes(16)
_V2_TAIL = struct.Struct(">12s16sHBI9s")  # actor hash, proposal id, version, action, expiry, link id


@dataclass(frozen=True)
class LinkClaims:
    actor: str  # the reader's address; empty until `resolve_actor` finds it for an opaque link
    proposal_id: str
    version: int
    action: str
    expires_at: int
    link_id: str
    actor_hash: bytes = b""  # an opaque link's reader, as a keyed hash of their address
    kid: str = ""  # the key that signed it (and hashed its reader)

    @property
    def expires(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, tz=UTC)


class SigningKeys:
    def __init__(self, keys: dict[str, str]) -> None:
        if not keys:
            raise ValueError("at least one signing key is needed")
        self._keys = {kid: value.encode() for kid, value in keys.items()}
        self.current = max(self._keys)

    def get(self, kid: str) -> bytes | None:
        return self._keys.get(kid)

    def key(self, kid: str) -> bytes:
        return self._keys[kid]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """The bytes of `text` if it is their one spelling (what `_b64` writes); ValueError otherwise."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # the last character's unused bits were set
        raise ValueError("not the canonical spelling")
    return data


def _signature(key: bytes, payload: str) -> bytes:
    return hmac.new(key, _PREFIX + payload.encode("ascii"), hashlib.sha256).digest()


def new_link_id() -> str:
    return _b64(secrets.token_bytes(_LINK_ID_BYTES))


def actor_hash(key: bytes, actor: str) -> bytes:
    """A reader's address as an opaque link carries it: keyed, so nobody can test a guess against it."""
    return hmac.new(key, _ACTOR_PREFIX + canonical_address(actor).encode(), hashlib.sha256).digest()[
        :_ACTOR_HASH_BYTES
    ]


def sign(claims: LinkClaims, keys: SigningKeys) -> str:
    """An opaque link: about 90 characters, nothing in it readable."""
    key = keys.key(keys.current)
    kid = keys.current.encode("ascii")
    code = ACTION_CODES[claims.action]
    proposal = _NO_PROPOSAL if claims.proposal_id == ALL_PROPOSALS else bytes.fromhex(claims.proposal_id)
    link_id = _unb64(claims.link_id)
    if len(proposal) != 16 or len(link_id) != _LINK_ID_BYTES or len(kid) > 255:
        raise ValueError("a link needs a 32-hex-digit proposal id and a link id of new_link_id()")
    body = (
        bytes([_FORMAT_V2, len(kid)])
        + kid
        + _V2_TAIL.pack(
            actor_hash(key, claims.actor), proposal, claims.version, code, claims.expires_at, link_id
        )
    )
    mac = hmac.new(key, _PREFIX_V2 + body, hashlib.sha256).digest()[:_MAC_BYTES]
    return _b64(body + mac)


def resolve_actor(claims: LinkClaims, keys: SigningKeys, candidates: list[str]) -> str | None:
    """Who an opaque link is for, among the people who may use it; None when it is none of them."""
    if claims.actor or not claims.actor_hash:
        return claims.actor or None
    key = keys.get(claims.kid)
    if key is None:
        return None
    for candidate in candidates:
        if hmac.compare_digest(actor_hash(key, candidate), claims.actor_hash):
            return candidate
    return None


def _verify_v2(token: str, keys: SigningKeys, forged: InvalidLink) -> LinkClaims:
    try:
        data = _unb64(token)
    except (ValueError, binascii.Error):
        raise forged from None
    if len(data) < 2 or data[0] != _FORMAT_V2:
        raise forged
    kid_end = 2 + data[1]
    body, mac = data[:-_MAC_BYTES], data[-_MAC_BYTES:]
    if len(body) != kid_end + _V2_TAIL.size:
        raise forged
    try:
        kid = body[2:kid_end].decode("ascii")
    except UnicodeDecodeError:
        raise forged from None
    key = keys.get(kid)
    if key is None or not hmac.compare_digest(
        hmac.new(key, _PREFIX_V2 + body, hashlib.sha256).digest()[:_MAC_BYTES], mac
    ):
        raise forged
    hashed, proposal, version, code, expires_at, link_id = _V2_TAIL.unpack(body[kid_end:])
    return LinkClaims(
        actor="",
        proposal_id=ALL_PROPOSALS if proposal == _NO_PROPOSAL else proposal.hex(),
        version=version,
        action=ACTIONS_BY_CODE.get(code, f"unknown-{code}"),
        expires_at=expires_at,
        link_id=_b64(link_id),
        actor_hash=hashed,
        kid=kid,
    )


def verify(token: str, keys: SigningKeys, now: datetime) -> LinkClaims:
    """The claims of a genuine, unexpired token; InvalidLink for anything else."""
    forged = InvalidLink("this link is not valid: it was altered or did not come from postdesk", "forged")
    if len(token) > 2048:
        raise forged
    if "." not in token:
        claims = _verify_v2(token, keys, forged)
        if now.timestamp() > claims.expires_at:
            raise InvalidLink("this link has expired", "link_expired")
        return claims
    payload, _, signature = token.partition(".")
    if not payload or not signature:
        raise forged
    try:
        body = json.loads(_unb64(payload))
        given = _unb64(signature)
    except (ValueError, binascii.Error):
        raise forged from None
    if not isinstance(body, dict):
        raise forged
    key = keys.get(str(body.get("k", "")))
    if key is None or not hmac.compare_digest(_signature(key, payload), given):
        raise forged
    try:
        claims = LinkClaims(
            actor=str(body["a"]),
            proposal_id=str(body["p"]),
            version=int(body["v"]),
            action=str(body["x"]),
            expires_at=int(body["e"]),
            link_id=str(body["i"]),
        )
    except (KeyError, TypeError, ValueError):
        raise forged from None
    if now.timestamp() > claims.expires_at:
        raise InvalidLink("this link has expired", "link_expired")
    return claims


# What a link does. These strings are inside every link already mailed: never rename one.
CONFIRM = "confirm"
APPROVE = "approve"
REJECT = "reject"
REQUEST_CHANGES = "request_changes"
EDIT = "edit"
WITHDRAW = "withdraw"
LIST = "list"
MARK_PUBLISHED = "mark_published"
PUBLISH_AGAIN = "publish_again"
ABANDON = "abandon"
FOLLOW = "follow"  # the proposer's follow-up page: only shows
DESK = "desk"  # the approvers' desk: only shows; each row's actions are links of their own
SENT = "sent"  # the page after submitting the form: only shows, only until the proposal is confirmed
PROPOSE = "propose"  # the proposal form's one-time token
REVIEW_ACTIONS = (APPROVE, REJECT, REQUEST_CHANGES, EDIT)
SETTLING_ACTIONS = (MARK_PUBLISHED, PUBLISH_AGAIN, ABANDON)
ALL_PROPOSALS = "*"  # the proposal id of a link that is about no one proposal (the list)
# How an opaque link says its action: never renumber one, links in flight carry them.
ACTION_CODES = {
    CONFIRM: 1,
    APPROVE: 2,
    REJECT: 3,
    REQUEST_CHANGES: 4,
    EDIT: 5,
    WITHDRAW: 6,
    LIST: 7,
    MARK_PUBLISHED: 8,
    PUBLISH_AGAIN: 9,
    ABANDON: 10,
    FOLLOW: 11,
    DESK: 12,
    SENT: 13,
    PROPOSE: 14,
}
ACTIONS_BY_CODE = {code: action for action, code in ACTION_CODES.items()}


@dataclass(frozen=True)
class OpenedLink:
    """A verified link and the proposal it is about, as read when it was opened."""

    claims: LinkClaims
    proposal: Proposal
