"""Routing decisions: the agent pool's decision time at 5,000 agents and 50,000 waiting items.

    make bench
    .venv/bin/python benchmarks/routing_engine.py

5,000 agents in 60 teams across 6 sites in different time zones (two closed at the fixed clock),
3 queues of 2-3 stages with shares, and 50,000 waiting items (languages, priorities, channels,
a few named owners and returning customers). Every item is decided by `AgentPool.decide` and
assigned when an agent is chosen. The reference `decide` runs on a sample of the same items over
the same pool, to check that both agree and to print the ratio. The target: p99 < 2 ms.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from zoneinfo import ZoneInfo

from cxhub.routing.engine import (
    Candidate,
    OpeningHours,
    QueueRules,
    SkillNeed,
    TeamShare,
    WorkItem,
    backlog_order,
    decide,
)
from cxhub.routing.pool import AgentPool

AGENTS = 5_000
TEAMS = 60
ITEMS = 50_000
REFERENCE_SAMPLE = 1_000
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
SITES = {  # site -> (time zone, country, local language)
    "dublin": ("Europe/Dublin", "IE", "en"),
    "lisbon": ("Europe/Lisbon", "PT", "pt"),
    "manila": ("Asia/Manila", "PH", "tl"),
    "sydney": ("Australia/Sydney", "AU", "en"),  # 21:00 local: closed
    "bogota": ("America/Bogota", "CO", "es"),  # 05:00 local: closed
    "johannesburg": ("Africa/Johannesburg", "ZA", "en"),
}
ORGANISATIONS = ("lumen", "atlantic", "pacific", "southern")


class SiteHours:
    """Open 08:00-20:00 on the site's own clock."""

    def __init__(self, zone: str) -> None:
        self.zone = ZoneInfo(zone)

    def is_open(self, at: dt.datetime) -> bool:
        return 8 <= at.astimezone(self.zone).hour < 20


def world(rng: random.Random) -> tuple[list[Candidate], list[QueueRules], list[WorkItem]]:
    sites = list(SITES)
    team_site = {f"team-{t}": sites[t % len(sites)] for t in range(TEAMS)}
    team_org = {f"team-{t}": ORGANISATIONS[t % len(ORGANISATIONS)] for t in range(TEAMS)}
    agents = []
    for number in range(AGENTS):
        team = f"team-{number % TEAMS}"
        site = team_site[team]
        languages = {"en", SITES[site][2]} | ({"pt-BR"} if rng.random() < 0.05 else set())
        agents.append(
            Candidate(
                agent_id=f"agent-{number}",
                team_id=team,
                organisation_id=team_org[team],
                site_id=site,
                site_country=SITES[site][1],
                presence=rng.choices(["available", "busy", "away", "offline"], [80, 10, 5, 5])[0],
                free_since=NOW - dt.timedelta(seconds=rng.randint(0, 3600)),
                languages=frozenset(languages),
                skills={"billing": rng.randint(1, 5), "returns": rng.randint(1, 5)},
                capacity={"chat": 3, "email": 5, "voice": 1},
                load={"chat": rng.randint(0, 2)},
                brand_ids=None if rng.random() < 0.9 else frozenset({"lumen"}),
            )
        )
    queues = []
    for number, skills in enumerate([(), (SkillNeed("billing", 3),), (SkillNeed("returns", 2),)]):
        teams = rng.sample(sorted(team_site), TEAMS)
        stages = []
        for stage in range(rng.choice([2, 3])):
            chosen = teams[stage * 15 : stage * 15 + 15]
            weights = [rng.randint(1, 5) for _ in chosen]
            stages.append(
                tuple(TeamShare(t, team_org[t], w / sum(weights)) for t, w in zip(chosen, weights, strict=True))
            )
        queues.append(
            QueueRules(
                id=f"queue-{number}",
                stages=tuple(stages),
                overflow_after_seconds=(120, 600),
                drop_language_after_seconds=900 if number else None,
                required_skills=skills,
                owner_wait_seconds=60,
            )
        )
    items = []
    for number in range(ITEMS):
        country = rng.choice(["IE", "PT", "AU", "CO", "ZA", "PH"])
        last = rng.choice(agents).agent_id if rng.random() < 0.1 else None
        items.append(
            WorkItem(
                id=f"item-{number}",
                brand_id=rng.choice(["lumen", "lumen", "nova"]),
                queue_id=rng.choice(queues).id,
                channel=rng.choices(["chat", "email", "voice"], [50, 40, 10])[0],
                priority=rng.randint(1, 5),
                waiting_since=NOW - dt.timedelta(seconds=rng.randint(0, 1800)),
                language=rng.choices(["en", "pt", "pt-BR", "es", "tl", None], [55, 10, 5, 10, 5, 15])[0],
                customer_country=country,
                wants_local=rng.random() < 0.05,
                owner_agent_id=rng.choice(agents).agent_id if rng.random() < 0.02 else None,
                owner_team_id=rng.choice(sorted(team_site)) if rng.random() < 0.01 else None,
                last_agent_id=last,
                last_served_at=NOW - dt.timedelta(hours=rng.randint(1, 48)) if last else None,
            )
        )
    return agents, queues, items


def main() -> None:
    rng = random.Random(20260304)
    agents, queues, items = world(rng)
    hours: dict[str, OpeningHours] = {site: SiteHours(zone) for site, (zone, _, _) in SITES.items()}
    by_id = {queue.id: queue for queue in queues}
    ledgers: dict[str, dict[str, int]] = {queue.id: {} for queue in queues}

    started = time.perf_counter_ns()
    pool = AgentPool(agents)
    built = (time.perf_counter_ns() - started) / 1e6
    timings = []
    assigned = 0
    for item in items:
        ledger = ledgers[item.queue_id]
        started = time.perf_counter_ns()
        decision = pool.decide(item, by_id[item.queue_id], now=NOW, hours=hours, assigned_today=ledger)
        if decision.agent_id is not None:
            pool.assign(decision.agent_id, item.channel)
        timings.append(time.perf_counter_ns() - started)
        if decision.agent_id is not None:
            assigned += 1
            if decision.organisation_id is not None:
                ledger[decision.organisation_id] = ledger.get(decision.organisation_id, 0) + 1
    ms = sorted(t / 1e6 for t in timings)
    print(f"-- routing engine: {AGENTS:,} agents, {TEAMS} teams, {len(SITES)} sites, {ITEMS:,} items")
    print(f"   pool built  : {built:8.1f} ms")
    rate = len(ms) / (sum(ms) / 1e3)
    print(f"   decisions   : {rate:9,.0f} /s  ({assigned:,} assigned, {ITEMS - assigned:,} waiting)")
    p50, p99 = statistics.quantiles(ms, n=100)[49], statistics.quantiles(ms, n=100)[98]
    print(f"   per decision: p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {ms[-1]:.3f} ms (target p99 < 2 ms)")

    fresh = AgentPool(agents)
    sample = rng.sample(items, REFERENCE_SAMPLE)
    fast_ns = reference_ns = agree = 0
    for item in sample:
        queue, ledger = by_id[item.queue_id], ledgers[item.queue_id]
        started = time.perf_counter_ns()
        fast = fresh.decide(item, queue, now=NOW, hours=hours, assigned_today=ledger)
        middle = time.perf_counter_ns()
        reference = decide(item, queue, agents, now=NOW, hours=hours, assigned_today=ledger)
        reference_ns += time.perf_counter_ns() - middle
        fast_ns += middle - started
        agree += fast == reference
    print(
        f"   reference   : {reference_ns / REFERENCE_SAMPLE / 1e6:.2f} ms per decision on {REFERENCE_SAMPLE} items; "
        f"pool {fast_ns / REFERENCE_SAMPLE / 1e6:.3f} ms; ratio reference/pool {reference_ns / fast_ns:.0f}x; "
        f"agree {agree}/{REFERENCE_SAMPLE}"
    )

    in_order = sorted(items, key=backlog_order)
    for agent_id in ("agent-0", "agent-7", "agent-4242"):
        started = time.perf_counter_ns()
        picked = fresh.next_for(agent_id, items, queues=by_id, now=NOW, hours=hours)
        unordered = (time.perf_counter_ns() - started) / 1e6
        started = time.perf_counter_ns()
        again = fresh.next_for(agent_id, in_order, queues=by_id, now=NOW, hours=hours, ordered=True)
        ordered = (time.perf_counter_ns() - started) / 1e6
        assert picked == again
        print(
            f"   next_for {agent_id:10}: {unordered:7.1f} ms over {ITEMS:,} items, {ordered:6.2f} ms in backlog order "
            f"-> {picked.id if picked else 'nothing'}"
        )


if __name__ == "__main__":
    main()
