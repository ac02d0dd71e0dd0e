"""Signed links: only a genuine, unexpired link verifies; keys rotate without breaking links in flight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postdesk.domain.links import LinkClaims, SigningKeys, sign, verify
from postdesk.errors import InvalidLink

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
KEYS = SigningKeys({"k0001": "a" * 64})


def _claims(**overrides: object) -> LinkClaims:
    values: dict[str, object] = {
        "actor": "deputy1@example.org",
        "proposal_id": "p1",
        "version": 2,
        "action": "approve",
        "expires_at": int((NOW + timedelta(days=1)).timestamp()),
        "link_id": "L1",
    }
    values.update(overrides)
    return LinkClaims(**values)  # type: ignore[arg-type]


def test_a_genuine_link_verifies_to_its_claims() -> None:
    assert verify(sign(_claims(), KEYS), KEYS, NOW) == _claims()


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
    assert verify(old_token, rotated, NOW) == _claims()
    assert verify(new_token, rotated, NOW) == _claims()
    # Once the old key is retired, its links stop working
    with pytest.raises(InvalidLink):
        verify(old_token, SigningKeys({"k0002": "c" * 64}), NOW)


@given(position=st.integers(min_value=0), replacement=st.characters(codec="ascii", categories=["L", "N"]))
def test_no_tampered_token_verifies(position: int, replacement: str) -> None:
    token = sign(_claims(), KEYS)
    index = position % len(token)
    if token[index] == replacement or token[index] == ".":
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
    import base64
    import json

    token = sign(_claims(), KEYS)
    payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    key = {"actor": "a", "proposal_id": "p", "version": "v", "action": "x", "link_id": "i"}[field]
    body[key] = 99 if field == "version" else "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode() + "." + signature
    with pytest.raises(InvalidLink):
        verify(forged, KEYS, NOW)


# A link mailed before tokens had to be spelled one way: `sign` wrote it then exactly as it does now.
MAILED_BEFORE = (
    "eyJhIjoiZGVwdXR5MUBleGFtcGxlLm9yZyIsImUiOjE3OTYxOTg0MDAsImkiOiJMMCIsImsiOiJrMDAwMSIsInAiOiJwMSIsInYiOjIsIngiOiJhcHByb3ZlIn0"
    ".X__Ryc7F5-eu0vXNhMWIQJRz3RWb_3Jie_00nvFE0Rc"
)


def test_a_link_mailed_before_tokens_had_one_spelling_still_works() -> None:
    # Given a review link as the signer wrote it before this rule (unpadded base64url)
    # When the approver opens it
    claims = verify(MAILED_BEFORE, KEYS, NOW)
    # Then it is the link it was, and the signer still spells it the same way
    assert claims == _claims(link_id="L0")
    assert sign(claims, KEYS) == MAILED_BEFORE


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
