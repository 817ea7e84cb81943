"""Customer-driven coaching: the feedback feed of an agent and their coach, closing the loop, and the counts
per agent that reports set beside FCR, CSAT and retention. Services flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.auth.service import reveal_personal_field
from cxhub.conversations.models import Conversation
from cxhub.customers.models import Customer
from cxhub.errors import NotFound
from cxhub.kit.pagination import paginate
from cxhub.kit.time import utcnow
from cxhub.quality.models import CoachingFeedback, SurveyAnswer
from cxhub.quality.repository import readable_feedback
from cxhub.workforce.models import Agent


@dataclass(frozen=True)
class FeedbackItem:
    """One piece of feedback as its reader may see it."""

    feedback: CoachingFeedback
    agent_name: str
    customer_name: str | None
    scores: dict[str, int]
    acknowledged_by: str | None


def feedback_page(
    session: Session,
    *,
    actor: Actor,
    cursor: str | None,
    limit: int,
    agent_id: str | None = None,
    acknowledged: bool | None = None,
) -> tuple[list[FeedbackItem], str | None]:
    """The feedback the actor may read, newest first."""
    statement = readable_feedback(actor)
    if agent_id is not None:
        statement = statement.where(CoachingFeedback.agent_id == agent_id)
    if acknowledged is not None:
        statement = statement.where(
            CoachingFeedback.acknowledged_at.is_not(None)
            if acknowledged
            else CoachingFeedback.acknowledged_at.is_(None)
        )
    rows, next_cursor = paginate(session, statement, CoachingFeedback.id, cursor=cursor, limit=limit, newest_first=True)
    return present(session, actor=actor, rows=rows), next_cursor


def present(session: Session, *, actor: Actor, rows: Sequence[CoachingFeedback]) -> list[FeedbackItem]:
    """Names and scores beside each item; the customer's name only as the actor's data policy shows it."""
    if not rows:
        return []
    agent_names = dict(
        session.execute(
            select(Agent.id, User.name)
            .join(User, User.id == Agent.user_id)
            .where(Agent.id.in_({r.agent_id for r in rows}))
        ).all()
    )
    user_ids = {r.acknowledged_by_user_id for r in rows if r.acknowledged_by_user_id}
    user_names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    )
    customers = {
        conversation_id: (customer_id, name)
        for conversation_id, customer_id, name in session.execute(
            select(Conversation.id, Customer.id, Customer.name)
            .join(Customer, Customer.id == Conversation.customer_id)
            .where(Conversation.id.in_({r.conversation_id for r in rows}))
        )
    }
    scores: dict[str, dict[str, int]] = {}
    for conversation_id, question, score in session.execute(
        select(SurveyAnswer.conversation_id, SurveyAnswer.question, SurveyAnswer.score).where(
            SurveyAnswer.conversation_id.in_({r.conversation_id for r in rows}),
            SurveyAnswer.source_ref.in_({f"survey:{r.invitation_id}" for r in rows}),
        )
    ):
        scores.setdefault(conversation_id, {})[question] = score
    items = []
    for row in rows:
        customer_id, name = customers.get(row.conversation_id, (None, None))
        shown = (
            reveal_personal_field(
                session, actor=actor, value=name, personal_field="name", subject_type="customer", subject_id=customer_id
            )
            if customer_id
            else None
        )
        items.append(
            FeedbackItem(
                feedback=row,
                agent_name=agent_names.get(row.agent_id, ""),
                customer_name=shown,
                scores=scores.get(row.conversation_id, {}),
                acknowledged_by=user_names.get(row.acknowledged_by_user_id or ""),
            )
        )
    return items


def readable_one(session: Session, *, actor: Actor, feedback_id: str) -> CoachingFeedback:
    feedback = session.scalar(readable_feedback(actor).where(CoachingFeedback.id == feedback_id))
    if feedback is None:
        raise NotFound("coaching feedback")
    return feedback


def acknowledge_feedback(session: Session, *, feedback_id: str, action: str | None, actor: Actor) -> FeedbackItem:
    """Seen, and (with a note) what was done about it; the same call again changes nothing."""
    feedback = readable_one(session, actor=actor, feedback_id=feedback_id)
    now = utcnow()
    if feedback.acknowledged_at is None:
        feedback.acknowledged_at = now
        feedback.acknowledged_by_user_id = actor.user_id
    note = (action or "").strip()
    if note and note != feedback.action_note:
        feedback.action_note = note
        feedback.action_at = now
    session.flush()
    return present(session, actor=actor, rows=[feedback])[0]


def coaching_counts(
    session: Session,
    *,
    agent_ids: Iterable[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> dict[str, tuple[int, int]]:
    """(received, acted on) per agent, for feedback left in [since, until); acted on = an action was recorded."""
    statement = select(CoachingFeedback.agent_id, func.count(), func.count(CoachingFeedback.action_at)).group_by(
        CoachingFeedback.agent_id
    )
    if agent_ids is not None:
        wanted = sorted(set(agent_ids))
        if not wanted:
            return {}
        statement = statement.where(CoachingFeedback.agent_id.in_(wanted))
    if since is not None:
        statement = statement.where(CoachingFeedback.created_at >= since)
    if until is not None:
        statement = statement.where(CoachingFeedback.created_at < until)
    return {agent_id: (int(received), int(acted)) for agent_id, received, acted in session.execute(statement)}
