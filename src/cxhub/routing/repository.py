"""Routing queries: queues in scope, the agents who could take work now, what waits, who served whom."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import UserBrand
from cxhub.conversations import labels, lifetime
from cxhub.conversations.models import Conversation
from cxhub.customers.models import CustomerGroup, CustomerGroupMember
from cxhub.routing.models import AgentPresence, Assignment, Queue, QueueTeam, WaitingItem
from cxhub.workforce.models import Agent, Site, Team

HOLDING = ("new", "open")  # a conversation in these statuses takes one of its agent's places on its channel


def readable_queues(actor: Actor) -> Select[Queue]:
    """In-house: every queue of the actor's brands. Partner: the queues one of its teams serves."""
    statement = select(Queue)
    if actor.brand_ids is not None:
        statement = statement.where(Queue.brand_id.in_(actor.brand_ids))
    if actor.is_partner:
        served = (
            select(QueueTeam.queue_id)
            .join(Team, Team.id == QueueTeam.team_id)
            .where(Team.organisation_id == actor.organisation_id)
        )
        statement = statement.where(Queue.id.in_(served))
    return statement


def queue_names(session: Session, ids: Collection[str]) -> dict[str, str]:
    return dict(session.execute(select(Queue.id, Queue.name).where(Queue.id.in_(list(ids)))).all())


labels.register("queue", queue_names)


def queue_teams(session: Session, queue_ids: Collection[str]) -> dict[str, list[tuple[QueueTeam, str]]]:
    """Each queue's teams (with the team's organisation), by stage then share."""
    found: dict[str, list[tuple[QueueTeam, str]]] = {q: [] for q in queue_ids}
    if not queue_ids:
        return found
    rows = session.execute(
        select(QueueTeam, Team.organisation_id)
        .join(Team, Team.id == QueueTeam.team_id)
        .where(QueueTeam.queue_id.in_(list(queue_ids)))
        .order_by(QueueTeam.stage, QueueTeam.share.desc(), QueueTeam.team_id)
    )
    for queue_team, organisation_id in rows:
        found[queue_team.queue_id].append((queue_team, organisation_id))
    return found


def waiting_counts(session: Session, queue_ids: Collection[str], *, organisation_id: str | None) -> dict[str, int]:
    if not queue_ids:
        return {}
    statement = (
        select(WaitingItem.queue_id, func.count())
        .where(WaitingItem.queue_id.in_(list(queue_ids)))
        .group_by(WaitingItem.queue_id)
    )
    if organisation_id is not None:
        statement = statement.join(Conversation, Conversation.id == WaitingItem.conversation_id).where(
            Conversation.organisation_id == organisation_id
        )
    return dict(session.execute(statement).all())


def available_agents(
    session: Session, *, agent_ids: Collection[str] | None = None, everyone: bool = False
) -> list[Any]:
    """Agents whose presence is available, with their team's channels and their site: the candidates.

    With `everyone`, every agent profile whatever its presence (presence and free_since None when never set).
    """
    statement = (
        select(
            Agent.id,
            Agent.user_id,
            Agent.team_id,
            Agent.organisation_id,
            Agent.languages,
            Agent.skills,
            Agent.max_concurrent,
            Team.channels,
            Team.site_id,
            Site.country,
            AgentPresence.presence,
            AgentPresence.free_since,
        )
        .join(AgentPresence, AgentPresence.agent_id == Agent.id, isouter=everyone)
        .join(Team, Team.id == Agent.team_id)
        .join(Site, Site.id == Team.site_id)
    )
    if not everyone:
        statement = statement.where(AgentPresence.presence == "available")
    if agent_ids is not None:
        statement = statement.where(Agent.id.in_(list(agent_ids)))
    return list(session.execute(statement.order_by(Agent.id)))


def brand_limits(session: Session, user_ids: Collection[str]) -> dict[str, set[str]]:
    limits: dict[str, set[str]] = {}
    if user_ids:
        for user_id, brand_id in session.execute(
            select(UserBrand.user_id, UserBrand.brand_id).where(UserBrand.user_id.in_(list(user_ids)))
        ):
            limits.setdefault(user_id, set()).add(brand_id)
    return limits


def loads(session: Session, *, agent_ids: Collection[str] | None = None) -> dict[str, dict[str, int]]:
    """Conversations each available agent holds now, per channel."""
    statement = (
        select(Conversation.agent_id, Conversation.channel, func.count())
        .join(AgentPresence, AgentPresence.agent_id == Conversation.agent_id)
        .where(AgentPresence.presence == "available", Conversation.status.in_(HOLDING))
        .group_by(Conversation.agent_id, Conversation.channel)
    )
    if agent_ids is not None:
        statement = statement.where(Conversation.agent_id.in_(list(agent_ids)))
    found: dict[str, dict[str, int]] = {}
    for agent_id, channel, count in session.execute(statement):
        found.setdefault(agent_id or "", {})[channel] = count
    return found


def load_of(session: Session, *, agent_id: str, channel: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.agent_id == agent_id, Conversation.channel == channel, Conversation.status.in_(HOLDING))
        )
        or 0
    )


def assigned_since(session: Session, queue_ids: Collection[str], since: dt.datetime) -> dict[str, dict[str, int]]:
    """The share ledger: conversations of each queue assigned to each organisation since `since`."""
    found: dict[str, dict[str, int]] = {q: {} for q in queue_ids}
    if queue_ids:
        for queue_id, organisation_id, count in session.execute(
            select(Assignment.queue_id, Assignment.organisation_id, func.count())
            .where(Assignment.queue_id.in_(list(queue_ids)), Assignment.assigned_at >= since)
            .group_by(Assignment.queue_id, Assignment.organisation_id)
        ):
            found[queue_id or ""][organisation_id] = count
    return found


def last_served(session: Session, customer_ids: Collection[str]) -> dict[str, tuple[str, dt.datetime]]:
    """The agent who took each customer's latest assignment, and when."""
    if not customer_ids:
        return {}
    latest = (
        select(Assignment.customer_id, func.max(Assignment.assigned_at).label("at"))
        .where(Assignment.customer_id.in_(list(customer_ids)))
        .group_by(Assignment.customer_id)
        .subquery()
    )
    rows = session.execute(
        select(Assignment.customer_id, Assignment.agent_id, Assignment.assigned_at).join(
            latest, (latest.c.customer_id == Assignment.customer_id) & (latest.c.at == Assignment.assigned_at)
        )
    )
    return {customer_id: (agent_id, at) for customer_id, agent_id, at in rows}


def customer_facts(session: Session, customer_ids: Collection[str]) -> dict[str, tuple[str | None, set[str], int]]:
    """(country, sellers, lifetime orders) of each customer: what customer groups' rules look at."""
    return lifetime.customer_facts(session, customer_ids)


def groups_of_brand(session: Session, brand_id: str) -> Sequence[CustomerGroup]:
    return session.scalars(
        select(CustomerGroup)
        .where(CustomerGroup.brand_id == brand_id)
        .order_by(CustomerGroup.position, CustomerGroup.id)
    ).all()


def listed_members(session: Session, group_ids: Collection[str], customer_ids: Collection[str]) -> set[tuple[str, str]]:
    if not group_ids or not customer_ids:
        return set()
    return set(
        session.execute(
            select(CustomerGroupMember.group_id, CustomerGroupMember.customer_id).where(
                CustomerGroupMember.group_id.in_(list(group_ids)),
                CustomerGroupMember.customer_id.in_(list(customer_ids)),
            )
        )
    )


def readable_groups(actor: Actor) -> Select[CustomerGroup]:
    statement = select(CustomerGroup)
    if actor.brand_ids is not None:
        statement = statement.where(CustomerGroup.brand_id.in_(actor.brand_ids))
    return statement
