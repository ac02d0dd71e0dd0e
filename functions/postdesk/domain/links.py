"""Signed links: HMAC-SHA256 over who may act, on which proposal and version, what action, until when.

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
from dataclasses import dataclass
from datetime import UTC, datetime

from postdesk.domain.proposal import Proposal
from postdesk.errors import InvalidLink

_PREFIX = b"postdesk-link-v1."
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class LinkClaims:
    actor: str
    proposal_id: str
    version: int
    action: str
    expires_at: int
    link_id: str

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
    return secrets.token_urlsafe(12)


def sign(claims: LinkClaims, keys: SigningKeys) -> str:
    body = {
        "a": claims.actor,
        "p": claims.proposal_id,
        "v": claims.version,
        "x": claims.action,
        "e": claims.expires_at,
        "i": claims.link_id,
        "k": keys.current,
    }
    payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_b64(_signature(keys.key(keys.current), payload))}"


def verify(token: str, keys: SigningKeys, now: datetime) -> LinkClaims:
    """The claims of a genuine, unexpired token; InvalidLink for anything else."""
    forged = InvalidLink("this link is not valid: it was altered or did not come from postdesk", "forged")
    payload, _, signature = token.partition(".")
    if not payload or not signature or len(token) > 2048:
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


@dataclass(frozen=True)
class OpenedLink:
    """A verified link and the proposal it is about, as read when it was opened."""

    claims: LinkClaims
    proposal: Proposal
