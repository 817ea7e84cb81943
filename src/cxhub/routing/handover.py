"""People taking and handing on work: an agent's "get next", and a transfer to a queue, a team or an agent.

Both go through `dispatch.take`, so a conversation is never held twice, whoever gives it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from cxhub.conversations.models import Conversation
from cxhub.customers.models import Customer
from cxhub.errors import CxhubError
from cxhub.kit.hours import BusinessHours
from cxhub.kit.time import utcnow
from cxhub.routing import repository
from cxhub.routing.dispatch import (
    NO_ROOM,
    TAKEN,
    candidates,
    handled_by,
    locked,
    queue_for,
    queue_rules,
    site_hours,
    take,
    work_item,
)
from cxhub.routing.engine import Decision, OpeningHours
from cxhub.routing.models import Assignment, Queue, QueueTeam, WaitingItem
from cxhub.routing.pool import AgentPool
from cxhub.workforce.models import Agent, Team


def next_for_agent(
    session: Session, *, agent: Agent, now: dt.datetime | None = None, scan: int = 200
) -> Conversation | None:
    """The oldest most urgent waiting item of the agent's queues that the agent may take, now theirs.

    Eligibility is judged against every available agent, so that an overflow team pulls an item only
    once its stage is open; the agent's own site counts as open (who asks for work is at work).
    """
    now = now or utcnow()
    pool = AgentPool(candidates(session))
    me = next((c for c in pool.candidates() if c.agent_id == agent.id), None)
    if me is None:
        return None  # not available
    queue_ids = select(QueueTeam.queue_id).where(QueueTeam.team_id == agent.team_id)
    queues = session.scalars(select(Queue).where(Queue.id.in_(queue_ids))).all()
    rules = queue_rules(session, queues)
    hours: dict[str, OpeningHours] = {**site_hours(session), me.site_id: BusinessHours.always()}
    offset = 0
    while True:
        rows = session.scalars(
            locked(
                session,
                select(WaitingItem)
                .where(WaitingItem.queue_id.in_(list(rules)))
                .order_by(WaitingItem.priority, WaitingItem.waiting_since, WaitingItem.conversation_id)
                .offset(offset)
                .limit(scan),
            )
        ).all()
        if not rows:
            return None
        served = repository.last_served(session, {r.customer_id for r in rows})
        for row in rows:
            item = work_item(row, served)
            if not pool.eligible(agent.id, item, rules[row.queue_id], now=now, hours=hours):
                continue
            conversation = session.get(Conversation, row.conversation_id)
            if conversation is None:
                continue
            decision = Decision(item.id, agent.id, agent.team_id, agent.organisation_id, None, "pull")
            outcome = take(
                session, conversation=conversation, decision=decision, queue_id=row.queue_id, now=now, rule="pull"
            )
            if outcome == TAKEN:
                return conversation
            if outcome == NO_ROOM:
                return None  # the agent went away or filled up meanwhile
        offset += scan


def transfer(
    session: Session,
    *,
    conversation: Conversation,
    actor_user_id: str,
    queue_id: str | None = None,
    team_id: str | None = None,
    agent_id: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Hand a conversation on: to an agent (at once), to a team (it waits for the team as for an account
    team), or to a queue (routed afresh). The current assignment ends. Returns the new routing status."""
    now = now or utcnow()
    if sum(x is not None for x in (queue_id, team_id, agent_id)) != 1:
        raise CxhubError("name one of queue_id, team_id or agent_id", status=422, field="queue_id")
    queue = session.get(Queue, queue_id) if queue_id else None
    if queue_id and (queue is None or queue.brand_id != conversation.brand_id):
        raise CxhubError("no such queue for this brand", status=422, field="queue_id")
    team = session.get(Team, team_id) if team_id else None
    if team_id and team is None:
        raise CxhubError("no such team", status=422, field="team_id")
    agent = session.get(Agent, agent_id) if agent_id else None
    if agent_id and agent is None:
        raise CxhubError("no such agent", status=422, field="agent_id")
    session.execute(
        update(Assignment)
        .where(Assignment.conversation_id == conversation.id, Assignment.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.execute(delete(WaitingItem).where(WaitingItem.conversation_id == conversation.id))
    conversation.agent_id = None
    conversation.assigned_at = None
    session.flush()
    if agent is not None:
        decision = Decision(conversation.id, agent.id, agent.team_id, agent.organisation_id, None, "transfer")
        take(
            session,
            conversation=conversation,
            decision=decision,
            queue_id=conversation.queue_id,
            now=now,
            rule="transfer",
            by_user_id=actor_user_id,
            check_room=False,
        )
        return "assigned"
    if queue is None:  # to a team: in its current queue, or the queue that would take it now
        queues = session.scalars(select(Queue).where(Queue.brand_id == conversation.brand_id)).all()
        queue = session.get(Queue, conversation.queue_id) if conversation.queue_id else None
        queue = queue or queue_for(queues, touchpoint_id=conversation.touchpoint_id, channel=conversation.channel)
        if queue is None:
            raise CxhubError("no queue takes this conversation: transfer it to an agent", status=422, field="team_id")
    customer = session.get(Customer, conversation.customer_id)
    session.add(
        WaitingItem(
            conversation_id=conversation.id,
            brand_id=conversation.brand_id,
            queue_id=queue.id,
            channel=conversation.channel,
            priority=conversation.priority,
            waiting_since=now,
            customer_id=conversation.customer_id,
            language=conversation.language,
            customer_country=customer.country if customer else None,
            owner_team_id=team.id if team else None,
        )
    )
    conversation.queue_id = queue.id
    conversation.routing_status = "queued"
    if team is not None:
        conversation.team_id, conversation.organisation_id = team.id, team.organisation_id
        handled_by(session, conversation.id, team.organisation_id, now)
    conversation.updated_at = now
    session.flush()
    return "queued"
