"""Queues, presence and customer owners. Services flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.conversations.models import Conversation
from cxhub.conversations.service import resolve_brand
from cxhub.customers.groups import group_of
from cxhub.customers.models import CustomerGroup
from cxhub.errors import Conflict, CxhubError, Forbidden, NotFound
from cxhub.journeys.models import Touchpoint
from cxhub.kit.time import utcnow
from cxhub.routing import repository
from cxhub.routing.models import AgentPresence, PresenceInterval, Queue, QueueTeam, SlaPolicy, WaitingItem
from cxhub.routing.schemas import (
    QueueCreate,
    QueueFields,
    QueueRead,
    QueueTeamRead,
    QueueUpdate,
    SkillNeedIn,
    SlaPolicyCreate,
    SlaPolicyFields,
)
from cxhub.workforce.models import Agent, Team


def _require_in_house(actor: Actor | None) -> None:
    if actor is not None and actor.is_partner:
        raise Forbidden("only the brand's own organisation configures routing")


def get_queue(session: Session, *, actor: Actor, queue_id: str) -> Queue:
    queue = session.scalar(repository.readable_queues(actor).where(Queue.id == queue_id))
    if queue is None:
        raise NotFound("queue")
    return queue


def _configure(session: Session, queue: Queue, fields: QueueFields) -> None:
    with session.no_autoflush:  # nothing is written until the configuration is known to be valid
        if fields.touchpoint_id is not None:
            touchpoint = session.get(Touchpoint, fields.touchpoint_id)
            if touchpoint is None or touchpoint.brand_id != queue.brand_id:
                raise CxhubError("no such touchpoint for this brand", status=422, field="touchpoint_id")
        team_ids = [t.team_id for t in fields.teams]
        known = set(session.scalars(select(Team.id).where(Team.id.in_(team_ids)))) if team_ids else set()
        if unknown := [t for t in team_ids if t not in known]:
            raise CxhubError(f"no such team: {unknown[0]}", status=422, field="teams")
    session.add(queue)
    for key, value in fields.model_dump(exclude={"teams", "required_skills", "brand_id", "name"}).items():
        setattr(queue, key, value)
    queue.required_skills = [s.model_dump() for s in fields.required_skills]
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("this brand has a queue with this name", field="name") from exc
    session.execute(delete(QueueTeam).where(QueueTeam.queue_id == queue.id))
    session.add_all(QueueTeam(queue_id=queue.id, **t.model_dump()) for t in fields.teams)
    session.flush()


def create_queue(session: Session, *, queue_create: QueueCreate, actor: Actor | None) -> Queue:
    _require_in_house(actor)
    brand = resolve_brand(session, queue_create.brand_id)
    if actor is not None and actor.brand_ids is not None and brand.id not in actor.brand_ids:
        raise CxhubError("unknown brand", status=422, field="brand_id")
    queue = Queue(brand_id=brand.id, name=queue_create.name)
    _configure(session, queue, queue_create)
    return queue


def update_queue(session: Session, *, queue: Queue, queue_update: QueueUpdate, actor: Actor) -> Queue:
    _require_in_house(actor)
    queue.name = queue_update.name
    _configure(session, queue, queue_update)
    return queue


def delete_queue(session: Session, *, queue: Queue, actor: Actor) -> None:
    """Delete a queue; what waited in it is routed again."""
    _require_in_house(actor)
    waiting = select(WaitingItem.conversation_id).where(WaitingItem.queue_id == queue.id)
    session.execute(
        update(Conversation)
        .where(Conversation.id.in_(waiting))
        .values(routing_status="pending", queue_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(WaitingItem).where(WaitingItem.queue_id == queue.id))
    session.delete(queue)
    session.flush()


def queue_reads(session: Session, *, queues: Sequence[Queue], actor: Actor) -> list[QueueRead]:
    ids = [q.id for q in queues]
    teams = repository.queue_teams(session, ids)
    partner = actor.organisation_id if actor.is_partner else None
    waiting = repository.waiting_counts(session, ids, organisation_id=partner)
    return [
        QueueRead(
            id=q.id,
            brand_id=q.brand_id,
            name=q.name,
            touchpoint_id=q.touchpoint_id,
            channel=q.channel,
            mode=q.mode,
            priority=q.priority,
            language_required=q.language_required,
            drop_language_after_seconds=q.drop_language_after_seconds,
            required_skills=[SkillNeedIn(**s) for s in q.required_skills],
            drop_local_after_seconds=q.drop_local_after_seconds,
            owner_wait_seconds=q.owner_wait_seconds,
            sticky_seconds=q.sticky_seconds,
            overflow_after_seconds=q.overflow_after_seconds,
            overflow_when_unavailable=q.overflow_when_unavailable,
            teams=[QueueTeamRead.model_validate(t) for t, org in teams[q.id] if partner in (None, org)],
            waiting=waiting.get(q.id, 0),
        )
        for q in queues
    ]


def agent_of_user(session: Session, *, actor: Actor) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.user_id == actor.user_id))
    if agent is None:
        raise CxhubError("you have no agent profile: ask your team lead to create one", status=409)
    return agent


def set_presence(session: Session, *, agent: Agent, presence: str, now: dt.datetime | None = None) -> AgentPresence:
    """Change an agent's presence and keep the interval it ends (occupancy is measured from them)."""
    now = now or utcnow()
    current = session.get(AgentPresence, agent.id, with_for_update=True)
    if current is None:
        current = AgentPresence(agent_id=agent.id, presence="offline", since=now, free_since=now)
        session.add(current)
    elif current.presence == presence:
        return current
    session.execute(
        update(PresenceInterval)
        .where(PresenceInterval.agent_id == agent.id, PresenceInterval.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.add(PresenceInterval(agent_id=agent.id, presence=presence, started_at=now))
    if presence == "available":
        current.free_since = now
    current.presence = presence
    current.since = now
    session.flush()
    return current


def presence_of(session: Session, *, agent_ids: Collection[str]) -> dict[str, AgentPresence]:
    if not agent_ids:
        return {}
    rows = session.scalars(select(AgentPresence).where(AgentPresence.agent_id.in_(list(agent_ids))))
    return {row.agent_id: row for row in rows}


def owner_of(
    groups: Sequence[CustomerGroup],
    *,
    customer_id: str,
    facts: tuple[str | None, set[str], int],
    listed: Collection[tuple[str, str]],
) -> tuple[str | None, str | None]:
    """(owner agent, owner team) of the first group the customer belongs to: listed, or every rule it sets holds."""
    group = group_of(groups, customer_id=customer_id, facts=facts, listed=listed)
    return (group.owner_agent_id, group.owner_team_id) if group is not None else (None, None)


def get_policy(session: Session, *, actor: Actor, policy_id: str) -> SlaPolicy:
    statement = select(SlaPolicy).where(SlaPolicy.id == policy_id)
    if actor.brand_ids is not None:
        statement = statement.where(SlaPolicy.brand_id.in_(actor.brand_ids))
    policy = session.scalar(statement)
    if policy is None:
        raise NotFound("SLA policy")
    return policy


def _set_policy(session: Session, policy: SlaPolicy, fields: SlaPolicyFields) -> SlaPolicy:
    with session.no_autoflush:
        if fields.touchpoint_id is not None:
            touchpoint = session.get(Touchpoint, fields.touchpoint_id)
            if touchpoint is None or touchpoint.brand_id != policy.brand_id:
                raise CxhubError("no such touchpoint for this brand", status=422, field="touchpoint_id")
    values = fields.model_dump(exclude={"brand_id"}, mode="json")
    for key, value in values.items():
        setattr(policy, key, value)
    session.add(policy)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("this brand has an SLA policy with this name", field="name") from exc
    return policy


def create_policy(session: Session, *, policy_create: SlaPolicyCreate, actor: Actor | None) -> SlaPolicy:
    """A policy applies to conversations queued from now on (their clocks start when they are queued)."""
    _require_in_house(actor)
    brand = resolve_brand(session, policy_create.brand_id)
    if actor is not None and actor.brand_ids is not None and brand.id not in actor.brand_ids:
        raise CxhubError("unknown brand", status=422, field="brand_id")
    return _set_policy(session, SlaPolicy(brand_id=brand.id), policy_create)


def update_policy(session: Session, *, policy: SlaPolicy, policy_update: SlaPolicyFields, actor: Actor) -> SlaPolicy:
    _require_in_house(actor)
    return _set_policy(session, policy, policy_update)


def delete_policy(session: Session, *, policy: SlaPolicy, actor: Actor) -> None:
    """Delete a policy and the clocks that ran against it."""
    _require_in_house(actor)
    session.delete(policy)
    session.flush()


def check_transfer(
    session: Session, *, conversation: Conversation, actor: Actor, team_id: str | None, agent_id: str | None
) -> None:
    """A partner hands on only what is queued for it, and to a team or agent only within its own organisation."""
    if not actor.is_partner:
        return
    if conversation.organisation_id != actor.organisation_id:
        raise Forbidden("this conversation has left your organisation: you can read it, not change it")
    team = session.get(Team, team_id) if team_id else None
    agent = session.get(Agent, agent_id) if agent_id else None
    if (team and team.organisation_id != actor.organisation_id) or (
        agent and agent.organisation_id != actor.organisation_id
    ):
        raise CxhubError("hand it to a queue: that team or agent is outside your organisation", status=422)
