"""Email addresses as people are recognised by: canonical form, allow-lists."""

from __future__ import annotations

import re

_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def is_well_formed(address: str) -> bool:
    return bool(_ADDRESS.match(address.strip()))


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
