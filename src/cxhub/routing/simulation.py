"""A day of work replayed through the engine on a simulated clock: what routing would decide, before going live.

The hub's configuration (queues, teams, agents, sites, customer groups' owners given per item) is
read once; nothing is written. Each item is queued by the same rule as dispatch, then decided by
`AgentPool.decide` at its arrival. An item nobody can take waits and is tried again at every later
arrival or release and at least every `RETRY_SECONDS`, most urgent and longest waiting first, as a
dispatch round would. An assigned agent holds the place for the item's handle time.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.models import User
from cxhub.journeys.classify import Contact
from cxhub.journeys.language import detect_language
from cxhub.journeys.models import Touchpoint
from cxhub.journeys.service import Classifier
from cxhub.routing import repository
from cxhub.routing.dispatch import as_candidate, queue_for, queue_rules, served_languages, site_hours
from cxhub.routing.engine import Candidate, Decision, OpeningHours, QueueRules, WorkItem, backlog_order
from cxhub.routing.models import Queue
from cxhub.routing.pool import AgentPool
from cxhub.routing.schemas import SimulatedContact
from cxhub.workforce.models import Agent, Brand, Organisation, Team

RETRY_SECONDS = 5  # a waiting item is tried again at least this often, as dispatch rounds run every second or so
GIVE_UP_AFTER = 3600  # seconds after the last arrival or release that the items still waiting keep being tried


@dataclass
class World:
    """The hub's configuration as the simulation reads it."""

    brand_id: str
    zone: ZoneInfo
    queues: Sequence[Queue]
    rules: dict[str, QueueRules]
    hours: dict[str, OpeningHours]
    candidates: list[Candidate]
    classifier: Classifier
    languages: set[str]
    touchpoints: dict[str, str]  # name (lower case) -> id
    agents_by_email: dict[str, str]
    names: dict[str, str]  # id -> name: queues, touchpoints, organisations, teams, agents
    emails: dict[str, str]  # agent id -> the agent's login e-mail


@dataclass(frozen=True)
class Arrival:
    """A work item of the file, classified and queued: what the engine is asked about."""

    line: int
    ref: str
    at: dt.datetime
    channel: str
    touchpoint_id: str | None
    queue_id: str | None
    handle_seconds: float
    customer_ref: str | None
    item: WorkItem | None  # None: no queue takes it (unrouted)


@dataclass
class Outcome:
    arrival: Arrival
    decision: Decision | None = None  # the latest: the assignment, or why it still waits
    assigned_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None

    @property
    def waited_seconds(self) -> float:
        until = self.assigned_at or self.ended_at or self.arrival.at
        return (until - self.arrival.at).total_seconds()


@dataclass
class _Clock:
    """The replay's state between events."""

    pool: AgentPool
    releases: list[tuple[dt.datetime, int, str, str]] = field(default_factory=list)
    served: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)
    ledger: dict[str, dict[str, int]] = field(default_factory=dict)
    day: dt.date | None = None


def read_world(session: Session, *, brand_id: str, presence_from_db: bool, start: dt.datetime) -> World:
    """Everything the replay needs, read once. Every agent profile counts as available unless `presence_from_db`."""
    brand = session.get(Brand, brand_id)
    assert brand is not None  # noqa: S101 - the caller names an existing brand
    queues = session.scalars(select(Queue).where(Queue.brand_id == brand_id).order_by(Queue.created_at)).all()
    rows = repository.available_agents(session, everyone=not presence_from_db)
    limits = repository.brand_limits(session, [row.user_id for row in rows])
    found = [
        as_candidate(
            row,
            load={},
            limits=limits,
            presence=None if presence_from_db else "available",
            free_since=row.free_since if presence_from_db else start,
        )
        for row in rows
    ]
    touchpoints = session.execute(select(Touchpoint.id, Touchpoint.name).where(Touchpoint.brand_id == brand_id)).all()
    agents = session.execute(select(Agent.id, User.email, User.name).join(User, User.id == Agent.user_id)).all()
    names = {q.id: q.name for q in queues} | {t.id: t.name for t in touchpoints}
    names |= dict(session.execute(select(Organisation.id, Organisation.name)).tuples().all())
    names |= dict(session.execute(select(Team.id, Team.name)).tuples().all())
    names |= {a.id: a.name for a in agents}
    return World(
        brand_id=brand_id,
        zone=ZoneInfo(brand.time_zone),
        queues=queues,
        rules=queue_rules(session, queues),
        hours=dict(site_hours(session)),
        candidates=found,
        classifier=Classifier(session, brand_id),
        languages=served_languages(session),
        touchpoints={t.name.lower(): t.id for t in touchpoints},
        agents_by_email={a.email.lower(): a.id for a in agents},
        names=names,
        emails={a.id: a.email for a in agents},
    )


def arrival_of(contact: SimulatedContact, *, line: int, world: World) -> Arrival | str:
    """The contact classified and queued like real intake, or why it cannot be (an unknown touchpoint or owner)."""
    if contact.touchpoint is not None:
        touchpoint_id = world.touchpoints.get(contact.touchpoint.lower())
        if touchpoint_id is None:
            return f"touchpoint: no touchpoint named {contact.touchpoint!r}"
    else:
        seen = Contact(channel=contact.channel, subject=contact.subject or "", text=contact.text or "")
        touchpoint_id = world.classifier.classify(seen)
    owner_id = None
    if contact.owner_agent is not None:
        owner_id = world.agents_by_email.get(contact.owner_agent.lower())
        if owner_id is None:
            return f"owner_agent: no agent has the e-mail {contact.owner_agent}"
    language = contact.language
    if language is None:
        language = detect_language(f"{contact.subject or ''}\n{contact.text or ''}", candidates=world.languages)
    queue = queue_for(world.queues, touchpoint_id=touchpoint_id, channel=contact.channel)
    item = None
    if queue is not None:
        item = WorkItem(
            id=contact.id,
            brand_id=world.brand_id,
            queue_id=queue.id,
            channel=contact.channel,
            priority=min(contact.priority, queue.priority),
            waiting_since=contact.at,
            language=language,
            customer_country=contact.country.upper() if contact.country else None,
            wants_local=contact.wants_local,
            owner_agent_id=owner_id,
        )
    return Arrival(
        line=line,
        ref=contact.id,
        at=contact.at,
        channel=contact.channel,
        touchpoint_id=touchpoint_id,
        queue_id=queue.id if queue else None,
        handle_seconds=contact.handle_seconds,
        customer_ref=contact.customer_ref,
        item=item,
    )


def replay(
    arrivals: Iterable[Arrival],
    world: World,
    *,
    give_up_after: float = GIVE_UP_AFTER,
    arrived: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """Every arrival's outcome, in time order; `arrived(n)` is told as each batch of n arrivals comes in."""
    ordered = sorted(arrivals, key=lambda a: (a.at, a.line))
    outcomes = [Outcome(a) for a in ordered]
    if not ordered:
        return outcomes
    clock = _Clock(AgentPool(world.candidates))
    waiting: list[Outcome] = []
    now = last_event = ordered[0].at
    upcoming = 0
    while True:
        changed = False
        while clock.releases and clock.releases[0][0] <= now:
            _, _, agent_id, channel = heapq.heappop(clock.releases)
            clock.pool.release(agent_id, channel)
            changed = True
        first = upcoming
        while upcoming < len(ordered) and ordered[upcoming].at <= now:
            outcome = outcomes[upcoming]
            if outcome.arrival.item is None:
                outcome.decision = Decision(outcome.arrival.ref, None, None, None, None, "unrouted")
                outcome.ended_at = outcome.arrival.at
            else:
                waiting.append(outcome)
            upcoming += 1
        if upcoming > first:
            changed = True
            if arrived is not None:
                arrived(upcoming - first)
        if changed:
            last_event = now
        waiting = _round(waiting, world, clock, now)
        following = [ordered[upcoming].at] if upcoming < len(ordered) else []
        following += [clock.releases[0][0]] if clock.releases else []
        if waiting and (following or (now - last_event).total_seconds() < give_up_after):
            following.append(now + dt.timedelta(seconds=RETRY_SECONDS))
        if not following:
            break
        now = min(following)
    for outcome in waiting:
        outcome.ended_at = now
    return outcomes


def _round(waiting: list[Outcome], world: World, clock: _Clock, now: dt.datetime) -> list[Outcome]:
    """One dispatch round at `now`: the items still waiting after it."""
    day = now.astimezone(world.zone).date()
    if day != clock.day:  # the shares are kept over the brand's day
        clock.ledger.clear()
        clock.day = day
    still: list[Outcome] = []
    for outcome in sorted(waiting, key=lambda o: backlog_order(_item(o))):
        arrival = outcome.arrival
        item = _with_history(_item(outcome), arrival.customer_ref, clock.served)
        assigned_today = clock.ledger.setdefault(item.queue_id, {})
        decision = clock.pool.decide(
            item, world.rules[item.queue_id], now=now, hours=world.hours, assigned_today=assigned_today
        )
        outcome.decision = decision
        if decision.agent_id is None:
            still.append(outcome)
            continue
        clock.pool.assign(decision.agent_id, item.channel, at=now)
        organisation = decision.organisation_id or ""
        assigned_today[organisation] = assigned_today.get(organisation, 0) + 1
        outcome.assigned_at = now
        if arrival.customer_ref is not None:
            clock.served[arrival.customer_ref] = (decision.agent_id, now)
        done = now + dt.timedelta(seconds=arrival.handle_seconds)
        heapq.heappush(clock.releases, (done, arrival.line, decision.agent_id, item.channel))
    return still


def _item(outcome: Outcome) -> WorkItem:
    assert outcome.arrival.item is not None  # noqa: S101 - only queued items wait
    return outcome.arrival.item


def _with_history(item: WorkItem, customer_ref: str | None, served: Mapping[str, tuple[str, dt.datetime]]) -> WorkItem:
    """The item with the agent who last served its customer in this run: sticky routing."""
    last = served.get(customer_ref) if customer_ref is not None else None
    return replace(item, last_agent_id=last[0], last_served_at=last[1]) if last else item
