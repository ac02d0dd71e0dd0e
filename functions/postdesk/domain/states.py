"""A proposal's life (DESIGN.md section 2) as one table of the moves it may make."""

from __future__ import annotations

from enum import StrEnum

from postdesk.errors import IllegalTransition


class Status(StrEnum):
    AWAITING_CONFIRMATION = "AWAITING_CONFIRMATION"
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    PUBLISHING = "PUBLISHING"
    PUBLISHED = "PUBLISHED"
    REJECTED = "REJECTED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"
    NEEDS_RECONCILE = "NEEDS_RECONCILE"


S = Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.AWAITING_CONFIRMATION: frozenset({S.PENDING, S.EXPIRED, S.WITHDRAWN}),
    S.PENDING: frozenset({S.PENDING, S.APPROVED, S.REJECTED, S.CHANGES_REQUESTED, S.WITHDRAWN, S.EXPIRED}),
    # An approved post may still be vetoed, sent back for changes, withdrawn or edited (a new version
    # goes back to PENDING) until a run claims it.
    S.APPROVED: frozenset({S.PUBLISHING, S.PENDING, S.REJECTED, S.CHANGES_REQUESTED, S.WITHDRAWN, S.EXPIRED}),
    S.PUBLISHING: frozenset({S.PUBLISHED, S.APPROVED, S.FAILED, S.NEEDS_RECONCILE}),
    S.CHANGES_REQUESTED: frozenset({S.PENDING, S.WITHDRAWN, S.EXPIRED}),
    # A person resolves these from the alert mail: published after all, publish again, or abandon.
    S.NEEDS_RECONCILE: frozenset({S.PUBLISHED, S.APPROVED, S.FAILED}),
    # Abandoning a failed post keeps it FAILED: the decision is what changes (and is audited).
    S.FAILED: frozenset({S.APPROVED, S.FAILED}),
    S.PUBLISHED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.EXPIRED: frozenset(),
}

FINAL_STATES = frozenset(state for state, moves in TRANSITIONS.items() if not moves)

# A failed post a person chose to abandon stays FAILED (nothing may move it on); its reason says so.
ABANDONED_BY = "abandoned by "


def is_abandoned(status: Status, status_reason: str | None) -> bool:
    """A failed post a person abandoned: shown as abandoned, no longer asking anyone for anything."""
    return status is Status.FAILED and (status_reason or "").startswith(ABANDONED_BY)


def check_transition(current: Status, target: Status) -> None:
    """Raise IllegalTransition unless the table allows `current` -> `target`."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current.value, target.value)
