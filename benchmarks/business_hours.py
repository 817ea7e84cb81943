"""Business hours: is_open and add_open_seconds calls per second on six sites' calendars.

    make bench
    .venv/bin/python benchmarks/business_hours.py

The router asks "is this site open now?" for every candidate on every decision, so is_open must stay
cheap: it is timed over random instants in one week, each site's calendar warm after the first look at
a day. add_open_seconds (an SLA's due time) is timed from random instants with 1 to 8 business hours.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from cxhub.kit.hours import WEEKDAYS, BusinessHours

MON_TO_FRI = WEEKDAYS[:5]
CALLS = 300_000
ADDS = 30_000
WEEK_START = dt.datetime(2026, 3, 23, tzinfo=dt.UTC)  # Dublin, Lisbon and Kraków put their clocks forward on its Sunday


def _sites() -> dict[str, BusinessHours]:
    return {
        "Dublin 08-20 weekdays": BusinessHours(
            "Europe/Dublin", {day: [["08:00", "20:00"]] for day in MON_TO_FRI}, ["2026-12-25"]
        ),
        "Lisbon 08-22 six days": BusinessHours("Europe/Lisbon", {day: [["08:00", "22:00"]] for day in WEEKDAYS[:6]}),
        "Manila 24/7": BusinessHours("Asia/Manila", {day: [["00:00", "24:00"]] for day in WEEKDAYS}),
        "Sydney 09-17 weekdays": BusinessHours(
            "Australia/Sydney", {day: [["09:00", "17:00"]] for day in MON_TO_FRI}, ["2026-04-03", "2026-04-06"]
        ),
        "Austin split shifts": BusinessHours(
            "America/Chicago", {day: [["07:00", "12:00"], ["13:00", "19:00"]] for day in MON_TO_FRI}
        ),
        "Kraków nights": BusinessHours(
            "Europe/Warsaw",
            {"mon": [["22:00", "24:00"]], **{day: [["00:00", "06:00"], ["22:00", "24:00"]] for day in WEEKDAYS[1:]}},
        ),
    }


def main() -> None:
    rng = random.Random(7)
    sites = _sites()
    week = 7 * 86400 * 10**6
    instants = [WEEK_START + dt.timedelta(microseconds=rng.randrange(week)) for _ in range(CALLS)]
    targets = [rng.randint(1, 8) * 3600.0 for _ in range(ADDS)]
    total_checks = total_seconds = 0.0
    for name, site in sites.items():
        site.is_open(instants[0])
        began = time.perf_counter()
        opened = sum(site.is_open(at) for at in instants)
        took = time.perf_counter() - began
        total_checks += took
        began = time.perf_counter()
        for at, seconds in zip(instants, targets, strict=False):
            site.add_open_seconds(at, seconds)
        added = time.perf_counter() - began
        total_seconds += added
        print(
            f"{name:24} is_open {CALLS / took:>10,.0f}/s (open {opened / CALLS:4.0%})"
            f"   add_open_seconds {ADDS / added:>8,.0f}/s"
        )
    print(f"{'all six sites':24} is_open {len(sites) * CALLS / total_checks:>10,.0f}/s", end="")
    print(f"               add_open_seconds {len(sites) * ADDS / total_seconds:>8,.0f}/s")


if __name__ == "__main__":
    main()
