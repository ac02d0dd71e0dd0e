"""The next runs of the stack's schedules, in the organisation's time zone.

EventBridge Scheduler's expressions are `cron(minutes hours day-of-month month day-of-week year)`, with
days of the week numbered 1 (Sunday) to 7 and `?` for "any", or `rate(n unit)`. croniter reads the
classic five fields, so the expression is turned into them: the week's days shifted to 0-6, `?` as `*`,
and a year other than `*` checked on each occurrence."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from croniter import croniter

if TYPE_CHECKING:
    from collections.abc import Iterator

_CRON = re.compile(r"^cron\((.+)\)$")
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_AT = re.compile(r"^at\((.+)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class UnknownSchedule(ValueError):
    """An expression this module does not read; the message names it."""


def _weekday(field: str) -> str:
    """AWS numbers the days 1-7 from Sunday; cron 0-6. Names (MON-FRI) and `#`/`L` suffixes stay."""

    def shift(match: re.Match[str]) -> str:
        return str(int(match.group(0)) - 1)

    if field in ("?", "*"):
        return "*"
    head, sep, tail = field.partition("#")  # 6#3: the third Friday; only the day before # is a day
    return re.sub(r"\d+", shift, head) + sep + tail


def _years(field: str) -> set[int] | None:
    if field in ("*", "?"):
        return None
    years: set[int] = set()
    for part in field.split(","):
        first, _, last = part.partition("-")
        years.update(range(int(first), int(last or first) + 1))
    return years


def next_runs(expression: str, time_zone: str, after: datetime, count: int = 1) -> list[datetime]:
    """The next `count` times `expression` fires after `after`, in `time_zone`."""
    zone = ZoneInfo(time_zone)
    start = after.astimezone(zone)
    rate = _RATE.match(expression.strip())
    if rate:
        step = timedelta(seconds=int(rate.group(1)) * _UNIT_SECONDS[rate.group(2).rstrip("s")])
        return [start + step * (n + 1) for n in range(count)]
    at = _AT.match(expression.strip())
    if at:
        when = datetime.fromisoformat(at.group(1)).replace(tzinfo=zone)
        return [when] if when > start else []
    cron = _CRON.match(expression.strip())
    if not cron:
        raise UnknownSchedule(f"{expression!r} is not a cron(...), rate(...) or at(...) expression")
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise UnknownSchedule(f"{expression!r} does not have the six fields of EventBridge's cron")
    minutes, hours, day, month, weekday, year = fields
    classic = " ".join([minutes, hours, "*" if day == "?" else day, month, _weekday(weekday)])
    years = _years(year)
    try:
        occurrences: Iterator[datetime] = croniter(classic, start).all_next(datetime)
    except (ValueError, KeyError) as error:
        raise UnknownSchedule(f"{expression!r} cannot be read: {error}") from None
    found: list[datetime] = []
    for when in occurrences:
        if years is not None and when.year > max(years):
            break
        if years is None or when.year in years:
            found.append(when)
        if len(found) == count:
            break
    return found
