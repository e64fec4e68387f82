"""Cron schedules: checked when saved, and the next time a job is due."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter


class ScheduleError(ValueError):
    pass


def check(expression: str, timezone: str = "UTC") -> str:
    expression = " ".join(expression.split())
    if len(expression.split(" ")) != 5 or not croniter.is_valid(expression):
        raise ScheduleError(
            f"{expression!r} is not a cron expression of five fields (minute hour day month weekday), "
            "for example '0 * * * *' for every hour"
        )
    zone(timezone)
    return expression


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{name!r} is not a time zone such as UTC or Europe/Berlin") from None


def next_run(expression: str, timezone: str, after: datetime) -> datetime:
    """The first time strictly after `after` at which the schedule fires (aware, in UTC terms)."""
    local = after.astimezone(zone(timezone))
    result: datetime = croniter(check(expression, timezone), local).get_next(datetime)
    return result
