"""Quality queries scoped by who may see them."""

from __future__ import annotations

from sqlalchemy import Select, select

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Role
from cxhub.quality.models import CoachingFeedback
from cxhub.workforce.models import Agent


def readable_feedback(actor: Actor) -> Select[CoachingFeedback]:
    """Customers' feedback reaches the person it is for and their coach.

    An agent sees their own; a team lead their own and their team's agents'; in-house directors, QA and
    admins every agent's of their brands. A partner's people never see another organisation's.
    """
    statement = select(CoachingFeedback)
    if actor.brand_ids is not None:
        statement = statement.where(CoachingFeedback.brand_id.in_(actor.brand_ids))
    if actor.is_partner:
        statement = statement.where(CoachingFeedback.organisation_id == actor.organisation_id)
    own_agent = select(Agent.id).where(Agent.user_id == actor.user_id)
    if actor.role == Role.AGENT:
        statement = statement.where(CoachingFeedback.agent_id.in_(own_agent))
    elif actor.role == Role.TEAM_LEAD:
        own_team = select(Agent.team_id).where(Agent.user_id == actor.user_id)
        statement = statement.where(CoachingFeedback.agent_id.in_(select(Agent.id).where(Agent.team_id.in_(own_team))))
    return statement
