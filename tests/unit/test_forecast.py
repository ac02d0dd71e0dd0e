"""Which run publishes each approved post: what mails and pages promise is what the runs will do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postdesk.domain.forecast import plan_runs
from postdesk.domain.kinds import Kind
from postdesk.domain.proposal import Proposal
from postdesk.domain.schedule import Schedule
from postdesk.domain.states import Status

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Paris, after the day's 08:00 run
RUNS = Schedule.parse("cron(0 8 * * ? *)", "Europe/Paris")


def _approved(name: str, minutes_ago: int, **fields: object) -> Proposal:
    approved_at = NOW - timedelta(minutes=minutes_ago)
    return Proposal(
        id=name,
        status=Status.APPROVED,
        version=1,
        kind=Kind.ADVICE,
        text=name,
        proposer_email="agent@example.org",
        created_at=approved_at,
        updated_at=approved_at,
        confirm_by=approved_at,
        quorum=1,
        approved_at=approved_at,
        **fields,  # type: ignore[arg-type]
    )


def _day(slot_run: datetime | None) -> int | None:
    return slot_run.day if slot_run else None


def test_the_cap_leaves_the_newest_approvals_for_the_following_mornings() -> None:
    # Given five approved posts and a cap of three per run
    posts = [_approved(f"p{n}", 50 - n) for n in range(5)]
    # When the coming runs are played
    slots = plan_runs(posts, RUNS.runs_after(NOW), cap=3)
    # Then the three oldest approvals go out tomorrow, the two others the day after, held by the cap
    assert [_day(slots[f"p{n}"].run_at) for n in range(5)] == [2, 2, 2, 3, 3]
    assert [slots[f"p{n}"].held_by_cap for n in range(5)] == [False, False, False, True, True]


def test_an_embargo_of_tomorrow_ten_oclock_means_the_run_of_the_day_after() -> None:
    embargoed = _approved("embargo", 5, not_before=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    slots = plan_runs([embargoed], RUNS.runs_after(NOW), cap=3)
    run = slots["embargo"].run_at
    assert run is not None and run.date().isoformat() == "2026-12-03" and not slots["embargo"].held_by_cap


def test_a_post_whose_expiry_comes_before_its_run_is_said_to_expire() -> None:
    # Given a post approved four minutes before its expiry, at 10:00 today
    late = _approved("late", 0, expires_at=NOW + timedelta(minutes=4))
    slots = plan_runs([late], RUNS.runs_after(NOW), cap=3)
    assert slots["late"].run_at is None and slots["late"].expires_first


def test_nothing_approved_plans_nothing() -> None:
    assert plan_runs([], RUNS.runs_after(NOW), cap=3) == {}
