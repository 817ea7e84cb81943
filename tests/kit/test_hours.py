"""Business-hours calendars: hand-worked sites and DST days, then properties against a minute-by-minute clock."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxhub.kit.hours import BusinessHours
from tests.kit.wall_clock import WEEKDAYS, open_minutes

UTC = dt.UTC
HOUR = 3600.0
MICROSECOND = dt.timedelta(microseconds=1)
MON_TO_FRI = ("mon", "tue", "wed", "thu", "fri")

DUBLIN = BusinessHours("Europe/Dublin", {day: [["08:00", "20:00"]] for day in MON_TO_FRI}, ["2026-12-25"])
MANILA = BusinessHours("Asia/Manila", {day: [["00:00", "24:00"]] for day in WEEKDAYS})
SYDNEY = BusinessHours("Australia/Sydney", {day: [["09:00", "17:00"]] for day in MON_TO_FRI}, [dt.date(2026, 1, 26)])


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def test_dublin_opens_at_eight_local_in_winter_and_in_summer() -> None:
    assert DUBLIN.is_open(at(2026, 1, 5, 8))
    assert not DUBLIN.is_open(at(2026, 1, 5, 8) - MICROSECOND)
    assert DUBLIN.is_open(at(2026, 1, 5, 20) - MICROSECOND)
    assert not DUBLIN.is_open(at(2026, 1, 5, 20))
    assert DUBLIN.is_open(at(2026, 6, 15, 7))  # 08:00 Irish Standard Time
    assert not DUBLIN.is_open(at(2026, 6, 15, 19))
    assert DUBLIN.is_open(dt.datetime(2026, 1, 5, 9, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    assert not DUBLIN.is_open(at(2026, 1, 10, 12))  # Saturday


def test_friday_evening_email_with_four_business_hours_is_due_monday_eleven() -> None:
    due = DUBLIN.add_open_seconds(at(2026, 1, 9, 19), 4 * HOUR)
    assert due == at(2026, 1, 12, 11)
    assert due.tzinfo is UTC
    assert DUBLIN.open_seconds_between(at(2026, 1, 9, 19), due) == 4 * HOUR
    assert DUBLIN.next_open(at(2026, 1, 9, 20)) == at(2026, 1, 12, 8)
    assert DUBLIN.next_open(at(2026, 1, 9, 19, 30)) == at(2026, 1, 9, 19, 30)


def test_a_week_is_sixty_hours_and_christmas_week_forty_eight() -> None:
    assert DUBLIN.open_seconds_between(at(2026, 1, 5), at(2026, 1, 12)) == 60 * HOUR
    assert DUBLIN.open_seconds_between(at(2026, 12, 21), at(2026, 12, 28)) == 48 * HOUR
    assert not DUBLIN.is_open(at(2026, 12, 25, 10))
    assert DUBLIN.next_open(at(2026, 12, 24, 20)) == at(2026, 12, 28, 8)
    assert DUBLIN.open_seconds_between(at(2026, 1, 12), at(2026, 1, 5)) == 0


def test_dublin_spring_forward_and_fall_back() -> None:
    days = BusinessHours("Europe/Dublin", {"sun": [["00:00", "24:00"]]})
    assert days.open_seconds_between(at(2026, 3, 28), at(2026, 3, 31)) == 23 * HOUR
    assert days.open_seconds_between(at(2026, 10, 24), at(2026, 10, 27)) == 25 * HOUR
    assert days.is_open(at(2026, 3, 29, 23) - MICROSECOND)
    assert not days.is_open(at(2026, 3, 29, 23))  # Monday 00:00 summer time
    assert DUBLIN.open_seconds_between(at(2026, 3, 23), at(2026, 3, 31)) == 72 * HOUR
    assert DUBLIN.is_open(at(2026, 3, 27, 8))
    assert DUBLIN.is_open(at(2026, 3, 30, 7))
    assert not DUBLIN.is_open(at(2026, 3, 30, 19))


def test_a_boundary_in_the_spring_gap_falls_at_the_gap_end() -> None:
    late = BusinessHours("Europe/Dublin", {"sun": [["01:30", "03:00"]]})
    assert late.open_seconds_between(at(2026, 3, 29), at(2026, 3, 30)) == 1 * HOUR
    assert late.next_open(at(2026, 3, 29)) == at(2026, 3, 29, 1)  # 02:00 summer time
    assert late.open_seconds_between(at(2026, 3, 22), at(2026, 3, 23)) == 1.5 * HOUR
    lost = BusinessHours("Europe/Dublin", {"sun": [["01:00", "02:00"]]})
    assert lost.open_seconds_between(at(2026, 3, 29), at(2026, 3, 30)) == 0
    assert lost.next_open(at(2026, 3, 29)) == at(2026, 4, 5)  # 01:00 summer time a week later


def test_a_boundary_in_the_repeated_hour_takes_its_first_reading() -> None:
    across = BusinessHours("Europe/Dublin", {"sun": [["01:30", "02:30"]]})
    assert across.open_seconds_between(at(2026, 10, 25), at(2026, 10, 26)) == 2 * HOUR
    assert across.next_open(at(2026, 10, 25)) == at(2026, 10, 25, 0, 30)
    early = BusinessHours("Europe/Dublin", {"sun": [["00:00", "01:30"]]})
    assert early.open_seconds_between(at(2026, 10, 24), at(2026, 10, 26)) == 1.5 * HOUR
    assert not early.is_open(at(2026, 10, 25, 1, 15))  # 01:15 again, in winter time: closed since the first 01:30


def test_sydney_weekdays_holiday_and_dst_days() -> None:
    assert SYDNEY.is_open(at(2026, 1, 4, 22))  # Monday 09:00 summer time
    assert not SYDNEY.is_open(at(2026, 1, 4, 22) - MICROSECOND)
    assert SYDNEY.is_open(at(2026, 6, 14, 23))  # Monday 09:00 standard time
    assert not SYDNEY.is_open(at(2026, 1, 25, 23))  # Australia Day
    assert SYDNEY.next_open(at(2026, 1, 25, 12)) == at(2026, 1, 26, 22)
    days = BusinessHours("Australia/Sydney", {"sun": [["00:00", "24:00"]]})
    assert days.open_seconds_between(at(2026, 4, 3), at(2026, 4, 7)) == 25 * HOUR
    assert days.open_seconds_between(at(2026, 10, 2), at(2026, 10, 6)) == 23 * HOUR


def test_manila_round_the_clock_counts_calendar_time() -> None:
    assert MANILA.is_open(at(2026, 2, 1, 3, 17))
    assert MANILA.open_seconds_between(at(2026, 2, 1), at(2026, 2, 8)) == 7 * 24 * HOUR
    assert MANILA.add_open_seconds(at(2026, 2, 1, 23), 2 * HOUR) == at(2026, 2, 2, 1)
    closed_once = BusinessHours("Asia/Manila", MANILA.opening_hours, ["2026-06-12"])
    assert closed_once.open_seconds_between(at(2026, 6, 8), at(2026, 6, 15)) == 6 * 24 * HOUR
    assert closed_once.next_open(at(2026, 6, 12)) == at(2026, 6, 12, 16)  # midnight in Manila
    always = BusinessHours.always()
    assert always.add_open_seconds(at(2026, 2, 1), 90.5) == at(2026, 2, 1, 0, 1, 30, 500000)


def test_intervals_meeting_at_midnight_are_one_stretch() -> None:
    night = BusinessHours("UTC", {"mon": [["22:00", "24:00"]], "tue": [["00:00", "06:00"]]})
    assert night.add_open_seconds(at(2026, 1, 5, 23), 2 * HOUR) == at(2026, 1, 6, 1)
    assert night.add_open_seconds(at(2026, 1, 5, 21), 8 * HOUR) == at(2026, 1, 6, 6)
    assert night.next_open(at(2026, 1, 6)) == at(2026, 1, 6)
    assert night.next_open(at(2026, 1, 6, 6)) == at(2026, 1, 12, 22)


def test_a_calendar_with_no_hours_is_never_open() -> None:
    closed = BusinessHours("Europe/Dublin", {})
    assert not closed.is_open(at(2026, 1, 5, 12))
    assert closed.next_open(at(2026, 1, 5)) is None
    assert closed.open_seconds_between(at(2026, 1, 5), at(2026, 2, 5)) == 0
    with pytest.raises(ValueError, match="never open"):
        closed.add_open_seconds(at(2026, 1, 5), 1)


def test_stored_form_is_kept_with_overlaps_joined() -> None:
    hours = BusinessHours("Europe/Lisbon", {"mon": [["13:00", "18:00"], ["09:00", "13:30"]], "sat": []})
    assert hours.opening_hours == {"mon": [["09:00", "18:00"]]}
    assert hours.time_zone == "Europe/Lisbon"
    assert DUBLIN.holidays == frozenset({dt.date(2026, 12, 25)})


@pytest.mark.parametrize(
    ("time_zone", "opening_hours", "holidays", "reason"),
    [
        ("Mars/Olympus", {}, [], "time zone"),
        ("UTC", {"monday": [["08:00", "20:00"]]}, [], "mon..sun"),
        ("UTC", {"mon": [["8:00", "20:00"]]}, [], "HH:MM"),
        ("UTC", {"mon": [["20:00", "08:00"]]}, [], "end after"),
        ("UTC", {"mon": [["08:00"]]}, [], "pair"),
        ("UTC", {}, ["25/12/2026"], "Invalid isoformat"),
    ],
)
def test_bad_calendars_are_refused(
    time_zone: str, opening_hours: dict[str, list[list[str]]], holidays: list[str], reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        BusinessHours(time_zone, opening_hours, holidays)


def test_naive_times_are_refused() -> None:
    naive = dt.datetime(2026, 1, 5, 12)  # noqa: DTZ001 - the input under test
    for call in (
        lambda: DUBLIN.is_open(naive),
        lambda: DUBLIN.next_open(naive),
        lambda: DUBLIN.open_seconds_between(naive, at(2026, 1, 6)),
        lambda: DUBLIN.open_seconds_between(at(2026, 1, 4), naive),
        lambda: DUBLIN.add_open_seconds(naive, 60),
        lambda: MANILA.is_open(naive),
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            call()
    with pytest.raises(ValueError, match=">= 0"):
        DUBLIN.add_open_seconds(at(2026, 1, 5), -1)


# zones with DST at 01:00 UTC, at local midnight (Santiago), by half an hour (Lord Howe), at odd offsets
ZONES = (
    "UTC",
    "Europe/Dublin",
    "Australia/Sydney",
    "Asia/Manila",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kolkata",
)
CHANGE_DAYS = tuple(
    dt.date.fromisoformat(day)
    for day in ("2026-03-08", "2026-03-29", "2026-04-05", "2026-09-06", "2026-09-27", "2026-10-04", "2026-10-25")
)


@st.composite
def day_hours(draw: st.DrawFn) -> list[list[str]]:
    times = sorted(draw(st.lists(st.integers(0, 96), unique=True, max_size=6)))
    text = [f"{k * 15 // 60:02d}:{k * 15 % 60:02d}" for k in times]
    return [[start, end] for start, end in zip(text[::2], text[1::2], strict=False)]


@st.composite
def calendars(draw: st.DrawFn) -> tuple[str, dict[str, list[list[str]]], set[dt.date], dt.datetime]:
    """A zone, its hours, holidays and a week's first instant (whole minutes, often near a DST change)."""
    zone = draw(st.sampled_from(ZONES))
    hours = {day: intervals for day in WEEKDAYS if (intervals := draw(day_hours()))}
    near = draw(st.sampled_from(CHANGE_DAYS)) - dt.timedelta(days=draw(st.integers(0, 6)))
    anywhere = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 364)))
    first_day = draw(st.sampled_from((near, anywhere)))
    holidays = {first_day + dt.timedelta(days=k) for k in draw(st.sets(st.integers(-1, 8), max_size=3))}
    first = dt.datetime.combine(first_day, dt.time(), UTC) + dt.timedelta(minutes=draw(st.integers(0, 1439)))
    return zone, hours, holidays, first


def instants(first: dt.datetime) -> st.SearchStrategy[dt.datetime]:
    return st.integers(0, 14 * 86400 * 10**6).map(lambda us: first + dt.timedelta(microseconds=us))


@settings(max_examples=40, deadline=None)
@given(calendars())
def test_is_open_agrees_with_the_clock_watched_minute_by_minute(
    calendar: tuple[str, dict[str, list[list[str]]], set[dt.date], dt.datetime],
) -> None:
    zone, hours, holidays, first = calendar
    site = BusinessHours(zone, hours, holidays)
    week = 7 * 1440
    expected = open_minutes(zone, hours, holidays, first, week)
    assert [site.is_open(first + dt.timedelta(minutes=k)) for k in range(week)] == expected


@settings(max_examples=80, deadline=None)
@given(calendars(), st.data())
def test_adding_open_time_then_measuring_it_gives_it_back(
    calendar: tuple[str, dict[str, list[list[str]]], set[dt.date], dt.datetime], data: st.DataObject
) -> None:
    zone, hours, holidays, first = calendar
    site = BusinessHours(zone, hours, holidays)
    start = data.draw(instants(first))
    seconds = data.draw(st.floats(0, 3 * 86400, allow_nan=False))
    if not hours:
        with pytest.raises(ValueError, match="never open"):
            site.add_open_seconds(start, seconds)
        return
    end = site.add_open_seconds(start, seconds)
    assert abs(site.open_seconds_between(start, end) - seconds) <= 1e-6
    if seconds >= 1e-6:
        assert site.is_open(end - MICROSECOND)  # the first such instant, not the next opening after it


@settings(max_examples=80, deadline=None)
@given(calendars(), st.data())
def test_open_time_adds_up_over_consecutive_ranges(
    calendar: tuple[str, dict[str, list[list[str]]], set[dt.date], dt.datetime], data: st.DataObject
) -> None:
    zone, hours, holidays, first = calendar
    site = BusinessHours(zone, hours, holidays)
    a, b, c = sorted(data.draw(st.lists(instants(first), min_size=3, max_size=3)))
    assert site.open_time_between(a, b) + site.open_time_between(b, c) == site.open_time_between(a, c)
    assert site.open_seconds_between(a, b) + site.open_seconds_between(b, c) == pytest.approx(
        site.open_seconds_between(a, c), abs=1e-6
    )
    opening = site.next_open(a)
    if opening is None:
        assert not hours
    else:
        assert opening >= a
        assert site.is_open(opening)
        assert site.open_time_between(a, opening) == dt.timedelta(0)
