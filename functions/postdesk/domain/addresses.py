"""Email addresses as people are recognised by: what an address may be, its canonical form,
allow-lists.

An address is what RFC 5321 calls a dot-atom local part at a host name, in ASCII: it goes into the
`To:` header of every mail postdesk sends, so nothing a mail program reads otherwise may pass. Refused
beyond the RFC's own grammar: `%` and `!` (old source routes, which some relays still follow to
another host), control characters, and letters outside ASCII (a Cyrillic `а` looks like a Latin `a`
and would make another person)."""

from __future__ import annotations

import re
import unicodedata

MAX_LOCAL_PART = 64  # RFC 5321, 4.5.3.1.1
MAX_ADDRESS = 254  # what fits a path of 256 octets with its angle brackets
# RFC 5322's atext, less `%` and `!`.
_ATOM = r"[A-Za-z0-9#$&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+{_LABEL}")
_ALLOWED_CHARACTER = re.compile(r"[A-Za-z0-9#$&'*+/=?^_`{|}~.@-]")


def _shown(character: str) -> str:
    """A refused character as a person can read it: itself if it is visible, else its code point."""
    code = f"U+{ord(character):04X}"
    if unicodedata.category(character)[0] in "CZ":
        return code
    return f"{character} ({code})" if ord(character) > 0x7E else character


def refused_characters(address: str) -> list[str]:
    """The characters of `address` that no address may hold, each once, as a person can read them."""
    found = [c for c in dict.fromkeys(address.strip()) if not _ALLOWED_CHARACTER.fullmatch(c)]
    return [_shown(c) for c in found]


def is_well_formed(address: str) -> bool:
    local, at, domain = address.strip().rpartition("@")
    return (
        bool(at)
        and len(address.strip()) <= MAX_ADDRESS
        and len(local) <= MAX_LOCAL_PART
        and _LOCAL_PART.fullmatch(local) is not None
        and _DOMAIN.fullmatch(domain) is not None
        and not domain.rpartition(".")[2].isdigit()  # a host name, not an IP address
        and bool(local.split("+", 1)[0])  # someone before the tag: `+x@` is nobody
    )


def canonical_address(address: str) -> str:
    """Lower-case, without a `+tag`: `Director+x@Example.org` and `director@example.org` are one person."""
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}@{domain}"


def domain_of(address: str) -> str:
    return address.strip().lower().rpartition("@")[2]


def is_allowed_proposer(address: str, domains: list[str], addresses: list[str]) -> bool:
    canonical = canonical_address(address)
    return canonical in addresses or domain_of(canonical) in domains
