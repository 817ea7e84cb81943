"""Quality queries and the access rules behind them: scorecards, conversations to evaluate, evaluations, feedback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Role
from cxhub.conversations.models import Conversation, ConversationEvent, Interaction
from cxhub.conversations.repository import readable_conversations
from cxhub.quality.models import (
    CalibrationConversation,
    CalibrationEvaluator,
    CalibrationSession,
    CoachingFeedback,
    Evaluation,
    EvaluationAnswer,
    EvaluationChange,
    QueuedEvaluation,
    Scorecard,
    ScorecardCriterion,
    ScorecardSection,
    SurveyAnswer,
)
from cxhub.quality.sampling import Contact
from cxhub.workforce.models import Agent

NOT_CONTACTS = ("commerce",)  # order and return feeds: nobody handled them, nothing to evaluate


def readable_scorecards(actor: Actor) -> Select[Scorecard]:
    """Every version of the scorecards of the actor's brands: what the brand measures is no secret."""
    statement = select(Scorecard)
    if actor.brand_ids is not None:
        statement = statement.where(Scorecard.brand_id.in_(actor.brand_ids))
    return statement


def evaluable_conversations(actor: Actor) -> Select[Conversation]:
    """In-house: every readable conversation. Partner: those held by their own organisation, whose
    evaluations they would see (a conversation once handled and since passed on is not theirs to score)."""
    statement = readable_conversations(actor).where(Conversation.channel.not_in(NOT_CONTACTS))
    if actor.is_partner:
        statement = statement.where(Conversation.organisation_id == actor.organisation_id)
    return statement


def readable_evaluations(actor: Actor) -> Select[Evaluation]:
    """An evaluator's view. In-house: every evaluation of the actor's brands; partner: those attributed to their
    organisation. Calibration evaluations are blind: only one's own appear here, the others only in the report."""
    statement = select(Evaluation).where(
        or_(Evaluation.calibration_session_id.is_(None), Evaluation.evaluator_user_id == actor.user_id)
    )
    if actor.brand_ids is not None:
        statement = statement.where(Evaluation.brand_id.in_(actor.brand_ids))
    if actor.is_partner:
        statement = statement.where(Evaluation.organisation_id == actor.organisation_id)
    return statement


def own_evaluations(agent_id: str) -> Select[Evaluation]:
    """An agent's view: the submitted evaluations of their own work (not drafts, not calibration)."""
    return select(Evaluation).where(
        Evaluation.agent_id == agent_id,
        Evaluation.status != "draft",
        Evaluation.calibration_session_id.is_(None),
    )


def readable_sessions(actor: Actor) -> Select[CalibrationSession]:
    """A QA manager's view: the calibration sessions of the actor's brands."""
    statement = select(CalibrationSession)
    if actor.brand_ids is not None:
        statement = statement.where(CalibrationSession.brand_id.in_(actor.brand_ids))
    return statement


def sessions_of(actor: Actor) -> Select[CalibrationSession]:
    """A participant's view: the sessions the actor was asked to score."""
    return readable_sessions(actor).where(
        exists().where(
            CalibrationEvaluator.session_id == CalibrationSession.id,
            CalibrationEvaluator.user_id == actor.user_id,
        )
    )


# --- scorecards ---------------------------------------------------------------------------------------


def sections_and_criteria(
    session: Session, scorecard_ids: Collection[str]
) -> tuple[list[ScorecardSection], list[ScorecardCriterion]]:
    """The sections and criteria of the scorecard versions, each in scorecard order."""
    if not scorecard_ids:
        return [], []
    ids = list(scorecard_ids)
    sections = session.scalars(
        select(ScorecardSection).where(ScorecardSection.scorecard_id.in_(ids)).order_by(ScorecardSection.position)
    ).all()
    criteria = session.scalars(
        select(ScorecardCriterion).where(ScorecardCriterion.scorecard_id.in_(ids)).order_by(ScorecardCriterion.position)
    ).all()
    return list(sections), list(criteria)


def criteria_of(session: Session, scorecard_id: str) -> list[ScorecardCriterion]:
    return sections_and_criteria(session, [scorecard_id])[1]


def has_evaluations(session: Session, scorecard_id: str) -> bool:
    return session.scalar(select(Evaluation.id).where(Evaluation.scorecard_id == scorecard_id).limit(1)) is not None


def active_scorecards(session: Session, brand_id: str) -> list[Scorecard]:
    return list(
        session.scalars(
            select(Scorecard)
            .where(Scorecard.brand_id == brand_id, Scorecard.active.is_(True), Scorecard.superseded_at.is_(None))
            .order_by(Scorecard.name)
        )
    )


# --- evaluations --------------------------------------------------------------------------------------


def answers_of(session: Session, evaluation_ids: Collection[str]) -> dict[str, list[EvaluationAnswer]]:
    found: dict[str, list[EvaluationAnswer]] = {i: [] for i in evaluation_ids}
    if not evaluation_ids:
        return found
    for answer in session.scalars(
        select(EvaluationAnswer).where(EvaluationAnswer.evaluation_id.in_(list(evaluation_ids)))
    ):
        found[answer.evaluation_id].append(answer)
    return found


def changes_of(session: Session, evaluation_ids: Collection[str]) -> dict[str, list[EvaluationChange]]:
    found: dict[str, list[EvaluationChange]] = {i: [] for i in evaluation_ids}
    if not evaluation_ids:
        return found
    for change in session.scalars(
        select(EvaluationChange)
        .where(EvaluationChange.evaluation_id.in_(list(evaluation_ids)))
        .order_by(EvaluationChange.at, EvaluationChange.id)
    ):
        found[change.evaluation_id].append(change)
    return found


def evaluation_of(
    session: Session, *, conversation_id: str, evaluator_user_id: str, calibration_session_id: str | None
) -> Evaluation | None:
    """The evaluator's own evaluation of the conversation (ordinary, or for the calibration session)."""
    statement = select(Evaluation).where(
        Evaluation.conversation_id == conversation_id,
        Evaluation.evaluator_user_id == evaluator_user_id,
    )
    if calibration_session_id is None:
        statement = statement.where(Evaluation.calibration_session_id.is_(None))
    else:
        statement = statement.where(Evaluation.calibration_session_id == calibration_session_id)
    return session.scalar(statement)


def ordinary_evaluation(session: Session, conversation_id: str) -> Evaluation | None:
    """The conversation's one evaluation that counts (whoever made it)."""
    return session.scalar(
        select(Evaluation).where(
            Evaluation.conversation_id == conversation_id, Evaluation.calibration_session_id.is_(None)
        )
    )


def conversation_titles(session: Session, conversation_ids: set[str]) -> dict[str, str]:
    """A title per conversation: its subject, else the start of its first message, else its channel."""
    if not conversation_ids:
        return {}
    titles = dict(
        session.execute(
            select(Conversation.id, Conversation.subject).where(Conversation.id.in_(conversation_ids))
        ).all()
    )
    untitled = [cid for cid, subject in titles.items() if not subject]
    if untitled:
        rows = session.execute(
            select(Interaction.conversation_id, Interaction.text, Interaction.channel)
            .where(Interaction.conversation_id.in_(untitled))
            .order_by(Interaction.occurred_at)
        ).all()
        for conversation_id, text, channel in rows:
            if not titles.get(conversation_id):
                words = (text or "").split()
                titles[conversation_id] = " ".join(words[:10]) + (" ..." if len(words) > 10 else "") or channel
    return {cid: title or "Conversation" for cid, title in titles.items()}


# --- sampling frames and queues ----------------------------------------------------------------------


def sampling_frame(
    session: Session, *, actor: Actor, brand_id: str, start: dt.datetime, end: dt.datetime
) -> list[Contact]:
    """The conversations the actor may evaluate whose first inbound message fell in [start, end), and that
    are neither evaluated nor queued yet, with what strata and filters read."""
    c = Conversation
    lowest_csat = (
        select(func.min(SurveyAnswer.score))
        .where(SurveyAnswer.conversation_id == c.id, SurveyAnswer.question == "csat")
        .scalar_subquery()
    )
    handled = select(func.sum(Interaction.handle_seconds)).where(Interaction.conversation_id == c.id).scalar_subquery()
    reopened = exists().where(
        ConversationEvent.conversation_id == c.id,
        ConversationEvent.kind == "status",
        ConversationEvent.before.in_(("resolved", "closed")),
        ConversationEvent.after != "closed",
    )
    evaluated = exists().where(Evaluation.conversation_id == c.id, Evaluation.calibration_session_id.is_(None))
    queued = exists().where(QueuedEvaluation.conversation_id == c.id)
    statement = (
        evaluable_conversations(actor)
        .with_only_columns(
            c.id,
            c.organisation_id,
            c.touchpoint_id,
            c.agent_id,
            c.channel,
            lowest_csat.label("lowest_csat"),
            handled.label("handle_seconds"),
            reopened.label("reopened"),
        )
        .where(c.brand_id == brand_id, c.first_inbound_at >= start, c.first_inbound_at < end, ~evaluated, ~queued)
    )
    return [
        Contact(
            conversation_id=row.id,
            organisation_id=row.organisation_id,
            touchpoint_id=row.touchpoint_id,
            agent_id=row.agent_id,
            channel=row.channel,
            lowest_csat=row.lowest_csat,
            handle_seconds=row.handle_seconds,
            reopened=bool(row.reopened),
        )
        for row in session.execute(statement)
    ]


def queue_of(session: Session, *, analyst_user_id: str) -> list[tuple[QueuedEvaluation, Evaluation | None]]:
    """The analyst's queue in order, each item with the conversation's evaluation when there is one."""
    rows = session.execute(
        select(QueuedEvaluation, Evaluation)
        .outerjoin(
            Evaluation,
            (Evaluation.conversation_id == QueuedEvaluation.conversation_id)
            & Evaluation.calibration_session_id.is_(None),
        )
        .where(QueuedEvaluation.analyst_user_id == analyst_user_id)
        .order_by(QueuedEvaluation.sample_id, QueuedEvaluation.position)
    ).all()
    return [(row[0], row[1]) for row in rows]


# --- calibration --------------------------------------------------------------------------------------


def session_members(session: Session, session_id: str) -> tuple[list[str], list[str]]:
    """(conversation ids in order, evaluator user ids) of a calibration session."""
    conversations = session.scalars(
        select(CalibrationConversation.conversation_id)
        .where(CalibrationConversation.session_id == session_id)
        .order_by(CalibrationConversation.position)
    ).all()
    evaluators = session.scalars(
        select(CalibrationEvaluator.user_id)
        .where(CalibrationEvaluator.session_id == session_id)
        .order_by(CalibrationEvaluator.user_id)
    ).all()
    return list(conversations), list(evaluators)


def session_evaluations(session: Session, session_ids: Sequence[str]) -> list[Evaluation]:
    if not session_ids:
        return []
    return list(
        session.scalars(
            select(Evaluation).where(Evaluation.calibration_session_id.in_(list(session_ids))).order_by(Evaluation.id)
        )
    )


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
