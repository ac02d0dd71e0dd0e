"""The approvers' rules without any AWS: who may approve which version, and when the quorum holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postdesk.domain.kinds import Kind
from postdesk.domain.proposal import Proposal
from postdesk.domain.review_rules import (
    check_approver,
    check_current_version,
    check_may_approve,
    due_at,
    quorum_reached,
)
from postdesk.domain.states import Status
from postdesk.errors import Forbidden, StaleVersion

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _proposal(**overrides: object) -> Proposal:
    values: dict[str, object] = {
        "id": "p1",
        "status": Status.PENDING,
        "version": 1,
        "kind": Kind.PREVENTION,
        "text": "t",
        "proposer_email": "Director+tag@Example.org",
        "created_at": NOW,
        "updated_at": NOW,
        "confirm_by": NOW,
        "quorum": 2,
    }
    values.update(overrides)
    return Proposal(**values)  # type: ignore[arg-type]


def test_a_proposer_cannot_approve_their_own_proposal_whatever_the_case_or_tag() -> None:
    with pytest.raises(Forbidden, match="you proposed this post"):
        check_may_approve("director@example.org", _proposal())


def test_the_approver_who_wrote_the_current_version_cannot_approve_it() -> None:
    edited = _proposal(proposer_email="agent@example.org", edited_by="deputy1@example.org", version=2)
    with pytest.raises(Forbidden, match="you edited this version"):
        check_may_approve("Deputy1@example.org", edited)
    check_may_approve("deputy2@example.org", edited)


def test_a_link_of_an_older_version_is_stale() -> None:
    with pytest.raises(StaleVersion, match="version 1"):
        check_current_version(1, _proposal(version=2))
    check_current_version(2, _proposal(version=2))


def test_only_a_configured_approver_may_act() -> None:
    with pytest.raises(Forbidden, match="no longer an approver"):
        check_approver("gone@example.org", ["director@example.org"])
    check_approver("Director+x@example.org", ["director@example.org"])


@pytest.mark.parametrize(
    ("approvals", "quorum", "reached"), [(0, 1, False), (1, 1, True), (1, 2, False), (2, 2, True)]
)
def test_the_quorum_counts_distinct_approvers(approvals: int, quorum: int, reached: bool) -> None:
    assert quorum_reached(frozenset(f"a{n}@example.org" for n in range(approvals)), quorum) is reached


def test_an_approved_post_under_embargo_is_due_when_the_embargo_ends() -> None:
    assert due_at(NOW, None) == NOW
    assert due_at(NOW, NOW + timedelta(days=2)) == NOW + timedelta(days=2)
    assert due_at(NOW, NOW - timedelta(days=2)) == NOW
