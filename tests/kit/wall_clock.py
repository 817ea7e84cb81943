"""Opening hours read the slow way, by watching a site's clock minute by minute: what the calendar tests trust."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTE = dt.timedelta(minutes=1)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def open_minutes(
    time_zone: str,
    opening_hours: Mapping[str, Sequence[Sequence[str]]],
    holidays: Collection[dt.date],
    first: dt.datetime,
    count: int,
) -> list[bool]:
    """Open or not at each of `count` whole minutes from `first`.

    A site is open while the latest time its clock has shown lies inside an opening interval of that time's
    day (so the repeated hour of autumn does not reopen an interval that closed in its first pass). The clock
    is watched from a day before `first`, so the latest time shown is known from the start.
    """
    zone = ZoneInfo(time_zone)
    latest: dt.datetime | None = None
    answers: list[bool] = []
    for k in range(-1440, count):
        wall = (first + k * MINUTE).astimezone(zone).replace(tzinfo=None)
        latest = wall if latest is None or wall > latest else latest
        if k < 0:
            continue
        shown = latest.hour * 60 + latest.minute
        intervals = () if latest.date() in holidays else opening_hours.get(WEEKDAYS[latest.weekday()], ())
        answers.append(any(_minutes(start) <= shown < _minutes(end) for start, end in intervals))
    return answers
