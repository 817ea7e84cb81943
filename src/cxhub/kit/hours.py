"""Business-hours calendars: a site's local opening intervals and holidays, evaluated in its own time zone.

Opening intervals are wall-clock times in the site's zone. Each boundary is the first instant at which the
site's clock shows that time. So a boundary inside the spring-forward gap falls at the gap's end (in Dublin an
opening at 01:30 on the last Sunday of March opens at 02:00 summer time), and a boundary inside the repeated
hour of autumn takes its first reading: an interval that covers the repeated hour is open both times round
(00:00-24:00 is 25 real hours that day), one that ends inside it closes at the first reading and does not open
again. Put another way, a site is open while the latest time its clock has shown lies inside an opening
interval.

Intervals that meet across midnight (mon 22:00-24:00, tue 00:00-06:00) make one continuous stretch.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
_DAY = dt.timedelta(days=1)
_ZERO = dt.timedelta(0)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_CACHE_LIMIT = 4096  # local dates or UTC days per calendar; a router asks about "now", so few are ever hot

Span = tuple[dt.datetime, dt.datetime]


def _aware(at: dt.datetime, name: str = "at") -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return at.astimezone(dt.UTC)


def _minutes(text: str) -> int:
    match = _HHMM.fullmatch(text)
    if match is None:
        raise ValueError(f"opening times must be HH:MM, not {text!r}")
    return 1440 if text == "24:00" else int(match[1]) * 60 + int(match[2])


def _day_intervals(intervals: Sequence[Sequence[str]]) -> tuple[tuple[int, int], ...]:
    """One day's intervals in minutes from local midnight, sorted, overlapping ones joined."""
    parsed: list[tuple[int, int]] = []
    for interval in intervals:
        if len(interval) != 2:
            raise ValueError("an opening interval is a pair [start, end]")
        start, end = _minutes(interval[0]), _minutes(interval[1])
        if start >= end:
            raise ValueError("an opening interval must end after it starts")
        parsed.append((start, end))
    parsed.sort()
    joined: list[tuple[int, int]] = []
    for start, end in parsed:
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return tuple(joined)


def _holiday(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError("a holiday is a local date, not a datetime")
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


class BusinessHours:
    """When a site is open. All methods take aware datetimes and answer in UTC; naive input is a ValueError."""

    __slots__ = ("_always", "_by_utc_day", "_days", "_holidays", "_never", "_week", "_zone")

    def __init__(
        self,
        time_zone: str,
        opening_hours: Mapping[str, Sequence[Sequence[str]]],
        holidays: Iterable[dt.date | str] = (),
    ) -> None:
        try:
            self._zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {time_zone!r}") from exc
        unknown = set(opening_hours) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"opening hours are keyed by mon..sun, not {sorted(unknown)}")
        self._week = tuple(_day_intervals(opening_hours.get(day, ())) for day in WEEKDAYS)
        self._holidays = frozenset(_holiday(day) for day in holidays)
        self._never = not any(self._week)
        self._always = not self._holidays and all(day == ((0, 1440),) for day in self._week)
        self._days: dict[dt.date, tuple[Span, ...]] = {}
        self._by_utc_day: dict[int, tuple[list[float], list[float]]] = {}

    @classmethod
    def always(cls) -> BusinessHours:
        """Open 24/7: the clock counts calendar time."""
        return cls("UTC", {day: [["00:00", "24:00"]] for day in WEEKDAYS})

    @property
    def time_zone(self) -> str:
        return self._zone.key

    @property
    def holidays(self) -> frozenset[dt.date]:
        return self._holidays

    @property
    def opening_hours(self) -> dict[str, list[list[str]]]:
        """The stored form, intervals sorted and overlapping ones joined."""
        return {
            day: [[f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"] for start, end in hours]
            for day, hours in zip(WEEKDAYS, self._week, strict=True)
            if hours
        }

    def __repr__(self) -> str:
        holidays = sorted(day.isoformat() for day in self._holidays)
        return f"BusinessHours({self.time_zone!r}, {self.opening_hours!r}, {holidays!r})"

    def is_open(self, at: dt.datetime) -> bool:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("at must be timezone-aware")
        if self._always:
            return True
        moment = at.timestamp()
        day = math.floor(moment / 86400)
        table = self._by_utc_day.get(day)
        if table is None:
            table = self._utc_day_table(day)
        starts, ends = table
        index = bisect.bisect_right(starts, moment) - 1
        return index >= 0 and moment < ends[index]

    def next_open(self, at: dt.datetime) -> dt.datetime | None:
        """`at` itself when open, else the start of the next opening; None when the site never opens."""
        at = _aware(at)
        if self._always:
            return at
        if self._never:
            return None
        for start, end in self._spans(self._local_date(at) - _DAY):
            if end > at:
                return max(start, at)
        raise AssertionError("unreachable: spans never end")  # pragma: no cover

    def open_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Open time in [start, end), exact to the microsecond; zero when end <= start."""
        start, end = _aware(start, "start"), _aware(end, "end")
        if end <= start:
            return _ZERO
        if self._always:
            return end - start
        if self._never:
            return _ZERO
        total = _ZERO
        for opens, closes in self._spans(self._local_date(start) - _DAY, self._local_date(end) + _DAY):
            if opens >= end:
                break
            if closes > start:
                total += min(closes, end) - max(opens, start)
        return total

    def open_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Open seconds in [start, end); 0 when end <= start."""
        return self.open_time_between(start, end).total_seconds()

    def add_open_seconds(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The first instant by which `seconds` of open time have passed since `start` (start itself for 0)."""
        start = _aware(start, "start")
        if not seconds >= 0 or math.isinf(seconds):
            raise ValueError("seconds must be a finite number >= 0")
        if self._never:
            raise ValueError("the calendar is never open")
        return self._add(start, dt.timedelta(seconds=seconds))

    def _add(self, start: dt.datetime, wanted: dt.timedelta) -> dt.datetime:
        if self._always or wanted == _ZERO:
            return start + wanted
        for opens, closes in self._spans(self._local_date(start) - _DAY):
            if closes <= start:
                continue
            opens = max(opens, start)
            if wanted <= closes - opens:
                return opens + wanted
            wanted -= closes - opens
        raise AssertionError("unreachable: spans never end")  # pragma: no cover

    def _local_date(self, at: dt.datetime) -> dt.date:
        return at.astimezone(self._zone).date()

    def _spans(self, first: dt.date, last: dt.date | None = None) -> Iterator[Span]:
        """Open spans of the local dates first..last (no end: forever), ascending.

        Spans never overlap; one that ends as the next begins (at midnight) simply hands over, so callers walk
        across it as one stretch without the spans being joined (a 24/7 site's would never end).
        """
        day = first
        while last is None or day <= last:
            yield from self._local_day(day)
            day += _DAY

    def _local_day(self, day: dt.date) -> tuple[Span, ...]:
        spans = self._days.get(day)
        if spans is None:
            spans = ()
            if day not in self._holidays:
                midnight = dt.datetime.combine(day, dt.time())
                for start, end in self._week[day.weekday()]:
                    opens = self._first_instant(midnight + dt.timedelta(minutes=start))
                    closes = self._first_instant(midnight + dt.timedelta(minutes=end))
                    if opens < closes:  # an interval wholly inside the spring-forward gap is never open
                        spans += ((opens, closes),)
            if len(self._days) >= _CACHE_LIMIT:
                self._days.clear()
            self._days[day] = spans
        return spans

    def _first_instant(self, wall: dt.datetime) -> dt.datetime:
        """The first instant at which the site's clock shows `wall` (naive local time) or a later time."""
        readings = [wall.replace(tzinfo=self._zone, fold=fold).astimezone(dt.UTC) for fold in (0, 1)]
        earlier, later = min(readings), max(readings)
        if earlier.astimezone(self._zone).replace(tzinfo=None) == wall:
            return earlier  # the only reading, or the first of the repeated hour
        return self._transition(earlier, later)  # inside the gap: the clock jumps past it at the transition

    def _transition(self, before: dt.datetime, after: dt.datetime) -> dt.datetime:
        """The instant in (before, after] where the offset changes to after's; tz data keeps whole seconds."""
        low, high = math.floor(before.timestamp()), math.ceil(after.timestamp())
        offset = after.astimezone(self._zone).utcoffset()
        while high - low > 1:
            middle = (low + high) // 2
            if dt.datetime.fromtimestamp(middle, self._zone).utcoffset() == offset:
                high = middle
            else:
                low = middle
        return _EPOCH + dt.timedelta(seconds=high)

    def _utc_day_table(self, day: int) -> tuple[list[float], list[float]]:
        """Open stretches meeting one UTC day, as POSIX timestamps, for a bisect."""
        begins = _EPOCH + dt.timedelta(days=day)
        ends = begins + _DAY
        starts: list[float] = []
        closes: list[float] = []
        # local dates within two days of the UTC date cover every offset, and a repeated hour over midnight
        for opens, shuts in self._spans(begins.date() - 2 * _DAY, begins.date() + 2 * _DAY):
            if opens < ends and shuts > begins:
                starts.append(opens.timestamp())
                closes.append(shuts.timestamp())
        if len(self._by_utc_day) >= _CACHE_LIMIT:
            self._by_utc_day.clear()
        self._by_utc_day[day] = (starts, closes)
        return starts, closes
