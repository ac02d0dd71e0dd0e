"""Signed links: only a genuine, unexpired link verifies; keys rotate without breaking links in flight."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postdesk.domain.links import LinkClaims, SigningKeys, resolve_actor, sign, verify
from postdesk.errors import InvalidLink

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
KEYS = SigningKeys({"k0001": "a" * 64})
PROPOSAL = "0123456789abcdef0123456789abcdef"
READERS = ["agent.dupont@example.org", "director@example.org", "deputy1@example.org"]


def _claims(**overrides: object) -> LinkClaims:
    values: dict[str, object] = {
        "actor": "deputy1@example.org",
        "proposal_id": PROPOSAL,
        "version": 2,
        "action": "approve",
        "expires_at": int((NOW + timedelta(days=1)).timestamp()),
        "link_id": "bGluay1pZC0x",
    }
    values.update(overrides)
    return LinkClaims(**values)  # type: ignore[arg-type]


def _opened(token: str, keys: SigningKeys = KEYS) -> LinkClaims:
    """The claims as the page sees them once the reader is found among those who may use the link."""
    claims = verify(token, keys, NOW)
    return replace(claims, actor=resolve_actor(claims, keys, READERS) or "", actor_hash=b"", kid="")


def test_a_genuine_link_verifies_to_its_claims() -> None:
    assert _opened(sign(_claims(), KEYS)) == _claims()


def test_a_link_carries_no_address_and_no_action_in_readable_form() -> None:
    import base64

    # Given a review link for an approver
    token = sign(_claims(), KEYS)
    # Then neither the link nor its decoded bytes hold the address or the action, and it is short
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for secret in (b"deputy1", b"example.org", b"approve"):
        assert secret not in decoded and secret.decode() not in token
    assert len(token) <= 100
    # And a reader who is not among those who may use it is found by nobody
    assert resolve_actor(verify(token, KEYS, NOW), KEYS, ["someone@example.org"]) is None


def test_an_expired_link_is_refused() -> None:
    token = sign(_claims(), KEYS)
    with pytest.raises(InvalidLink, match="expired"):
        verify(token, KEYS, NOW + timedelta(days=2))


def test_a_link_signed_with_another_key_is_refused() -> None:
    token = sign(_claims(), SigningKeys({"k0001": "b" * 64}))
    with pytest.raises(InvalidLink):
        verify(token, KEYS, NOW)


def test_after_rotation_the_new_key_signs_and_old_links_still_verify() -> None:
    old_token = sign(_claims(), KEYS)
    rotated = SigningKeys({"k0001": "a" * 64, "k0002": "c" * 64})
    new_token = sign(_claims(), rotated)
    assert _opened(old_token, rotated) == _claims()
    assert _opened(new_token, rotated) == _claims()
    # Once the old key is retired, its links stop working
    with pytest.raises(InvalidLink):
        verify(old_token, SigningKeys({"k0002": "c" * 64}), NOW)


@given(position=st.integers(min_value=0), replacement=st.characters(codec="ascii", categories=["L", "N"]))
def test_no_tampered_token_verifies(position: int, replacement: str) -> None:
    token = sign(_claims(), KEYS)
    index = position % len(token)
    if token[index] == replacement:
        return
    tampered = token[:index] + replacement + token[index + 1 :]
    # Then it is refused, even where the change decodes to the same bytes (the last character's bits)
    with pytest.raises(InvalidLink):
        verify(tampered, KEYS, NOW)


@given(st.text(max_size=300))
def test_garbage_never_verifies_and_never_crashes(garbage: str) -> None:
    with pytest.raises(InvalidLink):
        verify(garbage, KEYS, NOW)


@pytest.mark.parametrize("field", ["actor", "proposal_id", "version", "action", "link_id"])
def test_changing_any_claim_breaks_the_signature(field: str) -> None:
    # Given a genuine link, and the same link signed with another claim by someone without the key
    other = {
        "actor": "someone-else@example.org",
        "proposal_id": "f" * 32,
        "version": 99,
        "action": "reject",
        "link_id": "b3RoZXItbGlu",
    }[field]
    genuine = sign(_claims(), KEYS)
    forged = sign(_claims(**{field: other}), SigningKeys({"k0001": "b" * 64}))
    # When the forged claims are put in front of the genuine signature
    spliced = forged[:-22] + genuine[-22:]
    # Then it is refused
    with pytest.raises(InvalidLink):
        verify(spliced, KEYS, NOW)


# A link mailed before tokens had to be spelled one way: `sign` wrote it then exactly as it does now.
MAILED_BEFORE = (
    "eyJhIjoiZGVwdXR5MUBleGFtcGxlLm9yZyIsImUiOjE3OTYxOTg0MDAsImkiOiJMMCIsImsiOiJrMDAwMSIsInAiOiJwMSIsInYiOjIsIngiOiJhcHByb3ZlIn0"
    ".X__Ryc7F5-eu0vXNhMWIQJRz3RWb_3Jie_00nvFE0Rc"
)


def test_a_link_mailed_before_tokens_had_one_spelling_still_works() -> None:
    # Given a review link as the signer wrote it before this rule (unpadded base64url)
    # When the approver opens it
    claims = verify(MAILED_BEFORE, KEYS, NOW)
    # Then it is the link it was, its reader in the clear as that format carried them
    assert claims == _claims(proposal_id="p1", link_id="L0")


def _respelled(token: str) -> list[str]:
    """The same bytes spelled otherwise: padding, dots, the standard alphabet, the last character's
    unused bits (a 43-character signature carries 2 of them)."""
    payload, signature = token.split(".")
    last = signature[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    same_bytes_last = [
        c for c in alphabet if alphabet.index(c) >> 2 == alphabet.index(last) >> 2 and c != last
    ]
    spellings = [
        f"{token}=",
        f"{token}==",
        f"{token}..",
        f"{payload}=.{signature}",
        f"{payload}.{signature.replace('-', '+').replace('_', '/')}",
        f"{payload.replace('-', '+')}.{signature}" if "-" in payload else f"{token} ",
        *(f"{payload}.{signature[:-1]}{c}" for c in same_bytes_last),
    ]
    return spellings


def test_any_other_spelling_of_a_genuine_token_is_refused_as_a_forgery() -> None:
    # Given a genuine link, and the same bytes spelled in every other way base64 decoders accept
    token = MAILED_BEFORE
    for spelling in _respelled(token):
        # When someone opens the respelled link
        # Then it is refused as altered, not treated as the same link
        with pytest.raises(InvalidLink, match="not valid"):
            verify(spelling, KEYS, NOW)
    assert verify(token, KEYS, NOW).link_id == "L0"


def test_any_other_spelling_of_an_opaque_token_is_refused_as_a_forgery() -> None:
    token = sign(_claims(), KEYS)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spare_bits = {"0": 0, "1": 4, "2": 2, "3": 0}[str(len(token) % 4)]
    last = token[-1]
    same_bytes = [
        c
        for c in alphabet
        if spare_bits and alphabet.index(c) >> spare_bits == alphabet.index(last) >> spare_bits
    ]
    spellings = [
        f"{token}=",
        f"{token}==",
        f"{token}.",
        token.replace("-", "+").replace("_", "/"),
        f" {token}",
    ]
    spellings += [token[:-1] + c for c in same_bytes if c != last]
    for spelling in spellings:
        if spelling == token:
            continue
        with pytest.raises(InvalidLink, match="not valid"):
            verify(spelling, KEYS, NOW)
