"""What an agent's inbox and a team lead's queue view show: queries over conversations, waits and presence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.conversations.models import Conversation, ConversationNote, NoteMention
from cxhub.conversations.repository import readable_conversations
from cxhub.customers.models import Customer, CustomerIdentity
from cxhub.customers.service import shown_identity, shown_name
from cxhub.routing.models import AgentPresence, Queue, QueueTeam, SlaClock, WaitingItem
from cxhub.routing.repository import HOLDING, readable_queues
from cxhub.workforce.models import Agent, Team

MINE = ("new", "open", "pending_customer")
INBOX_SIZE = 100


def customer_names(session: Session, customer_ids: set[str], actor: Actor) -> dict[str, str]:
    """Each customer's name as the viewer may see it, else their first identifier shown, else "unknown".

    Two queries for any number of customers: the inbox pins its query count.
    """
    if not customer_ids:
        return {}
    customers = session.scalars(select(Customer).where(Customer.id.in_(customer_ids))).all()
    nameless = [c.id for c in customers if not c.name]
    first: dict[str, CustomerIdentity] = {}
    if nameless:
        for identity in session.scalars(
            select(CustomerIdentity)
            .where(CustomerIdentity.customer_id.in_(nameless))
            .order_by(CustomerIdentity.first_seen_at)
        ):
            first.setdefault(identity.customer_id, identity)
    names = {}
    for customer in customers:
        if customer.name:
            shown = shown_name(session, customer=customer, actor=actor)
        else:
            first_identity = first.get(customer.id)
            shown = shown_identity(session, identity=first_identity, actor=actor) if first_identity else None
        names[customer.id] = shown or "unknown"
    return names


def my_conversations(
    session: Session, *, actor: Actor, agent: Agent, status: str = "", channel: str = ""
) -> list[Conversation]:
    statement = readable_conversations(actor).where(Conversation.agent_id == agent.id)
    statement = (
        statement.where(Conversation.status == status) if status else statement.where(Conversation.status.in_(MINE))
    )
    if channel:
        statement = statement.where(Conversation.channel == channel)
    order = (Conversation.priority, Conversation.last_inbound_at.desc(), Conversation.id)
    return list(session.scalars(statement.order_by(*order).limit(INBOX_SIZE)))


def my_queue_items(session: Session, *, actor: Actor, agent: Agent, channel: str = "") -> list[tuple[Any, ...]]:
    """(conversation, queue name, waiting since) waiting in the queues the agent's team serves, most urgent first.

    A partner sees only the items queued at its own organisation.
    """
    served = select(QueueTeam.queue_id).where(QueueTeam.team_id == agent.team_id)
    statement = (
        readable_conversations(actor)
        .join(WaitingItem, WaitingItem.conversation_id == Conversation.id)
        .join(Queue, Queue.id == WaitingItem.queue_id)
        .where(WaitingItem.queue_id.in_(served))
        .add_columns(Queue.name, WaitingItem.waiting_since)
    )
    if actor.is_partner:
        statement = statement.where(Conversation.organisation_id == actor.organisation_id)
    if channel:
        statement = statement.where(WaitingItem.channel == channel)
    order = (WaitingItem.priority, WaitingItem.waiting_since, WaitingItem.conversation_id)
    return [tuple(row) for row in session.execute(statement.order_by(*order).limit(INBOX_SIZE))]


def sla_badges(session: Session, conversation_ids: Collection[str]) -> dict[str, str]:
    """The worst SLA state of each conversation that has one to show: breached, then at risk."""
    badges: dict[str, str] = {}
    if conversation_ids:
        for conversation_id, status in session.execute(
            select(SlaClock.conversation_id, SlaClock.status).where(
                SlaClock.conversation_id.in_(list(conversation_ids)),
                SlaClock.status.in_(("at_risk", "breached")),
                SlaClock.met_at.is_(None),
            )
        ).all():
            if badges.get(conversation_id) != "breached":
                badges[conversation_id] = status
    return badges


def inbox_fingerprint(session: Session, *, actor: Actor, agent_id: str) -> tuple[Any, ...]:
    """Changes whenever the inbox would show something else: the live stream sends an event then."""
    agent = session.get(Agent, agent_id)
    if agent is None:
        return ()
    mine = session.execute(
        select(func.count(), func.max(Conversation.updated_at)).where(
            Conversation.agent_id == agent_id, Conversation.status.in_(MINE)
        )
    ).one()
    served = select(QueueTeam.queue_id).where(QueueTeam.team_id == agent.team_id)
    waiting = session.execute(
        select(func.count(), func.max(WaitingItem.waiting_since), func.min(WaitingItem.conversation_id)).where(
            WaitingItem.queue_id.in_(served)
        )
    ).one()
    presence = session.scalar(select(AgentPresence.presence).where(AgentPresence.agent_id == agent_id))
    mentions = session.scalar(select(func.count()).select_from(NoteMention).where(NoteMention.user_id == actor.user_id))
    return (*mine, *waiting, presence, mentions)


@dataclass(frozen=True)
class QueueState:
    queue: Queue
    waiting: int
    oldest: dt.datetime | None
    at_risk: int  # waiting with an SLA clock at risk or breached
    items: list[tuple[Conversation, dt.datetime]]


@dataclass(frozen=True)
class AgentState:
    agent_id: str
    name: str
    team: str
    presence: str
    since: dt.datetime | None
    load: dict[str, int]


def queue_states(session: Session, *, actor: Actor, items_per_queue: int = 20) -> list[QueueState]:
    """Each queue in scope with what waits in it (a partner: what waits at its own organisation)."""
    queues = session.scalars(readable_queues(actor).order_by(Queue.name)).all()
    states = []
    for queue in queues:
        statement = (
            readable_conversations(actor)
            .join(WaitingItem, WaitingItem.conversation_id == Conversation.id)
            .where(WaitingItem.queue_id == queue.id)
        )
        if actor.is_partner:
            statement = statement.where(Conversation.organisation_id == actor.organisation_id)
        counted = session.execute(statement.with_only_columns(func.count(), func.min(WaitingItem.waiting_since))).one()
        at_risk = session.scalar(
            statement.join(SlaClock, SlaClock.conversation_id == Conversation.id)
            .where(SlaClock.status.in_(("at_risk", "breached")), SlaClock.met_at.is_(None))
            .with_only_columns(func.count(func.distinct(Conversation.id)))
        )
        rows = session.execute(
            statement.add_columns(WaitingItem.waiting_since)
            .order_by(WaitingItem.priority, WaitingItem.waiting_since)
            .limit(items_per_queue)
        ).all()
        states.append(QueueState(queue, counted[0], counted[1], at_risk or 0, [(r[0], r[1]) for r in rows]))
    return states


def agent_states(session: Session, *, actor: Actor) -> list[AgentState]:
    """Agents in scope with their presence and what they hold per channel."""
    statement = (
        select(Agent.id, User.name, Team.name, AgentPresence.presence, AgentPresence.since)
        .join(User, User.id == Agent.user_id)
        .join(Team, Team.id == Agent.team_id)
        .outerjoin(AgentPresence, AgentPresence.agent_id == Agent.id)
    )
    if actor.is_partner:
        statement = statement.where(Agent.organisation_id == actor.organisation_id)
    rows = session.execute(statement.order_by(Team.name, User.name)).all()
    loads: dict[str, dict[str, int]] = {}
    ids = [r[0] for r in rows]
    if ids:
        for agent_id, channel, count in session.execute(
            select(Conversation.agent_id, Conversation.channel, func.count())
            .where(Conversation.agent_id.in_(ids), Conversation.status.in_(HOLDING))
            .group_by(Conversation.agent_id, Conversation.channel)
        ).all():
            loads.setdefault(agent_id or "", {})[channel] = count
    return [AgentState(r[0], r[1], r[2], r[3] or "offline", r[4], loads.get(r[0], {})) for r in rows]


def team_agents(session: Session, *, actor: Actor) -> Sequence[tuple[str, str]]:
    """(agent id, name) an item can be handed to by this team lead."""
    statement = select(Agent.id, User.name).join(User, User.id == Agent.user_id)
    if actor.is_partner:
        statement = statement.where(Agent.organisation_id == actor.organisation_id)
    return [(a, n) for a, n in session.execute(statement.order_by(User.name)).all()]


def transfer_targets(
    session: Session, *, actor: Actor, brand_id: str
) -> tuple[Sequence[tuple[str, str]], Sequence[tuple[str, str]], Sequence[tuple[str, str]]]:
    """(id, name) of the brand's queues, and of the teams and agents the actor may hand a conversation to."""
    queues = session.execute(select(Queue.id, Queue.name).where(Queue.brand_id == brand_id).order_by(Queue.name)).all()
    teams_statement = select(Team.id, Team.name).order_by(Team.name)
    if actor.is_partner:
        teams_statement = teams_statement.where(Team.organisation_id == actor.organisation_id)
    teams = session.execute(teams_statement).all()
    return [(q, n) for q, n in queues], [(t, n) for t, n in teams], team_agents(session, actor=actor)


def my_mentions(session: Session, *, actor: Actor, limit: int = 20) -> list[tuple[Any, ...]]:
    """(note, author name, conversation subject) of the latest notes that mention the actor, in scope."""
    statement = (
        readable_conversations(actor)
        .join(NoteMention, NoteMention.conversation_id == Conversation.id)
        .join(ConversationNote, ConversationNote.id == NoteMention.note_id)
        .join(User, User.id == ConversationNote.author_user_id)
        .where(NoteMention.user_id == actor.user_id)
        .with_only_columns(ConversationNote, User.name, Conversation.subject, Conversation.channel)
        .order_by(NoteMention.created_at.desc())
        .limit(limit)
    )
    return [tuple(row) for row in session.execute(statement).all()]
