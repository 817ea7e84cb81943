"""Routing at work: classify new conversations, queue them, and hand waiting ones to agents.

Safe with any number of processes at once. On PostgreSQL, the pending conversations and waiting
items a round takes are locked with SKIP LOCKED (two rounds never take the same ones), and the
agent's presence row is locked (SKIP LOCKED again: an agent another round is assigning to is
passed over for this round) before the agent's load is counted afresh. On SQLite a write
transaction has the database to itself. In both, the conversation is taken with a conditional
update (`agent_id IS NULL`), so it is never assigned twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from cxhub.conversations.models import Conversation, ConversationHandler
from cxhub.customers.models import Customer
from cxhub.journeys.service import Classifier, classify_conversation
from cxhub.kit.hours import BusinessHours
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow
from cxhub.routing import repository
from cxhub.routing.engine import Candidate, Decision, QueueRules, SkillNeed, TeamShare, WorkItem
from cxhub.routing.models import AgentPresence, Assignment, Queue, WaitingItem
from cxhub.routing.pool import AgentPool
from cxhub.routing.service import owner_of
from cxhub.routing.sla import start_clocks
from cxhub.workforce.models import Agent, Brand, Site, Team

BATCH = 500
MAX_AGE_DAYS = 30  # CXHUB_ROUTING_MAX_AGE_DAYS
DEFAULT_CAPACITY = 5  # conversations at once on a channel the team serves but the agent's profile leaves out
SERVED_AS = {"reviews": ("review",), "voice": ("voice", "voicemail")}  # a team's channel: the conversations it covers
TAKEN, NO_ROOM, GONE = "taken", "no_room", "gone"
LOCAL_AGENT_FIELD = "local_agent"  # a form field (web form, IVR option) by which the customer asks for a local agent


@dataclass
class Round:
    """What one dispatch round did."""

    classified: int = 0
    queued: int = 0
    unrouted: int = 0
    assigned: int = 0
    waiting: int = 0
    passed_over: set[str] = field(default_factory=set)  # agents another round held


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def locked(session: Session, statement: Any, *, of: Any = None) -> Any:
    """The rows locked for this round on PostgreSQL, passing over those another round holds."""
    return statement.with_for_update(skip_locked=True, of=of) if _postgres(session) else statement


def dispatch(
    session: Session, *, now: dt.datetime | None = None, batch: int = BATCH, max_age_days: int = MAX_AGE_DAYS
) -> Round:
    """One round: queue what is pending, then assign what waits in push queues."""
    now = now or utcnow()
    result = Round()
    route_pending(session, now=now, batch=batch, result=result, max_age=dt.timedelta(days=max_age_days))
    for brand_id in session.scalars(select(Brand.id).order_by(Brand.id)).all():
        assign_waiting(session, brand_id=brand_id, now=now, batch=batch, result=result)
    return result


# classify and queue


def queue_for(queues: Sequence[Queue], *, touchpoint_id: str | None, channel: str) -> Queue | None:
    """The most specific queue: touchpoint and channel, then touchpoint, then channel, then a catch-all."""

    def specificity(queue: Queue) -> int:
        return (2 if queue.touchpoint_id else 0) + (1 if queue.channel else 0)

    matching = [q for q in queues if q.touchpoint_id in (None, touchpoint_id) and q.channel in (None, channel)]
    return max(matching, key=lambda q: (specificity(q), q.created_at), default=None)


def route_pending(
    session: Session, *, now: dt.datetime, batch: int, result: Round, max_age: dt.timedelta = dt.timedelta(days=30)
) -> None:
    pending = session.scalars(
        locked(
            session,
            select(Conversation)
            .where(Conversation.routing_status == "pending")
            .order_by(Conversation.created_at, Conversation.id)
            .limit(batch),
        )
    ).all()
    if not pending:
        return
    brands = {c.brand_id for c in pending}
    queues = {b: session.scalars(select(Queue).where(Queue.brand_id == b)).all() for b in brands}
    classifiers = {b: Classifier(session, b) for b in brands}
    languages = served_languages(session)
    customers = {
        c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_({p.customer_id for p in pending})))
    }
    owners = _owners(session, pending)
    classified: list[Conversation] = []
    with session.no_autoflush:  # the queued items are written in one batch, not one per classification read
        for conversation in pending:
            if conversation.agent_id is not None:
                conversation.routing_status = "assigned"
                continue
            last_word = conversation.last_inbound_at or conversation.created_at
            if (
                conversation.status not in repository.HOLDING
                or not conversation.needs_answer
                or last_word < now - max_age
            ):
                conversation.routing_status = None  # nothing to answer, or history
                continue
            contact = classify_conversation(
                session, conversation=conversation, classifier=classifiers[conversation.brand_id], languages=languages
            )
            result.classified += 1
            classified.append(conversation)
            queue = queue_for(
                queues[conversation.brand_id], touchpoint_id=conversation.touchpoint_id, channel=conversation.channel
            )
            if queue is None:
                conversation.routing_status = "unrouted"
                result.unrouted += 1
                continue
            customer = customers.get(conversation.customer_id)
            owner_agent, owner_team = owners.get(conversation.id, (None, None))
            session.add(
                WaitingItem(
                    conversation_id=conversation.id,
                    brand_id=conversation.brand_id,
                    queue_id=queue.id,
                    channel=conversation.channel,
                    priority=min(conversation.priority, queue.priority),
                    waiting_since=conversation.last_inbound_at or conversation.created_at,
                    customer_id=conversation.customer_id,
                    language=conversation.language,
                    customer_country=customer.country if customer else None,
                    wants_local=_truthy(contact.fields.get(LOCAL_AGENT_FIELD)),
                    owner_agent_id=owner_agent,
                    owner_team_id=owner_team,
                )
            )
            conversation.priority = min(conversation.priority, queue.priority)
            conversation.queue_id = queue.id
            conversation.routing_status = "queued"
            result.queued += 1
    session.flush()
    start_clocks(session, conversations=classified, now=now)


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on") if value is not None else False


def served_languages(session: Session) -> set[str]:
    """The languages agents speak: the candidates for detecting a customer's language."""
    spoken: set[str] = set()
    for languages in session.scalars(select(Agent.languages)):
        spoken.update(str(entry.get("code", "")).split("-")[0] for entry in languages)
    for languages in session.scalars(select(Team.languages)):
        spoken.update(code.split("-")[0] for code in languages)
    spoken.discard("")
    return spoken


def _owners(session: Session, conversations: Sequence[Conversation]) -> dict[str, tuple[str | None, str | None]]:
    owners: dict[str, tuple[str | None, str | None]] = {}
    by_brand: dict[str, list[Conversation]] = {}
    for conversation in conversations:
        by_brand.setdefault(conversation.brand_id, []).append(conversation)
    for brand_id, items in by_brand.items():
        groups = repository.groups_of_brand(session, brand_id)
        if not groups:
            continue
        customer_ids = {c.customer_id for c in items}
        facts = repository.customer_facts(session, customer_ids)
        listed = repository.listed_members(session, [g.id for g in groups], customer_ids)
        for conversation in items:
            owners[conversation.id] = owner_of(
                groups, customer_id=conversation.customer_id, facts=facts[conversation.customer_id], listed=listed
            )
    return owners


# assign


def queue_rules(session: Session, queues: Sequence[Queue]) -> dict[str, QueueRules]:
    teams = repository.queue_teams(session, [q.id for q in queues])
    rules = {}
    for queue in queues:
        stages: dict[int, list[TeamShare]] = {}
        for queue_team, organisation_id in teams[queue.id]:
            stages.setdefault(queue_team.stage, []).append(
                TeamShare(team_id=queue_team.team_id, organisation_id=organisation_id, share=queue_team.share)
            )
        rules[queue.id] = QueueRules(
            id=queue.id,
            stages=tuple(tuple(stages[k]) for k in sorted(stages)),
            overflow_after_seconds=tuple(queue.overflow_after_seconds),
            overflow_when_unavailable=queue.overflow_when_unavailable,
            language_required=queue.language_required,
            drop_language_after_seconds=queue.drop_language_after_seconds,
            required_skills=tuple(SkillNeed(s["name"], int(s.get("level", 1))) for s in queue.required_skills),
            drop_local_after_seconds=queue.drop_local_after_seconds,
            owner_wait_seconds=queue.owner_wait_seconds,
            sticky_seconds=queue.sticky_seconds,
        )
    return rules


def candidates(session: Session, *, agent_ids: Iterable[str] | None = None) -> list[Candidate]:
    """Every available agent (or those named) as the engine sees them, with the load they hold now."""
    rows = repository.available_agents(session, agent_ids=list(agent_ids) if agent_ids is not None else None)
    ids = [row.id for row in rows]
    held = repository.loads(session, agent_ids=ids if agent_ids is not None else None)
    limits = repository.brand_limits(session, [row.user_id for row in rows])
    return [as_candidate(row, load=held.get(row.id, {}), limits=limits) for row in rows]


def as_candidate(
    row: Any,
    *,
    load: Mapping[str, int],
    limits: Mapping[str, set[str]],
    presence: str | None = None,
    free_since: dt.datetime | None = None,
) -> Candidate:
    """An agent row of `repository.available_agents` as the engine sees it; presence and free_since as given."""
    return Candidate(
        agent_id=row.id,
        team_id=row.team_id,
        organisation_id=row.organisation_id,
        site_id=row.site_id,
        site_country=row.country,
        presence=presence or row.presence,
        free_since=free_since or row.free_since,
        languages=frozenset(str(entry.get("code", "")) for entry in row.languages),
        skills={str(s.get("name")): int(s.get("level", 1)) for s in row.skills},
        capacity={channel: _capacity(row.max_concurrent, channel) for channel in served_channels(row.channels)},
        load=load,
        brand_ids=frozenset(limits[row.user_id]) if row.user_id in limits else None,
    )


def served_channels(team_channels: Iterable[str]) -> set[str]:
    return {channel for served in team_channels or () for channel in SERVED_AS.get(served, (served,))}


def _capacity(max_concurrent: Mapping[str, int], channel: str) -> int:
    return int(max_concurrent.get(channel, DEFAULT_CAPACITY))


def site_hours(session: Session) -> dict[str, BusinessHours]:
    return {
        site.id: BusinessHours(site.time_zone, site.opening_hours, site.holidays)
        for site in session.scalars(select(Site))
    }


def _day_start(session: Session, brand_id: str, now: dt.datetime) -> dt.datetime:
    """Midnight in the brand's time zone: volume shares are kept over the brand's day."""
    brand = session.get(Brand, brand_id)
    zone = ZoneInfo(brand.time_zone if brand else "UTC")
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def work_item(row: WaitingItem, served: Mapping[str, tuple[str, dt.datetime]]) -> WorkItem:
    last = served.get(row.customer_id)
    return WorkItem(
        id=row.conversation_id,
        brand_id=row.brand_id,
        queue_id=row.queue_id,
        channel=row.channel,
        priority=row.priority,
        waiting_since=row.waiting_since,
        language=row.language,
        customer_country=row.customer_country,
        wants_local=row.wants_local,
        owner_agent_id=row.owner_agent_id,
        owner_team_id=row.owner_team_id,
        last_agent_id=last[0] if last else None,
        last_served_at=last[1] if last else None,
    )


def assign_waiting(session: Session, *, brand_id: str, now: dt.datetime, batch: int, result: Round) -> None:
    """Hand the brand's waiting items of push queues to agents, most urgent and oldest first."""
    rows = session.scalars(
        locked(
            session,
            select(WaitingItem)
            .join(Queue, Queue.id == WaitingItem.queue_id)
            .where(WaitingItem.brand_id == brand_id, Queue.mode == "push")
            .order_by(WaitingItem.priority, WaitingItem.waiting_since, WaitingItem.conversation_id)
            .limit(batch),
            of=WaitingItem,  # not the queue's row: other rounds take other items of the same queue
        )
    ).all()
    if not rows:
        return
    queues = session.scalars(select(Queue).where(Queue.id.in_({r.queue_id for r in rows}))).all()
    rules = queue_rules(session, queues)
    ledger = repository.assigned_since(session, list(rules), _day_start(session, brand_id, now))
    pool = AgentPool(candidates(session))
    hours = site_hours(session)
    served = repository.last_served(session, {r.customer_id for r in rows})
    conversations = {
        c.id: c
        for c in session.scalars(select(Conversation).where(Conversation.id.in_([r.conversation_id for r in rows])))
    }
    holds: dict[str, Hold] = {}
    with session.no_autoflush:  # assignments and handlers are written in batches at the end of the round
        for row in rows:
            item = work_item(row, served)
            queue = rules[row.queue_id]
            while True:
                decision = pool.decide(item, queue, now=now, hours=hours, assigned_today=ledger[row.queue_id])
                if decision.agent_id is None:
                    break
                outcome = take(
                    session,
                    conversation=conversations[row.conversation_id],
                    decision=decision,
                    queue_id=row.queue_id,
                    now=now,
                    rule=decision.rule,
                    holds=holds,
                )
                if outcome != NO_ROOM:
                    break
                pool.withdraw(decision.agent_id)  # another round holds the agent, or its load changed
                result.passed_over.add(decision.agent_id)
            if decision.agent_id is None:
                _queue_at(session, conversation=conversations[row.conversation_id], decision=decision, now=now)
                result.waiting += 1
            elif outcome == TAKEN:
                pool.assign(decision.agent_id, row.channel)
                ledger[row.queue_id][decision.organisation_id or ""] = (
                    ledger[row.queue_id].get(decision.organisation_id or "", 0) + 1
                )
                result.assigned += 1
    session.flush()


def _queue_at(session: Session, *, conversation: Conversation, decision: Decision, now: dt.datetime) -> None:
    """Name the team and organisation the conversation waits for: they see it in their queue."""
    if decision.organisation_id is None or (
        conversation.organisation_id == decision.organisation_id and conversation.team_id == decision.team_id
    ):
        return
    conversation.organisation_id = decision.organisation_id
    conversation.team_id = decision.team_id
    handled_by(session, conversation.id, decision.organisation_id, now)


def handled_by(session: Session, conversation_id: str, organisation_id: str, now: dt.datetime) -> None:
    if session.get(ConversationHandler, (conversation_id, organisation_id)) is None:
        session.add(ConversationHandler(conversation_id=conversation_id, organisation_id=organisation_id, since=now))


def take(
    session: Session,
    *,
    conversation: Conversation,
    decision: Decision,
    queue_id: str | None,
    now: dt.datetime,
    rule: str,
    by_user_id: str | None = None,
    holds: dict[str, Hold] | None = None,
    check_room: bool = True,
) -> str:
    """Give the conversation to the decision's agent if the agent still has room.

    TAKEN; NO_ROOM when the agent is away, held by another round or full on the channel; GONE when
    someone else took the conversation first. `holds`: the agents this round has locked so far, each
    locked and counted once per round. A team lead's hand-over or a transfer (`check_room=False`)
    gives it whatever the agent's presence and load.
    """
    assert decision.agent_id is not None  # noqa: S101 - callers pass a decision with an agent
    agent_id, channel = decision.agent_id, conversation.channel
    hold = None
    if check_room:
        hold = holds.get(agent_id) if holds is not None else None
        if hold is None:
            hold = _hold(session, agent_id)
            if hold is None:
                return NO_ROOM
            if holds is not None:
                holds[agent_id] = hold
        capacity = (
            _capacity(hold.agent.max_concurrent, channel) if channel in served_channels(hold.team.channels) else 0
        )
        if channel not in hold.load:
            hold.load[channel] = repository.load_of(session, agent_id=agent_id, channel=channel)
        if hold.load[channel] >= capacity:
            return NO_ROOM
        agent = hold.agent
    else:
        found = session.get(Agent, agent_id)
        if found is None:
            return NO_ROOM
        agent = found
    taken = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.agent_id.is_(None))
        .values(
            agent_id=agent_id,
            team_id=agent.team_id,
            organisation_id=agent.organisation_id,
            assigned_at=now,
            routing_status="assigned",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        _unqueue(session, conversation.id)
        return GONE
    _unqueue(session, conversation.id)
    session.add(
        Assignment(
            id=new_id(),
            conversation_id=conversation.id,
            customer_id=conversation.customer_id,
            queue_id=queue_id,
            organisation_id=agent.organisation_id,
            team_id=agent.team_id,
            agent_id=agent_id,
            rule=rule,
            by_user_id=by_user_id,
            assigned_at=now,
        )
    )
    handled_by(session, conversation.id, agent.organisation_id, now)
    if hold is not None:
        hold.load[channel] += 1
        hold.presence.free_since = now
    session.expire(conversation)
    return TAKEN


def _unqueue(session: Session, conversation_id: str) -> None:
    """The item leaves the queue. The session's copy of its row is not searched for (it would scan every
    object the round loaded, for each item) and is not used again."""
    session.execute(
        delete(WaitingItem)
        .where(WaitingItem.conversation_id == conversation_id)
        .execution_options(synchronize_session=False)
    )


@dataclass
class Hold:
    """An agent whose presence row this transaction has locked, and the load the agent holds now.

    While the lock is held no other round or pull assigns to the agent, so the load can only fall
    (a conversation resolved) until commit: counted once and kept up with our own assignments, it is
    never below the truth, and the agent is never given more than the capacity.
    """

    presence: AgentPresence
    agent: Agent
    team: Team
    load: dict[str, int] = field(default_factory=dict)


def _hold(session: Session, agent_id: str) -> Hold | None:
    """Lock an available agent's presence (passing over one another round holds) for the rest of the transaction."""
    presence = session.scalar(
        locked(
            session,
            select(AgentPresence).where(AgentPresence.agent_id == agent_id, AgentPresence.presence == "available"),
        )
    )
    agent = session.get(Agent, agent_id) if presence is not None else None
    team = session.get(Team, agent.team_id) if agent is not None else None
    if presence is None or agent is None or team is None:
        return None
    return Hold(presence, agent, team)
