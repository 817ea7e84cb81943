"""SLA clocks: hand-worked e-mail targets, then random clocks against a second-by-second count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxhub.kit.hours import BusinessHours
from cxhub.kit.sla import Pause, SlaState, SlaStatus, SlaTarget, sla_state
from tests.kit.wall_clock import WEEKDAYS, open_minutes

UTC = dt.UTC
HOUR = 3600
DUBLIN = BusinessHours("Europe/Dublin", {day: [["08:00", "20:00"]] for day in WEEKDAYS[:5]}, ["2026-12-25"])
FOUR_BUSINESS_HOURS = SlaTarget(seconds=4 * HOUR, business_hours=True)
FRIDAY_EVENING = dt.datetime(2026, 1, 9, 19, tzinfo=UTC)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def friday_email(now: dt.datetime, *, paused: list[Pause] | None = None, met_at: dt.datetime | None = None) -> SlaState:
    return sla_state(
        started_at=FRIDAY_EVENING,
        target=FOUR_BUSINESS_HOURS,
        calendar=DUBLIN,
        paused=paused or [],
        met_at=met_at,
        now=now,
    )


def test_friday_evening_email_runs_over_the_weekend_into_monday() -> None:
    saturday = friday_email(at(2026, 1, 10, 12))
    assert saturday == SlaState(
        elapsed_seconds=HOUR,
        remaining_seconds=3 * HOUR,
        due_at=at(2026, 1, 12, 11),
        status="running",
        breached_at=None,
        warning_at=at(2026, 1, 12, 10),
    )
    assert friday_email(at(2026, 1, 12, 10)).status == "at_risk"
    assert friday_email(at(2026, 1, 12, 11)).status == "at_risk"  # reached exactly is not yet breached
    late = friday_email(at(2026, 1, 12, 12))
    assert (late.status, late.breached_at, late.remaining_seconds) == ("breached", at(2026, 1, 12, 11), -HOUR)


def test_a_reply_stops_the_clock() -> None:
    on_time = friday_email(at(2026, 1, 13), met_at=at(2026, 1, 12, 10, 30))
    assert (on_time.status, on_time.elapsed_seconds, on_time.breached_at) == ("met", 3.5 * HOUR, None)
    assert on_time.due_at == at(2026, 1, 12, 11)
    late = friday_email(at(2026, 1, 13), met_at=at(2026, 1, 12, 11, 30))
    assert (late.status, late.breached_at) == ("breached", at(2026, 1, 12, 11))


def test_waiting_on_the_customer_pauses_the_clock() -> None:
    waited = friday_email(at(2026, 1, 12, 10), paused=[(at(2026, 1, 12, 8, 30), at(2026, 1, 12, 9, 30))])
    assert (waited.status, waited.elapsed_seconds, waited.due_at) == ("running", 2 * HOUR, at(2026, 1, 12, 12))
    waiting = friday_email(at(2026, 1, 12, 9), paused=[(at(2026, 1, 12, 8, 30), None)])
    assert waiting == SlaState(
        elapsed_seconds=1.5 * HOUR,
        remaining_seconds=2.5 * HOUR,
        due_at=None,
        status="paused",
        breached_at=None,
        warning_at=None,
    )
    after_breach = friday_email(at(2026, 1, 12, 13), paused=[(at(2026, 1, 12, 12), None)])
    assert (after_breach.status, after_breach.due_at, after_breach.breached_at) == (
        "breached",
        at(2026, 1, 12, 11),
        at(2026, 1, 12, 11),
    )


def test_a_calendar_time_target_ignores_the_site_hours() -> None:
    state = sla_state(
        started_at=FRIDAY_EVENING,
        target=SlaTarget(seconds=24 * HOUR, business_hours=False),
        calendar=DUBLIN,
        paused=[(at(2026, 1, 10, 9), at(2026, 1, 10, 10))],
        met_at=None,
        now=at(2026, 1, 10, 12),
    )
    assert (state.elapsed_seconds, state.due_at, state.warning_at) == (
        16 * HOUR,
        at(2026, 1, 10, 20),
        at(2026, 1, 10, 14),
    )


def test_a_site_that_never_opens_never_falls_due() -> None:
    state = sla_state(
        started_at=FRIDAY_EVENING,
        target=FOUR_BUSINESS_HOURS,
        calendar=BusinessHours("Europe/Dublin", {}),
        paused=[],
        met_at=None,
        now=at(2026, 2, 1),
    )
    assert (state.elapsed_seconds, state.due_at, state.status) == (0, None, "running")


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        SlaTarget(seconds=-1, business_hours=True)
    with pytest.raises(ValueError, match="timezone-aware"):
        friday_email(dt.datetime(2026, 1, 12, 10))  # noqa: DTZ001 - the input under test
    with pytest.raises(ValueError, match="timezone-aware"):
        friday_email(at(2026, 1, 12, 10), paused=[(dt.datetime(2026, 1, 12, 8), None)])  # noqa: DTZ001
    with pytest.raises(ValueError, match="warn_fraction"):
        sla_state(
            started_at=FRIDAY_EVENING,
            target=FOUR_BUSINESS_HOURS,
            calendar=DUBLIN,
            paused=[],
            met_at=None,
            now=at(2026, 1, 12),
            warn_fraction=1.5,
        )


WINDOW = 3 * HOUR  # where the random starts, pauses, replies and "now"s fall
HORIZON = WINDOW + 8 * 24 * HOUR  # how far the count looks for the moment a target is reached
ZONES = ("UTC", "Europe/Dublin", "Australia/Sydney", "America/Santiago")
NEAR_CHANGES = ("2026-03-29", "2026-04-05", "2026-09-06", "2026-10-04", "2026-10-25", "2026-06-15")


@st.composite
def day_hours(draw: st.DrawFn) -> list[list[str]]:
    times = sorted(draw(st.lists(st.integers(0, 48), unique=True, max_size=4)))
    text = [f"{k // 2:02d}:{k % 2 * 30:02d}" for k in times]
    return [[start, end] for start, end in zip(text[::2], text[1::2], strict=False)]


@dataclass(frozen=True)
class History:
    """A site, a target and a conversation's history, in whole seconds from `base` (a whole minute)."""

    zone: str
    hours: dict[str, list[list[str]]]
    base: dt.datetime
    started: int
    pauses: list[tuple[int, int | None]]
    met: int | None
    now: int
    target: int
    business: bool

    def instant(self, second: int) -> dt.datetime:
        return self.base + dt.timedelta(seconds=second)


@st.composite
def histories(draw: st.DrawFn) -> History:
    day = dt.date.fromisoformat(draw(st.sampled_from(NEAR_CHANGES))) - dt.timedelta(days=draw(st.integers(0, 2)))
    second = st.integers(0, WINDOW)
    pauses = draw(st.lists(st.tuples(second, st.none() | st.integers(1, HOUR)), max_size=3))
    return History(
        zone=draw(st.sampled_from(ZONES)),
        hours={day: intervals for day in WEEKDAYS if (intervals := draw(day_hours()))},
        base=dt.datetime.combine(day, dt.time(), UTC) + dt.timedelta(minutes=draw(st.integers(0, 1439))),
        started=draw(st.integers(0, 600)),
        pauses=[(begins, None if length is None else begins + length) for begins, length in pauses],
        met=draw(st.none() | second),
        now=draw(second),
        target=draw(st.integers(0, 1800)) * 4,  # so three quarters of it is whole seconds
        business=draw(st.booleans()),
    )


def _first_reached(counting: bytearray, wanted: int, started: int) -> int | None:
    if wanted == 0:
        return started
    if counting.count(1) < wanted:
        return None
    low, high = 0, len(counting)  # the first t with wanted counted seconds before it
    while low < high:
        middle = (low + high) // 2
        if counting[:middle].count(1) >= wanted:
            high = middle
        else:
            low = middle + 1
    return low


def _counting(history: History) -> bytearray:
    """1 for each second the clock counts, with the pauses as known at the clock's stop."""
    counting = bytearray(HORIZON)
    if history.business:
        for minute, is_open in enumerate(open_minutes(history.zone, history.hours, set(), history.base, HORIZON // 60)):
            if is_open:
                counting[minute * 60 : minute * 60 + 60] = b"\x01" * 60
    else:
        counting[:] = b"\x01" * HORIZON
    counting[: history.started] = bytes(history.started)
    met, now = history.met, history.now
    for pause_begins, ends in history.pauses:
        begins = max(pause_begins, history.started)  # the clock cannot stop before it starts
        if met is not None and begins >= met:
            continue  # the clock had stopped
        if met is None and begins > now:
            continue  # not known yet
        if met is not None:
            ends = met if ends is None else min(ends, met)
        elif ends is None or ends > now:
            ends = HORIZON  # going on now: its end is not known
        counting[begins:ends] = bytes(max(0, min(ends, HORIZON) - begins))
    return counting


@settings(max_examples=60, deadline=None)
@given(histories())
def test_the_clock_agrees_with_a_second_by_second_count(history: History) -> None:
    met, now, target = history.met, history.now, history.target
    counting = _counting(history)
    elapsed = counting[: now if met is None else met].count(1)
    due = _first_reached(counting, target, history.started)
    warning = _first_reached(counting, target * 3 // 4, history.started)
    paused_now = met is None and any(
        max(b, history.started) <= now and (e is None or e > now) for b, e in history.pauses
    )
    status: SlaStatus
    if met is not None:
        status = "breached" if elapsed > target else "met"
    elif elapsed > target:
        status = "breached"
    elif paused_now:
        status = "paused"
    elif elapsed >= target * 3 // 4:
        status = "at_risk"
    else:
        status = "running"

    state = sla_state(
        started_at=history.instant(history.started),
        target=SlaTarget(seconds=target, business_hours=history.business),
        calendar=BusinessHours(history.zone, history.hours),
        paused=[(history.instant(b), None if e is None else history.instant(e)) for b, e in history.pauses],
        met_at=None if met is None else history.instant(met),
        now=history.instant(now),
    )
    assert (state.elapsed_seconds, state.remaining_seconds, state.status) == (elapsed, target - elapsed, status)
    assert state.breached_at == (history.instant(due) if elapsed > target and due is not None else None)
    for got, expected in ((state.due_at, due), (state.warning_at, warning)):
        if expected is None:
            assert got is None or got >= history.instant(HORIZON)  # or reached after the count stopped looking
        else:
            assert got == history.instant(expected)
