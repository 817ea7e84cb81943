"""SLA clocks: how much of a target has been used, when it falls due, and whether it was met.

The clock runs from `started_at`, stops during pauses (the conversation waits on the customer) and, for a
business-hours target, counts only the calendar's open time. A target reached exactly is met; breached means
more than the target was used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from cxhub.kit.hours import BusinessHours

SlaStatus = Literal["met", "breached", "at_risk", "running", "paused"]
Pause = tuple[dt.datetime, dt.datetime | None]

_CALENDAR_TIME = BusinessHours.always()


@dataclass(frozen=True)
class SlaTarget:
    seconds: int
    business_hours: bool

    def __post_init__(self) -> None:
        if self.seconds < 0:
            raise ValueError("an SLA target cannot be negative")


@dataclass(frozen=True)
class SlaState:
    elapsed_seconds: float
    remaining_seconds: float
    due_at: dt.datetime | None
    status: SlaStatus
    breached_at: dt.datetime | None
    warning_at: dt.datetime | None


def _aware(at: dt.datetime, name: str) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return at.astimezone(dt.UTC)


def _pauses(paused: Sequence[Pause], started_at: dt.datetime, stop: dt.datetime | None) -> list[Pause]:
    """Pauses after the start, sorted and joined; with `stop`, cut there (the clock stopped when met)."""
    cut: list[Pause] = []
    for begins, ends in paused:
        begins = max(_aware(begins, "a pause's start"), started_at)
        ends = None if ends is None else _aware(ends, "a pause's end")
        if stop is not None:
            if begins >= stop:
                continue
            ends = stop if ends is None else min(ends, stop)
        if ends is None or ends > begins:
            cut.append((begins, ends))
    cut.sort(key=lambda pause: pause[0])
    joined: list[Pause] = []
    for begins, ends in cut:
        if joined:
            last_begins, last_ends = joined[-1]
            if last_ends is None:
                break  # a pause that never ends covers all the rest
            if begins <= last_ends:
                joined[-1] = (last_begins, None if ends is None else max(last_ends, ends))
                continue
        joined.append((begins, ends))
    return joined


def _running(started_at: dt.datetime, pauses: list[Pause]) -> Iterator[tuple[dt.datetime, dt.datetime | None]]:
    """The stretches the clock runs between the pauses; the last has no end unless a pause never ends."""
    begins: dt.datetime | None = started_at
    for pause_begins, pause_ends in pauses:
        if begins is not None and pause_begins > begins:
            yield begins, pause_begins
        begins = pause_ends
    if begins is not None:
        yield begins, None


def _counted(clock: BusinessHours, started_at: dt.datetime, pauses: list[Pause], until: dt.datetime) -> dt.timedelta:
    total = dt.timedelta(0)
    for begins, ends in _running(started_at, pauses):
        if begins >= until:
            break
        total += clock.open_time_between(begins, until if ends is None else min(ends, until))
    return total


def _reached(
    clock: BusinessHours, started_at: dt.datetime, pauses: list[Pause], wanted: dt.timedelta
) -> dt.datetime | None:
    """When the counted time reaches `wanted`; None if a pause that never ends comes first."""
    if wanted <= dt.timedelta(0):
        return started_at
    if clock.next_open(started_at) is None:
        return None
    for begins, ends in _running(started_at, pauses):
        if ends is not None:
            available = clock.open_time_between(begins, ends)
            if wanted > available:
                wanted -= available
                continue
        return clock.add_open_seconds(begins, wanted.total_seconds())
    return None


def sla_state(
    *,
    started_at: dt.datetime,
    target: SlaTarget,
    calendar: BusinessHours,
    paused: Sequence[Pause],
    met_at: dt.datetime | None,
    now: dt.datetime,
    warn_fraction: float = 0.75,
) -> SlaState:
    """The clock's state at `now`, or at `met_at` once met.

    `due_at` and `warning_at` assume nothing else pauses the clock. While it is paused they are unknown (None),
    unless the moment was already reached before the pause.
    """
    started_at, now = _aware(started_at, "started_at"), _aware(now, "now")
    met_at = None if met_at is None else _aware(met_at, "met_at")
    if not 0 <= warn_fraction <= 1:
        raise ValueError("warn_fraction must be between 0 and 1")
    clock = calendar if target.business_hours else _CALENDAR_TIME
    pauses = _pauses(paused, started_at, met_at)
    if met_at is None:
        # a pause going on now may end any time, and pauses to come are not known yet
        known = [(begins, None if ends is None or ends > now else ends) for begins, ends in pauses if begins <= now]
        paused_now = bool(known) and known[-1][1] is None
    else:
        known, paused_now = pauses, False

    elapsed = _counted(clock, started_at, known, now if met_at is None else met_at)
    goal = dt.timedelta(seconds=target.seconds)
    warning = goal * warn_fraction
    due_at = _reached(clock, started_at, known, goal)
    warning_at = _reached(clock, started_at, known, warning)
    breached = elapsed > goal

    status: SlaStatus
    if met_at is not None:
        status = "breached" if breached else "met"
    elif breached:
        status = "breached"
    elif paused_now:
        status = "paused"
    elif elapsed >= warning:
        status = "at_risk"
    else:
        status = "running"
    return SlaState(
        elapsed_seconds=elapsed.total_seconds(),
        remaining_seconds=(goal - elapsed).total_seconds(),
        due_at=due_at,
        status=status,
        breached_at=due_at if breached else None,
        warning_at=warning_at,
    )
