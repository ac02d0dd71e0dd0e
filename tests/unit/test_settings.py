"""Settings: quorum per kind, canonical approver addresses, and a configuration that can never reach
its quorum refused at start-up."""

from __future__ import annotations

import pytest

from postdesk.config import settings_from_environment
from postdesk.domain.addresses import canonical_address, is_allowed_proposer
from postdesk.domain.kinds import Kind
from postdesk.errors import ConfigurationError

BASE = {"APPROVERS": "Director@Example.org,deputy1+mail@example.org,deputy2@example.org"}


def test_default_quorum_is_one_and_two_for_judicial_kinds_and_flagged_posts() -> None:
    settings = settings_from_environment(BASE)
    assert settings.quorum_for(Kind.PREVENTION, judicial_risk=False) == 1
    assert settings.quorum_for(Kind.SOLVED_CASE, judicial_risk=False) == 2
    assert settings.quorum_for(Kind.WITNESS_APPEAL, judicial_risk=False) == 2
    assert settings.quorum_for(Kind.ADVICE, judicial_risk=True) == 2


def test_quorum_is_configurable_per_kind() -> None:
    settings = settings_from_environment({**BASE, "QUORUM": "recruitment=2"})
    assert settings.quorum_for(Kind.RECRUITMENT, judicial_risk=False) == 2
    assert settings.quorum_for(Kind.SOLVED_CASE, judicial_risk=False) == 2


def test_approver_addresses_are_kept_in_canonical_form() -> None:
    assert settings_from_environment(BASE).approvers == [
        "director@example.org",
        "deputy1@example.org",
        "deputy2@example.org",
    ]


def test_fewer_approvers_than_a_quorum_could_ever_need_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="cannot reach a quorum of 2"):
        settings_from_environment({"APPROVERS": "director@example.org,deputy1@example.org"})


def test_an_unknown_kind_in_the_quorum_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        settings_from_environment({**BASE, "QUORUM": "gossip=1"})


def test_addresses_compare_without_case_or_plus_tag() -> None:
    assert canonical_address(" Agent.Dupont+postdesk@Example.ORG ") == "agent.dupont@example.org"
    assert is_allowed_proposer("x@EXAMPLE.org", ["example.org"], [])
    assert not is_allowed_proposer("x@example.org.evil.com", ["example.org"], [])
    assert is_allowed_proposer("press@partner.fr", ["example.org"], ["press@partner.fr"])
