"""Limits against floods: how many proposals one address may make, how many confirmation mails one
mailbox may get, and how many proposals one network may send, per hour and per day.

Without them the public form mails anyone of the organisation, from the organisation's own address, as
often as a script asks: a phishing vehicle that passes SPF and DKIM. Each limit is a counter per fixed
window (the UTC hour; the calendar day in the organisation's time zone, which is what "20 a day" means
to its people), counted with a conditional write before anything is stored or mailed.

Addresses are counted in their canonical form (`Director+1@Example.org` is director@example.org), and
a source address by the network one client holds: an IPv4 address, or an IPv6 /64 (one home or office
gets a whole /64 and may use any address in it). A limit of 0 is off."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

from postdesk.domain.addresses import canonical_address
from postdesk.errors import TooManyRequests

Scope = Literal["proposer", "recipient", "source"]
Window = Literal["hour", "day"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPV6_CLIENT_PREFIX: Final = 64
# A counter outlives its window by this much, then DynamoDB's TTL may remove it (it is never read again).
KEEP_AFTER_WINDOW: Final = timedelta(days=1)


@dataclass(frozen=True)
class PerHourAndDay:
    """At most `hour` in one clock hour and `day` in one day; 0 is no limit."""

    hour: int
    day: int

    def __post_init__(self) -> None:
        if self.hour < 0 or self.day < 0:
            raise ValueError("a limit is 0 (off) or a positive number")


@dataclass(frozen=True)
class FloodLimits:
    """The limits in force: the defaults are what a police directorate's colleagues never reach (a
    colleague proposes a few posts a week) and what keeps a colleague's mailbox from being flooded."""

    per_proposer: PerHourAndDay = PerHourAndDay(5, 20)
    per_recipient: PerHourAndDay = PerHourAndDay(5, 20)
    # High, not off: a whole directorate often leaves through one office address (exempt it below).
    per_source: PerHourAndDay = PerHourAndDay(30, 100)
    exempt_networks: tuple[Network, ...] = ()

    @staticmethod
    def networks(cidrs: list[str]) -> tuple[Network, ...]:
        """The networks of a CIDR list (`192.0.2.0/24, 2001:db8::/32`); ValueError naming a bad one."""
        networks = []
        for cidr in cidrs:
            try:
                networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"{cidr!r} is not a network in CIDR notation (such as 192.0.2.0/24)"
                ) from None
        return tuple(networks)


@dataclass(frozen=True)
class Counter:
    """One count to add: `key` names the subject and its window; at most `most` fit in it."""

    scope: Scope
    window: Window
    key: str
    most: int
    resets_at: datetime

    @property
    def keep_until(self) -> datetime:
        return self.resets_at + KEEP_AFTER_WINDOW


def client_network(source_ip: str | None) -> str | None:
    """The network one client holds, as a string, or None for what is not an IP address (API Gateway's
    test console sends `test-invoke-source-ip`)."""
    if not source_ip:
        return None
    try:
        address = ipaddress.ip_address(source_ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(address)


def _exempt(source_ip: str, networks: tuple[Network, ...]) -> bool:
    address = ipaddress.ip_address(source_ip.strip())
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def _windows(now: datetime, time_zone: str) -> dict[Window, tuple[str, datetime]]:
    """Each window's id and the moment it ends."""
    utc = now.astimezone(UTC)
    hour_start = utc.replace(minute=0, second=0, microsecond=0)
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    next_midnight = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return {
        "hour": (f"h{hour_start:%Y-%m-%dT%H}Z", hour_start + timedelta(hours=1)),
        "day": (f"d{today.isoformat()}", next_midnight),
    }


def counters(
    limits: FloodLimits,
    *,
    proposer: str,
    recipient: str,
    source_ip: str | None,
    now: datetime,
    time_zone: str,
) -> list[Counter]:
    """The counts one proposal adds: its proposer's, its confirmation's recipient's, and its source
    network's (unless that network is exempt), each per hour and per day, leaving out limits that are
    off."""
    subjects: list[tuple[Scope, str, PerHourAndDay]] = [
        ("proposer", canonical_address(proposer), limits.per_proposer),
        ("recipient", canonical_address(recipient), limits.per_recipient),
    ]
    network = client_network(source_ip)
    if network is not None and source_ip is not None and not _exempt(source_ip, limits.exempt_networks):
        subjects.append(("source", network, limits.per_source))
    windows = _windows(now, time_zone)
    found = []
    for scope, subject, most in subjects:
        for window in ("hour", "day"):
            limit = most.hour if window == "hour" else most.day
            if limit > 0:
                window_id, resets_at = windows[window]
                found.append(Counter(scope, window, f"{scope}#{subject}#{window_id}", limit, resets_at))
    return found


def refusal(refused: list[Counter], now: datetime, time_zone: str) -> TooManyRequests:
    """The 429 for the counters that were full: when to retry is when the last of them resets."""
    last = max(refused, key=lambda counter: counter.resets_at)
    who = "network" if last.scope == "source" else "address"
    local = last.resets_at.astimezone(ZoneInfo(time_zone))
    return TooManyRequests(
        f"too many proposals for this {who} this {last.window} ({last.most} at most): try again after "
        f"{local:%H:%M}",
        f"too_many_for_{who}_{last.window}",
        retry_at=last.resets_at,
        now=now,
        most=last.most,
        time=f"{local:%H:%M}",
    )
