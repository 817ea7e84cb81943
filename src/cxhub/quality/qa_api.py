"""QA API: scorecards, evaluations and disputes, evaluation samples and queues, calibration sessions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Response

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.conversations.models import Conversation
from cxhub.deps import ApiActor, Cursor, Limit, SessionDep, require
from cxhub.errors import Conflict
from cxhub.kit.pagination import Page, paginate
from cxhub.quality import evaluations, queues, repository, scorecards, sessions
from cxhub.quality.models import CalibrationSession, Evaluation, Scorecard
from cxhub.quality.schemas import (
    CalibrationReportRead,
    CalibrationSessionCreate,
    CalibrationSessionRead,
    DisputeCreate,
    DisputeSettlement,
    EvaluationRead,
    EvaluationSave,
    MyCalibrationRead,
    QueueItemRead,
    SampleCreate,
    SampleRead,
    ScorecardCreate,
    ScorecardRead,
    ScorecardUpdate,
)
from cxhub.routing.service import agent_of_user
from cxhub.web import error_responses

router = APIRouter(tags=["qa"])
P = Permission
CanManage = Annotated[Actor, Depends(require(P.QA_MANAGE))]
CanEvaluate = Annotated[Actor, Depends(require(P.QA_EVALUATE))]
CanDispute = Annotated[Actor, Depends(require(P.QA_DISPUTE))]
LIST = error_responses(403)
ITEM = error_responses(403, 404)
WRITE = error_responses(403, 404, 409)
Status = Literal["draft", "submitted", "disputed", "upheld", "revised"]


def _scorecard(session: SessionDep, actor: ApiActor, scorecard_id: str) -> Scorecard:
    return scorecards.get_scorecard(session, actor=actor, scorecard_id=scorecard_id)


def _evaluation(session: SessionDep, actor: ApiActor, evaluation_id: str) -> Evaluation:
    return evaluations.get_evaluation(session, actor=actor, evaluation_id=evaluation_id)


def _conversation(session: SessionDep, actor: ApiActor, conversation_id: str) -> Conversation:
    return evaluations.get_evaluable_conversation(session, actor=actor, conversation_id=conversation_id)


def _session_in_scope(session: SessionDep, actor: ApiActor, session_id: str) -> CalibrationSession:
    return sessions.get_session_in_scope(session, actor=actor, session_id=session_id)


ScorecardInScope = Annotated[Scorecard, Depends(_scorecard)]
EvaluationInScope = Annotated[Evaluation, Depends(_evaluation)]
ConversationInScope = Annotated[Conversation, Depends(_conversation)]
SessionInScope = Annotated[CalibrationSession, Depends(_session_in_scope)]


# --- scorecards ---------------------------------------------------------------------------------------


@router.get("/scorecards", response_model=Page[ScorecardRead], responses=LIST)
def list_scorecards(
    session: SessionDep,
    actor: ApiActor,
    earlier_versions: Annotated[bool, Query(description="Also every earlier version.")] = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ScorecardRead]:
    """The brand's scorecards (what it measures is no secret: anyone signed in reads them)."""
    statement = repository.readable_scorecards(actor)
    if not earlier_versions:
        statement = statement.where(Scorecard.superseded_at.is_(None))
    rows, next_cursor = paginate(session, statement, Scorecard.id, cursor=cursor, limit=limit)
    return Page[ScorecardRead](items=scorecards.scorecard_reads(session, rows), next_cursor=next_cursor)


@router.post("/scorecards", status_code=201, response_model=ScorecardRead, responses=WRITE)
def create_scorecard(session: SessionDep, actor: CanManage, scorecard_create: ScorecardCreate) -> ScorecardRead:
    """Write a scorecard: sections of weighted criteria, each yes/no or on points, classed by COPC error."""
    scorecard = scorecards.create_scorecard(session, scorecard_create=scorecard_create, actor=actor)
    return scorecards.scorecard_reads(session, [scorecard])[0]


@router.get("/scorecards/{scorecard_id}", response_model=ScorecardRead, responses=ITEM)
def read_scorecard(session: SessionDep, scorecard: ScorecardInScope) -> ScorecardRead:
    """One scorecard version with its sections and criteria."""
    return scorecards.scorecard_reads(session, [scorecard])[0]


@router.put("/scorecards/{scorecard_id}", response_model=ScorecardRead, responses=WRITE)
def update_scorecard(
    session: SessionDep, scorecard: ScorecardInScope, actor: CanManage, scorecard_update: ScorecardUpdate
) -> ScorecardRead:
    """Replace the current version; when evaluations use it, this makes the next version (answered here)."""
    current = scorecards.update_scorecard(session, scorecard=scorecard, scorecard_update=scorecard_update, actor=actor)
    return scorecards.scorecard_reads(session, [current])[0]


# --- evaluations --------------------------------------------------------------------------------------


@router.get("/evaluations", response_model=Page[EvaluationRead], responses=LIST)
def list_evaluations(
    session: SessionDep,
    actor: CanEvaluate,
    status: Status | None = None,
    conversation_id: Annotated[str | None, Query(max_length=26)] = None,
    agent_id: Annotated[str | None, Query(max_length=26)] = None,
    organisation_id: Annotated[str | None, Query(max_length=26)] = None,
    mine: Annotated[bool, Query(description="Only those one made oneself.")] = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[EvaluationRead]:
    """Evaluations in scope, newest first (a partner: those of its organisation; calibration: one's own only)."""
    statement = repository.readable_evaluations(actor)
    for column, value in (
        (Evaluation.status, status),
        (Evaluation.conversation_id, conversation_id),
        (Evaluation.agent_id, agent_id),
        (Evaluation.organisation_id, organisation_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if mine:
        statement = statement.where(Evaluation.evaluator_user_id == actor.user_id)
    rows, next_cursor = paginate(session, statement, Evaluation.id, cursor=cursor, limit=limit, newest_first=True)
    return Page[EvaluationRead](items=evaluations.evaluation_reads(session, rows), next_cursor=next_cursor)


@router.put(
    "/conversations/{conversation_id}/evaluation",
    response_model=EvaluationRead,
    responses=error_responses(403, 404, 409),
)
def save_evaluation(
    session: SessionDep, conversation: ConversationInScope, actor: CanEvaluate, evaluation_save: EvaluationSave
) -> EvaluationRead:
    """Save one's draft evaluation of the conversation (the answers replace the earlier ones); `submit` submits it.

    With `calibration_session_id`, the evaluation is one's blind score for that session and counts nowhere else.
    The same submission again is a no-op.
    """
    evaluation = evaluations.save_evaluation(
        session, conversation=conversation, evaluation_save=evaluation_save, actor=actor
    )
    return evaluations.evaluation_reads(session, [evaluation])[0]


@router.get("/evaluations/{evaluation_id}", response_model=EvaluationRead, responses=ITEM)
def read_evaluation(session: SessionDep, evaluation: EvaluationInScope, actor: CanEvaluate) -> EvaluationRead:
    """One evaluation with its answers and history."""
    return evaluations.evaluation_reads(session, [evaluation])[0]


@router.post("/evaluations/{evaluation_id}/settlement", response_model=EvaluationRead, responses=WRITE)
def settle_dispute(
    session: SessionDep, evaluation: EvaluationInScope, actor: CanEvaluate, settlement: DisputeSettlement
) -> EvaluationRead:
    """Settle a dispute: uphold the evaluation, or revise its answers; the history keeps both."""
    evaluations.settle_dispute(session, evaluation=evaluation, settlement=settlement, actor=actor)
    return evaluations.evaluation_reads(session, [evaluation])[0]


@router.get("/me/evaluations", response_model=Page[EvaluationRead], responses=error_responses(403, 409))
def list_my_evaluations(
    session: SessionDep, actor: CanDispute, limit: Limit = 50, cursor: Cursor = None
) -> Page[EvaluationRead]:
    """The submitted evaluations of one's own work, newest first (409 for a user without an agent profile)."""
    agent = agent_of_user(session, actor=actor)
    rows, next_cursor = paginate(
        session, repository.own_evaluations(agent.id), Evaluation.id, cursor=cursor, limit=limit, newest_first=True
    )
    return Page[EvaluationRead](items=evaluations.evaluation_reads(session, rows), next_cursor=next_cursor)


@router.get(
    "/me/evaluations/{evaluation_id}",
    response_model=EvaluationRead,
    responses=error_responses(403, 404, 409),
)
def read_my_evaluation(session: SessionDep, actor: CanDispute, evaluation_id: str) -> EvaluationRead:
    """One evaluation of one's own work."""
    evaluation = evaluations.get_own_evaluation(session, actor=actor, evaluation_id=evaluation_id)
    return evaluations.evaluation_reads(session, [evaluation])[0]


@router.post(
    "/me/evaluations/{evaluation_id}/dispute",
    response_model=EvaluationRead,
    responses=error_responses(403, 404, 409),
)
def dispute_evaluation(
    session: SessionDep, actor: CanDispute, evaluation_id: str, dispute_create: DisputeCreate
) -> EvaluationRead:
    """Dispute an evaluation of one's own work, with the reason; an evaluator or team lead settles it."""
    evaluation = evaluations.get_own_evaluation(session, actor=actor, evaluation_id=evaluation_id)
    evaluations.dispute_evaluation(session, evaluation=evaluation, dispute_create=dispute_create, actor=actor)
    return evaluations.evaluation_reads(session, [evaluation])[0]


# --- samples and queues -------------------------------------------------------------------------------


@router.post(
    "/evaluation-samples",
    status_code=201,
    response_model=SampleRead,
    responses={200: {"description": "The same Idempotency-Key again", "model": SampleRead}, **WRITE},
)
def create_sample(
    session: SessionDep,
    actor: CanEvaluate,
    sample_create: SampleCreate,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> SampleRead:
    """Draw a sample of a period's conversations into a QA analyst's queue: stratified random or targeted."""
    drawn = queues.create_sample(session, sample_create=sample_create, actor=actor, idempotency_key=idempotency_key)
    if drawn.replayed:
        response.status_code = 200
    return queues.sample_read(drawn.sample, drawn.conversation_ids)


@router.get("/evaluation-queue", response_model=Page[QueueItemRead], responses=LIST)
def evaluation_queue(
    session: SessionDep,
    actor: CanEvaluate,
    pending: Annotated[bool, Query(description="Only conversations not yet submitted.")] = True,
) -> Page[QueueItemRead]:
    """One's own queue of conversations to evaluate, in the order drawn."""
    return Page[QueueItemRead](items=queues.queue_reads(session, actor=actor, pending_only=pending), next_cursor=None)


# --- calibration sessions -----------------------------------------------------------------------------


@router.post(
    "/calibration-sessions",
    status_code=201,
    response_model=CalibrationSessionRead,
    responses={200: {"description": "The same Idempotency-Key again", "model": CalibrationSessionRead}, **WRITE},
)
def create_calibration_session(
    session: SessionDep,
    actor: CanManage,
    session_create: CalibrationSessionCreate,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CalibrationSessionRead:
    """Pick conversations and evaluators (at least two); each scores every conversation blind."""
    replayed = idempotency_key is not None and sessions.made_with(session, actor=actor, key=idempotency_key)
    calibration = sessions.create_session(
        session, session_create=session_create, actor=actor, idempotency_key=idempotency_key
    )
    if replayed:
        response.status_code = 200
    return sessions.session_reads(session, [calibration])[0]


@router.get("/calibration-sessions", response_model=Page[CalibrationSessionRead], responses=LIST)
def list_calibration_sessions(
    session: SessionDep, actor: CanManage, limit: Limit = 50, cursor: Cursor = None
) -> Page[CalibrationSessionRead]:
    """The brand's calibration sessions, newest first, with each evaluator's progress."""
    rows, next_cursor = paginate(
        session,
        repository.readable_sessions(actor),
        CalibrationSession.id,
        cursor=cursor,
        limit=limit,
        newest_first=True,
    )
    return Page[CalibrationSessionRead](items=sessions.session_reads(session, rows), next_cursor=next_cursor)


@router.get("/calibration-sessions/{session_id}", response_model=CalibrationSessionRead, responses=ITEM)
def read_calibration_session(
    session: SessionDep, calibration: SessionInScope, actor: CanManage
) -> CalibrationSessionRead:
    """One calibration session with each evaluator's progress."""
    return sessions.session_reads(session, [calibration])[0]


@router.get(
    "/calibration-sessions/{session_id}/report",
    response_model=CalibrationReportRead,
    responses=WRITE,
)
def calibration_report(session: SessionDep, calibration: SessionInScope, actor: CanManage) -> CalibrationReportRead:
    """Spread per conversation, deviation per evaluator, kappa on the critical items (409 before one's own scores)."""
    if not sessions.report_visible_to(session, calibration=calibration, actor=actor):
        raise Conflict("you score this session too: submit your own evaluations first")
    return sessions.session_report(session, calibration=calibration)


@router.get("/me/calibration-sessions", response_model=Page[CalibrationSessionRead], responses=LIST)
def list_my_calibration_sessions(
    session: SessionDep, actor: CanEvaluate, limit: Limit = 50, cursor: Cursor = None
) -> Page[CalibrationSessionRead]:
    """The calibration sessions one takes part in, newest first."""
    rows, next_cursor = paginate(
        session, repository.sessions_of(actor), CalibrationSession.id, cursor=cursor, limit=limit, newest_first=True
    )
    return Page[CalibrationSessionRead](items=sessions.session_reads(session, rows), next_cursor=next_cursor)


@router.get("/me/calibration-sessions/{session_id}", response_model=MyCalibrationRead, responses=ITEM)
def read_my_calibration_session(
    session: SessionDep, calibration: SessionInScope, actor: CanEvaluate
) -> MyCalibrationRead:
    """One's part in a session: one's own evaluations, and the report once they are all submitted."""
    calibration = sessions.get_my_session(session, actor=actor, session_id=calibration.id)
    return sessions.my_session_read(session, calibration=calibration, actor=actor)
