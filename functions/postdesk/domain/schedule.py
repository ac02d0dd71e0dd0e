"""When the morning runs happen, from EventBridge Scheduler's cron expression in the organisation's time
zone, so that every mail and page that promises "it goes out on ..." names the very run that will.

Scheduler's cron has six fields: minutes, hours, day of month, month, day of week, year. This reads the
forms a publishing schedule uses: numbers, lists, ranges and steps, `*`, `?`, and day names; anything
else (`L`, `W`, `#`) is refused when the settings are read, not guessed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_CRON = re.compile(r"^cron\((.+)\)$")
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}
MAX_DAYS_AHEAD = 366 * 2


class BadSchedule(ValueError):
    """A schedule this reader does not understand."""


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    if field in ("*", "?"):
        return frozenset(range(low, high + 1))
    chosen: set[int] = set()
    for item in field.split(","):
        part, step = item, 1
        if "/" in item:
            part, step_text = item.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise BadSchedule(f"bad step in {field!r}")
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high and start <= end):
            raise BadSchedule(f"{field!r} is outside {low}-{high}")
        chosen.update(range(start, end + 1, step))
    return frozenset(chosen)


def _number(text: str, names: dict[str, int] | None) -> int:
    upper = text.strip().upper()
    if names and upper in names:
        return names[upper]
    if not upper.isdigit():
        raise BadSchedule(f"{text!r} is not a number this schedule reader knows")
    return int(upper)


@dataclass(frozen=True)
class Schedule:
    """A cron schedule in a time zone; `runs_after` lists its coming runs."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]  # 1 = Sunday ... 7 = Saturday, as Scheduler counts them
    years: frozenset[int] | None
    time_zone: str
    any_day_of_month: bool
    any_day_of_week: bool

    @classmethod
    def parse(cls, expression: str, time_zone: str) -> Schedule:
        match = _CRON.match(expression.strip())
        if match is None:
            raise BadSchedule(f"{expression!r} is not a cron(...) expression")
        fields = match.group(1).split()
        if len(fields) != 6:
            raise BadSchedule(f"{expression!r} needs six fields")
        minutes, hours, day_of_month, month, day_of_week, year = fields
        return cls(
            minutes=_values(minutes, 0, 59),
            hours=_values(hours, 0, 23),
            days_of_month=_values(day_of_month, 1, 31),
            months=_values(month, 1, 12, _MONTHS),
            days_of_week=_values(day_of_week, 1, 7, _DAYS),
            years=None if year in ("*", "?") else _values(year, 1970, 2199),
            time_zone=time_zone,
            any_day_of_month=day_of_month in ("*", "?"),
            any_day_of_week=day_of_week in ("*", "?"),
        )

    def _runs_on(self, day: date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        weekday = day.isoweekday() % 7 + 1  # Monday=1 in Python; Sunday=1 in Scheduler's cron
        by_month = self.any_day_of_month or day.day in self.days_of_month
        by_week = self.any_day_of_week or weekday in self.days_of_week
        return by_month and by_week

    def runs_after(self, moment: datetime) -> Iterator[datetime]:
        """The runs strictly after `moment`, in order, as aware datetimes in the schedule's zone. A local
        time that a clock change skips is run at once after the change; one it repeats, once."""
        zone = ZoneInfo(self.time_zone)
        local = moment.astimezone(zone)
        for offset in range(MAX_DAYS_AHEAD):
            day = local.date() + timedelta(days=offset)
            if not self._runs_on(day):
                continue
            for hour in sorted(self.hours):
                for minute in sorted(self.minutes):
                    run = datetime.combine(day, time(hour, minute), tzinfo=zone)
                    run = run.astimezone(UTC).astimezone(zone)  # normalises a skipped local time
                    if run > moment:
                        yield run

    def next_run(self, moment: datetime) -> datetime | None:
        return next(self.runs_after(moment), None)
