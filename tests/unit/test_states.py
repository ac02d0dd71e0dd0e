"""A proposal's life: the table of moves refuses every move DESIGN.md does not allow."""

from __future__ import annotations

import pytest

from postdesk.domain.states import FINAL_STATES, TRANSITIONS, Status, check_transition
from postdesk.errors import IllegalTransition

ALLOWED = [
    ("AWAITING_CONFIRMATION", "PENDING"),
    ("AWAITING_CONFIRMATION", "EXPIRED"),
    ("PENDING", "APPROVED"),
    ("PENDING", "REJECTED"),
    ("PENDING", "CHANGES_REQUESTED"),
    ("CHANGES_REQUESTED", "PENDING"),
    ("APPROVED", "PUBLISHING"),
    ("APPROVED", "REJECTED"),
    ("PUBLISHING", "PUBLISHED"),
    ("PUBLISHING", "NEEDS_RECONCILE"),
    ("PUBLISHING", "FAILED"),
    ("NEEDS_RECONCILE", "PUBLISHED"),
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_the_moves_of_a_proposals_life_are_allowed(current: str, target: str) -> None:
    check_transition(Status(current), Status(target))


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("AWAITING_CONFIRMATION", "APPROVED"),
        ("AWAITING_CONFIRMATION", "PUBLISHED"),
        ("PENDING", "PUBLISHING"),
        ("PENDING", "PUBLISHED"),
        ("PUBLISHING", "REJECTED"),
        ("REJECTED", "PENDING"),
        ("PUBLISHED", "PUBLISHING"),
        ("EXPIRED", "PENDING"),
    ],
)
def test_an_illegal_move_is_refused(current: str, target: str) -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_transition(Status(current), Status(target))
    assert current in refused.value.message and target in refused.value.message


def test_only_a_run_can_publish_a_post_after_claiming_it() -> None:
    sources = {state for state, moves in TRANSITIONS.items() if Status.PUBLISHED in moves}
    assert sources == {Status.PUBLISHING, Status.NEEDS_RECONCILE}


def test_published_rejected_withdrawn_and_expired_are_final() -> None:
    assert {Status.PUBLISHED, Status.REJECTED, Status.WITHDRAWN, Status.EXPIRED} == FINAL_STATES


def test_every_state_has_a_row() -> None:
    assert set(TRANSITIONS) == set(Status)
