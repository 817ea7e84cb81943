"""Evaluations: a draft against a scorecard version, its submission, the agent's dispute and its settlement.

A conversation has at most one evaluation that counts (calibration evaluations aside). Every evaluation is
attributed to the conversation's agent (else the last agent who handled it) and organisation as they stand
when it is saved. Each submission, dispute and settlement is kept in the evaluation's history with the
answers and score it left. Services flush, never commit; notices to the agent and the evaluator are jobs
in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.conversations.models import Conversation, Interaction
from cxhub.errors import Conflict, CxhubError, Forbidden, NotFound
from cxhub.jobs.service import enqueue
from cxhub.kit.time import utcnow
from cxhub.quality import repository
from cxhub.quality.models import (
    CalibrationConversation,
    CalibrationSession,
    Evaluation,
    EvaluationAnswer,
    EvaluationChange,
    Scorecard,
)
from cxhub.quality.schemas import (
    AnswerIn,
    AnswerRead,
    ChangeRead,
    DisputeCreate,
    DisputeSettlement,
    EvaluationRead,
    EvaluationSave,
)
from cxhub.quality.scorecards import active_scorecard, scoring_criteria
from cxhub.quality.scoring import AnswerProblem, Scored, check_answers, score
from cxhub.routing.service import agent_of_user
from cxhub.workforce.models import Agent

NOTIFY_JOB = "quality.notify"


def get_evaluation(session: Session, *, actor: Actor, evaluation_id: str) -> Evaluation:
    evaluation = session.scalar(repository.readable_evaluations(actor).where(Evaluation.id == evaluation_id))
    if evaluation is None:
        raise NotFound("evaluation")
    return evaluation


def get_own_evaluation(session: Session, *, actor: Actor, evaluation_id: str) -> Evaluation:
    """One of the actor's own submitted evaluations (as the agent evaluated)."""
    agent = agent_of_user(session, actor=actor)
    evaluation = session.scalar(repository.own_evaluations(agent.id).where(Evaluation.id == evaluation_id))
    if evaluation is None:
        raise NotFound("evaluation")
    return evaluation


def get_evaluable_conversation(session: Session, *, actor: Actor, conversation_id: str) -> Conversation:
    conversation = session.scalar(repository.evaluable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    return conversation


def agent_of(session: Session, conversation: Conversation) -> str | None:
    """The agent whose work is evaluated: the conversation's, else the last one who handled an interaction of it."""
    if conversation.agent_id is not None:
        return conversation.agent_id
    return session.scalar(
        select(Interaction.handled_by_agent_id)
        .where(Interaction.conversation_id == conversation.id, Interaction.handled_by_agent_id.is_not(None))
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(1)
    )


def _answer_map(answers: Sequence[AnswerIn]) -> dict[str, int | None]:
    return {a.criterion_id: None if a.not_applicable else a.points for a in answers}


def _checked(session: Session, scorecard_id: str, answers: Sequence[AnswerIn], *, complete: bool) -> Scored | None:
    """Refuse what the scorecard cannot take (422, naming the criterion); the score when complete."""
    criteria = scoring_criteria(repository.criteria_of(session, scorecard_id))
    given = _answer_map(answers)
    try:
        check_answers(criteria, given, complete=complete)
        return score(criteria, given) if complete else None
    except AnswerProblem as problem:
        where = f"answers.{problem.criterion_id}" if problem.criterion_id else "answers"
        raise CxhubError(str(problem), status=422, field=where) from problem


def _calibration_for(
    session: Session, *, actor: Actor, conversation: Conversation, session_id: str
) -> CalibrationSession:
    calibration = session.scalar(repository.sessions_of(actor).where(CalibrationSession.id == session_id))
    if calibration is None:
        raise CxhubError("you take no part in this calibration session", status=422, field="calibration_session_id")
    member = session.get(CalibrationConversation, (calibration.id, conversation.id))
    if member is None:
        raise CxhubError("this conversation is not in the calibration session", status=422, field="conversation_id")
    return calibration


def _snapshot(answers: Sequence[AnswerIn] | Sequence[EvaluationAnswer]) -> list[dict[str, Any]]:
    return sorted(
        (
            {"criterion_id": a.criterion_id, "points": a.points, "note": a.note}
            if isinstance(a, EvaluationAnswer)
            else {"criterion_id": a.criterion_id, "points": None if a.not_applicable else a.points, "note": a.note}
            for a in answers
        ),
        key=lambda a: str(a["criterion_id"]),
    )


def _same_submission(session: Session, evaluation: Evaluation, evaluation_save: EvaluationSave) -> bool:
    stored = repository.answers_of(session, [evaluation.id])[evaluation.id]
    return (
        evaluation_save.submit
        and evaluation.comment == evaluation_save.comment
        and _snapshot(stored) == _snapshot(evaluation_save.answers)
    )


def _replace_answers(session: Session, evaluation: Evaluation, answers: Sequence[AnswerIn]) -> None:
    for earlier in session.scalars(select(EvaluationAnswer).where(EvaluationAnswer.evaluation_id == evaluation.id)):
        session.delete(earlier)
    session.flush()
    session.add_all(
        EvaluationAnswer(
            evaluation_id=evaluation.id,
            criterion_id=a.criterion_id,
            points=None if a.not_applicable else a.points,
            note=a.note,
        )
        for a in answers
    )


def _apply(evaluation: Evaluation, scored: Scored) -> None:
    evaluation.score = scored.score
    evaluation.customer_error = scored.errors["customer"]
    evaluation.business_error = scored.errors["business"]
    evaluation.compliance_error = scored.errors["compliance"]


def _change(
    session: Session, evaluation: Evaluation, *, kind: str, actor: Actor, reason: str, answers: list[dict[str, Any]]
) -> None:
    session.add(
        EvaluationChange(
            evaluation_id=evaluation.id,
            kind=kind,
            user_id=actor.user_id,
            reason=reason,
            score=evaluation.score,
            answers=answers,
        )
    )


def save_evaluation(
    session: Session, *, conversation: Conversation, evaluation_save: EvaluationSave, actor: Actor
) -> Evaluation:
    """Create or update the actor's draft of the conversation (or their calibration evaluation of it);
    with `submit`, score and submit it. Everything is checked before anything is written."""
    calibration = None
    if evaluation_save.calibration_session_id is not None:
        calibration = _calibration_for(
            session, actor=actor, conversation=conversation, session_id=evaluation_save.calibration_session_id
        )
    evaluation = repository.evaluation_of(
        session,
        conversation_id=conversation.id,
        evaluator_user_id=actor.user_id,
        calibration_session_id=calibration.id if calibration else None,
    )
    if evaluation is not None:
        if evaluation.status != "draft":
            if _same_submission(session, evaluation, evaluation_save):
                return evaluation  # the same submission again: a retry
            raise Conflict("this evaluation is submitted; a dispute is the way to change it", field="conversation_id")
        scorecard_id = evaluation.scorecard_id
    elif calibration is not None:
        scorecard_id = calibration.scorecard_id
    else:
        counted = repository.ordinary_evaluation(session, conversation.id)
        if counted is not None:
            raise Conflict(
                "another evaluator has evaluated this conversation, or is evaluating it", field="conversation_id"
            )
        scorecard_id = active_scorecard(
            session, brand_id=conversation.brand_id, scorecard_id=evaluation_save.scorecard_id
        ).id
    if evaluation_save.scorecard_id is not None and evaluation_save.scorecard_id != scorecard_id:
        raise CxhubError(f"this evaluation uses scorecard {scorecard_id}", status=422, field="scorecard_id")
    scored = _checked(session, scorecard_id, evaluation_save.answers, complete=evaluation_save.submit)

    now = utcnow()
    if evaluation is None:
        evaluation = Evaluation(
            brand_id=conversation.brand_id,
            scorecard_id=scorecard_id,
            conversation_id=conversation.id,
            evaluator_user_id=actor.user_id,
            calibration_session_id=calibration.id if calibration else None,
            status="draft",
        )
        session.add(evaluation)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as exc:
            raise Conflict("someone evaluated this conversation meanwhile", field="conversation_id") from exc
    _replace_answers(session, evaluation, evaluation_save.answers)
    evaluation.comment = evaluation_save.comment
    evaluation.agent_id = agent_of(session, conversation)
    evaluation.organisation_id = conversation.organisation_id
    evaluation.updated_at = now
    if scored is not None:
        _apply(evaluation, scored)
        evaluation.status = "submitted"
        evaluation.submitted_at = now
        _change(
            session, evaluation, kind="submitted", actor=actor, reason="", answers=_snapshot(evaluation_save.answers)
        )
        if calibration is None:
            enqueue(session, name=NOTIFY_JOB, payload={"evaluation_id": evaluation.id, "event": "submitted"})
    session.flush()
    return evaluation


def _disputer(session: Session, evaluation: Evaluation) -> EvaluationChange | None:
    return session.scalar(
        select(EvaluationChange)
        .where(EvaluationChange.evaluation_id == evaluation.id, EvaluationChange.kind == "disputed")
        .order_by(EvaluationChange.at.desc(), EvaluationChange.id.desc())
        .limit(1)
    )


def dispute_evaluation(
    session: Session, *, evaluation: Evaluation, dispute_create: DisputeCreate, actor: Actor
) -> Evaluation:
    """The agent evaluated asks for another look, once, with a reason; the same dispute again is a no-op."""
    if evaluation.status == "disputed":
        earlier = _disputer(session, evaluation)
        if earlier is not None and earlier.user_id == actor.user_id and earlier.reason == dispute_create.reason:
            return evaluation
    if evaluation.status != "submitted":
        raise Conflict(f"this evaluation is {evaluation.status}: an evaluation is disputed once", field="status")
    evaluation.status = "disputed"
    evaluation.updated_at = utcnow()
    answers = repository.answers_of(session, [evaluation.id])[evaluation.id]
    _change(session, evaluation, kind="disputed", actor=actor, reason=dispute_create.reason, answers=_snapshot(answers))
    enqueue(session, name=NOTIFY_JOB, payload={"evaluation_id": evaluation.id, "event": "disputed"})
    session.flush()
    return evaluation


def settle_dispute(
    session: Session, *, evaluation: Evaluation, settlement: DisputeSettlement, actor: Actor
) -> Evaluation:
    """An evaluator or team lead, never the agent who disputed, upholds the evaluation or revises its answers;
    the same settlement again is a no-op."""
    if evaluation.status == settlement.outcome:
        last = repository.changes_of(session, [evaluation.id])[evaluation.id][-1:]
        if last and last[0].user_id == actor.user_id and last[0].reason == settlement.reason:
            return evaluation
    if evaluation.status != "disputed":
        raise Conflict(f"this evaluation is {evaluation.status}, not disputed", field="status")
    disputer = _disputer(session, evaluation)
    own_agent = session.scalar(select(Agent.id).where(Agent.user_id == actor.user_id))
    if (disputer is not None and disputer.user_id == actor.user_id) or (
        own_agent is not None and own_agent == evaluation.agent_id
    ):
        raise Forbidden("a dispute about your own work is settled by someone else")
    if settlement.outcome == "revised":
        assert settlement.answers is not None  # noqa: S101 - the schema requires them for a revision
        scored = _checked(session, evaluation.scorecard_id, settlement.answers, complete=True)
        assert scored is not None  # noqa: S101 - complete answers are scored
        _replace_answers(session, evaluation, settlement.answers)
        _apply(evaluation, scored)
        if settlement.comment is not None:
            evaluation.comment = settlement.comment
        snapshot = _snapshot(settlement.answers)
    else:
        snapshot = _snapshot(repository.answers_of(session, [evaluation.id])[evaluation.id])
    evaluation.status = settlement.outcome
    evaluation.updated_at = utcnow()
    _change(session, evaluation, kind=settlement.outcome, actor=actor, reason=settlement.reason, answers=snapshot)
    enqueue(session, name=NOTIFY_JOB, payload={"evaluation_id": evaluation.id, "event": settlement.outcome})
    session.flush()
    return evaluation


def evaluation_reads(session: Session, evaluations: Sequence[Evaluation]) -> list[EvaluationRead]:
    """Evaluations with their answers and history, in a fixed number of queries."""
    ids = [e.id for e in evaluations]
    answers = repository.answers_of(session, ids)
    changes = repository.changes_of(session, ids)
    user_ids = {e.evaluator_user_id for e in evaluations} | {
        c.user_id for rows in changes.values() for c in rows if c.user_id
    }
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    scorecard_ids = {e.scorecard_id for e in evaluations}
    versions = (
        dict(session.execute(select(Scorecard.id, Scorecard.version).where(Scorecard.id.in_(scorecard_ids))).all())
        if scorecard_ids
        else {}
    )
    return [
        EvaluationRead(
            id=e.id,
            brand_id=e.brand_id,
            conversation_id=e.conversation_id,
            scorecard_id=e.scorecard_id,
            scorecard_version=versions.get(e.scorecard_id, 1),
            agent_id=e.agent_id,
            organisation_id=e.organisation_id,
            evaluator_user_id=e.evaluator_user_id,
            evaluator_name=names.get(e.evaluator_user_id),
            calibration_session_id=e.calibration_session_id,
            status=e.status,
            score=e.score,
            customer_error=e.customer_error,
            business_error=e.business_error,
            compliance_error=e.compliance_error,
            comment=e.comment,
            answers=[
                AnswerRead(criterion_id=a.criterion_id, points=a.points, not_applicable=a.points is None, note=a.note)
                for a in answers[e.id]
            ],
            history=[
                ChangeRead(
                    kind=c.kind,
                    user_id=c.user_id,
                    user_name=names.get(c.user_id) if c.user_id else None,
                    reason=c.reason,
                    score=c.score,
                    at=c.at,
                )
                for c in changes[e.id]
            ],
            created_at=e.created_at,
            submitted_at=e.submitted_at,
            updated_at=e.updated_at,
        )
        for e in evaluations
    ]
