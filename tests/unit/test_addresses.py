"""Addresses as postdesk reads them: RFC 5321 dot-atoms in ASCII at a host name, one person per
canonical address whatever the case or the plus-tag."""

from __future__ import annotations

import pytest

from postdesk.domain.addresses import (
    canonical_address,
    is_allowed_proposer,
    is_well_formed,
    refused_characters,
)


@pytest.mark.parametrize(
    "address",
    [
        "agent@example.org",
        "Agent.Dupont@Example.ORG",
        "agent+urgent@example.org",
        "o'brien@example.org",
        "a#$&*/=?^_`{|}~-@example.org",  # every atext character but % and !
        "agent@mail.example.org",
    ],
)
def test_an_address_as_mail_programs_write_it_is_well_formed(address: str) -> None:
    # Given an address of the RFC's dot-atom form, When it is checked, Then it is accepted
    assert is_well_formed(address)
    assert refused_characters(address) == []


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("a\x00b@example.org", ["U+0000"]),
        ("a\x1bb@example.org", ["U+001B"]),
        ("a\x7fb@example.org", ["U+007F"]),
        ("a%evil.test@example.org", ["%"]),
        ("\u0430gent@example.org", ["а (U+0430)"]),
        ("a!#$&*/=?^`{|}~@example.org", ["!"]),
        ("agent@exämple.org", ["ä (U+00E4)"]),
        ("a b@example.org", ["U+0020"]),
        ('"a b"@example.org', ['"', "U+0020"]),
        ("<a@example.org>", ["<", ">"]),
    ],
)
def test_an_address_with_a_character_no_address_holds_is_refused_and_says_which(
    address: str, shown: list[str]
) -> None:
    # Given an address holding a control character, a source-route character or a look-alike letter
    # When it is checked
    # Then it is not well formed, and the refused characters are named as a person can read them
    assert not is_well_formed(address)
    assert refused_characters(address) == shown


@pytest.mark.parametrize(
    "address",
    [
        "agent",
        "@example.org",
        "agent@",
        "a..b@example.org",
        ".a@example.org",
        "a.@example.org",
        "a@b@example.org",
        "agent@example",
        "agent@-example.org",
        "agent@example.123",
        "agent@[192.0.2.1]",
        "+tag@example.org",
        "a" * 65 + "@example.org",
        "a@" + "b" * 250 + ".org",
    ],
)
def test_what_is_not_a_dot_atom_at_a_host_name_is_not_an_address(address: str) -> None:
    assert not is_well_formed(address)


def test_one_person_whatever_the_case_or_the_plus_tag() -> None:
    # Given the director's address written with capitals and tags
    spellings = [
        "director@example.org",
        "Director@Example.org",
        "DIRECTOR+1@EXAMPLE.ORG",
        "director+a+b@example.org",
    ]
    # When each is made canonical
    # Then they are one person, and that person is the configured one
    assert {canonical_address(s) for s in spellings} == {"director@example.org"}
    assert all(is_allowed_proposer(s, [], ["director@example.org"]) for s in spellings)
    # And a look-alike is someone else
    assert canonical_address("\u0434irector@example.org") != "director@example.org"
