"""The morning runs as EventBridge Scheduler runs them, so that a promised date is the real one."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice

import pytest

from postdesk.domain.schedule import BadSchedule, Schedule

PARIS = "Europe/Paris"


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z")


def test_the_next_morning_run_is_tomorrow_at_eight_once_todays_has_passed() -> None:
    schedule = Schedule.parse("cron(0 8 * * ? *)", PARIS)
    # Given 10:00 in Paris (09:00 UTC) on 1 December
    runs = list(islice(schedule.runs_after(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)), 2))
    # Then the next runs are at 08:00 Paris time, the 2nd and the 3rd
    assert [_local(run) for run in runs] == ["2026-12-02 08:00 CET", "2026-12-03 08:00 CET"]


def test_a_run_later_the_same_day_is_the_next_one() -> None:
    schedule = Schedule.parse("cron(0 8 * * ? *)", PARIS)
    assert _local(schedule.next_run(datetime(2026, 12, 1, 6, 0, tzinfo=UTC)) or datetime.min) == (
        "2026-12-01 08:00 CET"
    )


def test_weekdays_only_skips_the_weekend() -> None:
    schedule = Schedule.parse("cron(0 8 ? * MON-FRI *)", PARIS)
    friday_noon = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
    assert _local(schedule.next_run(friday_noon) or datetime.min) == "2026-12-07 08:00 CET"


def test_the_summer_time_change_keeps_eight_oclock_local() -> None:
    schedule = Schedule.parse("cron(0 8 * * ? *)", PARIS)
    run = schedule.next_run(datetime(2027, 3, 28, 0, 0, tzinfo=UTC))
    assert run is not None and _local(run) == "2027-03-28 08:00 CEST"
    assert run.astimezone(UTC).hour == 6


def test_a_run_at_a_local_time_the_clock_change_skips_happens_just_after_it() -> None:
    schedule = Schedule.parse("cron(30 2 * * ? *)", PARIS)
    run = schedule.next_run(datetime(2027, 3, 28, 0, 0, tzinfo=UTC))
    assert run is not None and _local(run) == "2027-03-28 03:30 CEST"


@pytest.mark.parametrize(
    "expression",
    ["rate(1 day)", "cron(0 8 * *)", "cron(0 8 L * ? *)", "cron(0 25 * * ? *)", "cron(0 8 ? * 2#1 *)"],
)
def test_a_schedule_the_reader_does_not_understand_is_refused(expression: str) -> None:
    with pytest.raises(BadSchedule):
        Schedule.parse(expression, PARIS)
