"""The flood limits' rules, pure: which counters a proposal adds, their windows, who is one client, what
an operator may configure, and how the refusal says when to retry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postdesk.config import settings_from_environment
from postdesk.domain.flood_limits import FloodLimits, PerHourAndDay, client_network, counters, refusal
from postdesk.errors import ConfigurationError
from postdesk.wording import error_text

PARIS = "Europe/Paris"
BASE = {"APPROVERS": "director@example.org,deputy1@example.org,deputy2@example.org"}


def _keys(found: list) -> list[str]:  # type: ignore[type-arg]
    return [counter.key for counter in found]


def test_a_proposal_counts_for_its_canonical_proposer_its_recipient_and_its_network() -> None:
    found = counters(
        FloodLimits(),
        proposer="Director+phish@Example.org",
        recipient="Director+phish@Example.org",
        source_ip="203.0.113.9",
        now=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        time_zone=PARIS,
    )
    assert _keys(found) == [
        "proposer#director@example.org#h2026-12-01T09Z",
        "proposer#director@example.org#d2026-12-01",
        "recipient#director@example.org#h2026-12-01T09Z",
        "recipient#director@example.org#d2026-12-01",
        "source#203.0.113.9#h2026-12-01T09Z",
        "source#203.0.113.9#d2026-12-01",
    ]
    assert [counter.most for counter in found] == [5, 20, 5, 20, 30, 100]


def test_the_day_is_the_organisations_day_across_a_change_of_time() -> None:
    # 23:30 UTC on 24 October 2026 is already the 25th in Paris, the day summer time ends (25 hours long)
    (hour, day) = counters(
        FloodLimits(per_recipient=PerHourAndDay(0, 0)),
        proposer="a@example.org",
        recipient="a@example.org",
        source_ip=None,
        now=datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        time_zone=PARIS,
    )
    assert day.key.endswith("#d2026-10-25")
    assert day.resets_at == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # midnight in Paris, winter time
    assert hour.resets_at == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("source", "network"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64"),
        ("2001:db8:aa:bb:ffff::9", "2001:db8:aa:bb::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("test-invoke-source-ip", None),
        ("", None),
        (None, None),
    ],
)
def test_one_client_is_an_ipv4_address_or_an_ipv6_64(source: str | None, network: str | None) -> None:
    assert client_network(source) == network


def test_an_exempt_network_and_a_limit_of_zero_add_no_counter() -> None:
    limits = FloodLimits(
        per_proposer=PerHourAndDay(5, 0),
        exempt_networks=FloodLimits.networks(["192.0.2.0/24", "2001:db8:1::/48"]),
    )
    for office in ("192.0.2.44", "2001:db8:1:9::3", "::ffff:192.0.2.44"):
        found = counters(
            limits,
            proposer="a@example.org",
            recipient="a@example.org",
            source_ip=office,
            now=datetime(2026, 12, 1, 9, tzinfo=UTC),
            time_zone=PARIS,
        )
        assert [(c.scope, c.window) for c in found] == [
            ("proposer", "hour"),
            ("recipient", "hour"),
            ("recipient", "day"),
        ]


def test_the_refusal_names_the_last_window_to_reset_in_the_readers_words() -> None:
    now = datetime(2026, 12, 1, 9, 59, 30, tzinfo=UTC)
    found = counters(
        FloodLimits(),
        proposer="a@example.org",
        recipient="a@example.org",
        source_ip=None,
        now=now,
        time_zone=PARIS,
    )
    hour_only = refusal([found[0]], now, PARIS)
    assert hour_only.status_code == 429 and hour_only.retry_after == 30
    assert error_text(hour_only.reason, hour_only.params, "fr").endswith("Réessayez après 11:00.")
    both = refusal(found[:2], now, PARIS)
    assert both.reason == "too_many_for_address_day"
    assert both.retry_at == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert error_text(both.reason, both.params, "en").endswith("Try again tomorrow.")


def test_the_operator_sets_the_limits_and_the_exempt_networks() -> None:
    settings = settings_from_environment(
        {
            **BASE,
            "PROPOSALS_PER_PROPOSER_PER_HOUR": "2",
            "PROPOSALS_PER_SOURCE_IP_PER_DAY": "0",
            "LIMIT_EXEMPT_NETWORKS": "192.0.2.0/24, 2001:db8::/32",
        }
    )
    limits = settings.flood_limits
    assert limits.per_proposer == PerHourAndDay(2, 20)
    assert limits.per_source == PerHourAndDay(30, 0)
    assert [str(network) for network in limits.exempt_networks] == ["192.0.2.0/24", "2001:db8::/32"]
    assert settings_from_environment(BASE).flood_limits == FloodLimits()


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("LIMIT_EXEMPT_NETWORKS", "the office", "'the office' is not a network in CIDR notation"),
        ("PROPOSALS_PER_PROPOSER_PER_HOUR", "-1", "PROPOSALS_PER_PROPOSER_PER_HOUR .*: a limit is 0"),
        (
            "CONFIRMATIONS_PER_RECIPIENT_PER_DAY",
            "many",
            "CONFIRMATIONS_PER_RECIPIENT_PER_DAY: invalid literal",
        ),
    ],
)
def test_a_wrong_limit_is_refused_at_start_up(name: str, value: str, words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        settings_from_environment({**BASE, name: value})
