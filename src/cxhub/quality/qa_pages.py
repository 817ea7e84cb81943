"""QA pages: the analyst's queue and samples, evaluating beside the conversation, disputes, an agent's own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from cxhub.conversations.models import Conversation
from cxhub.conversations.quoting import visible_text
from cxhub.conversations.repository import attachments_of, interactions_page
from cxhub.customers.models import Customer
from cxhub.customers.service import customer_read
from cxhub.deps import PageActor, SessionDep, csrf_protect, require
from cxhub.errors import CxhubError, NotFound
from cxhub.journeys.models import Touchpoint
from cxhub.quality import calibration_pages, evaluations, queues, repository, scorecard_pages, scorecards
from cxhub.quality.models import CalibrationSession, Evaluation, Scorecard
from cxhub.quality.schemas import (
    AnswerIn,
    DisputeCreate,
    DisputeSettlement,
    EvaluationSave,
    SampleCreate,
    ScorecardRead,
)
from cxhub.routing.service import agent_of_user
from cxhub.web import render
from cxhub.workforce.models import Agent, Organisation

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
router.include_router(scorecard_pages.router)
router.include_router(calibration_pages.router)
P = Permission
CanEvaluate = Annotated[Actor, Depends(require(P.QA_EVALUATE, pages=True))]
CanDispute = Annotated[Actor, Depends(require(P.QA_DISPUTE, pages=True))]
STATUSES = ("draft", "submitted", "disputed", "upheld", "revised")
CHANNELS = ("email", "chat", "voice", "voicemail", "sms", "social", "review", "web_form", "api")
THREAD_LIMIT = 100
LIST_LIMIT = 100


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: str(value).strip() for name, value in form.items()}


Form = Annotated[dict[str, str], Depends(_form)]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _failure(exc: ValidationError | CxhubError) -> tuple[int, str]:
    if isinstance(exc, CxhubError):
        return exc.status, exc.message
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return 422, f"{where}: {message}" if where else message


def _names(session: Session, model: Any, ids: set[str | None]) -> dict[str, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all())


def _agent_names(session: Session, agent_ids: set[str | None]) -> dict[str, str]:
    wanted = {i for i in agent_ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(Agent.id, User.name).join(User, User.id == Agent.user_id).where(Agent.id.in_(wanted)))
    return dict(rows.all())


def _listing(session: Session, rows: list[Evaluation]) -> dict[str, Any]:
    """What a list of evaluations shows beside each: conversation, agent, organisation, evaluator."""
    return {
        "evaluations": rows,
        "titles": repository.conversation_titles(session, {e.conversation_id for e in rows}),
        "agents": _agent_names(session, {e.agent_id for e in rows}),
        "organisations": _names(session, Organisation, {e.organisation_id for e in rows}),
        "evaluators": _names(session, User, {e.evaluator_user_id for e in rows}),
    }


# --- the analyst's start page: queue, samples, calibration ------------------------------------------


def _home(request: Request, session: Session, actor: Actor, *, status: int = 200, **extra: Any) -> Response:
    queue = queues.queue_reads(session, actor=actor, pending_only=True)
    brand_ids = actor.brand_ids
    touchpoints = select(Touchpoint).order_by(Touchpoint.name)
    if brand_ids is not None:
        touchpoints = touchpoints.where(Touchpoint.brand_id.in_(brand_ids))
    organisations = select(Organisation).order_by(Organisation.name)
    if actor.is_partner:
        organisations = organisations.where(Organisation.id == actor.organisation_id)
    analysts: list[User] = []
    if actor.can(P.QA_MANAGE):
        analysts = [
            u
            for u in session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name))
            if P.QA_EVALUATE in ROLE_PERMISSIONS[Role(u.role)]
        ]
    mine = session.scalars(repository.sessions_of(actor).order_by(CalibrationSession.id.desc()).limit(20)).all()
    return render(
        request,
        "quality/home.html",
        status_code=status,
        queue=queue,
        titles=repository.conversation_titles(session, {i.conversation_id for i in queue}),
        touchpoints=session.scalars(touchpoints).all(),
        organisations=session.scalars(organisations).all(),
        analysts=analysts,
        channels=CHANNELS,
        calibrations=mine,
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/qa")
def qa_home(request: Request, session: SessionDep, actor: CanEvaluate) -> Response:
    """The QA analyst's start: the queue to evaluate, a form to draw a sample, calibration sessions."""
    return _home(request, session, actor)


def _sample_create(form: dict[str, str]) -> SampleCreate:
    method = form.get("method") or "random"
    filters: dict[str, Any] = {}
    if method == "targeted":
        for name in ("organisation_id", "touchpoint_id", "channel", "csat_at_most"):
            if form.get(name):
                filters[name] = form[name]
        if form.get("handle_minutes_at_least"):
            try:
                filters["handle_seconds_at_least"] = float(form["handle_minutes_at_least"]) * 60
            except ValueError as exc:
                raise CxhubError("minutes must be a number", status=422, field="handle_minutes_at_least") from exc
        if form.get("reopened"):
            filters["reopened"] = True
    return SampleCreate.model_validate(
        {
            "first_day": form.get("first_day"),
            "last_day": form.get("last_day"),
            "method": method,
            "allocation": form.get("allocation") or "proportional",
            "size": form.get("size"),
            "seed": form.get("seed") or None,
            "analyst_user_id": form.get("analyst_user_id") or None,
            "filters": filters if method == "targeted" else None,
        }
    )


@router.post("/qa/samples")
def draw_sample(request: Request, session: SessionDep, actor: CanEvaluate, form: Form) -> Response:
    try:
        with session.begin_nested():
            drawn = queues.create_sample(session, sample_create=_sample_create(form), actor=actor)
    except (ValidationError, CxhubError) as exc:
        status, message = _failure(exc)
        return _home(request, session, actor, status=status, error=f"No sample was drawn: {message}", form=form)
    count = len(drawn.conversation_ids)
    message = f"{count} of {drawn.sample.frame_size} conversations queued (seed {drawn.sample.seed})."
    return _home(request, session, actor, message=message)


# --- evaluations --------------------------------------------------------------------------------------


@router.get("/qa/evaluations")
def evaluations_page(
    request: Request,
    session: SessionDep,
    actor: CanEvaluate,
    status: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """Evaluations in scope, newest first; a partner's evaluators see their organisation's."""
    statement = repository.readable_evaluations(actor).where(Evaluation.calibration_session_id.is_(None))
    if status:
        statement = statement.where(Evaluation.status == status)
    rows = list(session.scalars(statement.order_by(Evaluation.id.desc()).limit(LIST_LIMIT)))
    response = render(request, "quality/evaluations.html", status=status, statuses=STATUSES, **_listing(session, rows))
    response.headers["Vary"] = "HX-Request"
    return response


def _thread(session: Session, actor: Actor, conversation: Conversation) -> dict[str, Any]:
    """The conversation as the evaluator reads it: its messages, oldest first, and its customer as they may see."""
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None  # noqa: S101 - a foreign key
    interactions, older = interactions_page(session, conversation_id=conversation.id, cursor=None, limit=THREAD_LIMIT)
    agents = _agent_names(session, {i.handled_by_agent_id for i in interactions} | {conversation.agent_id})
    return {
        "conversation": conversation,
        "title": repository.conversation_titles(session, {conversation.id}).get(conversation.id, "Conversation"),
        "customer": customer_read(session, customer=customer, actor=actor),
        "interactions": list(reversed(interactions)),
        "older": older is not None,
        "visible_text": visible_text,
        "files": attachments_of(session, [i.id for i in interactions]),
        "agents": agents,
        "authors": _names(session, User, {i.author_user_id for i in interactions}),
        "organisation_name": _names(session, Organisation, {conversation.organisation_id}).get(
            conversation.organisation_id or ""
        ),
        "agent_name": agents.get(evaluations.agent_of(session, conversation) or ""),
    }


def _scorecard_view(session: Session, scorecard_id: str) -> ScorecardRead:
    scorecard = session.get(Scorecard, scorecard_id)
    assert scorecard is not None  # noqa: S101 - a foreign key
    return scorecards.scorecard_reads(session, [scorecard])[0]


def _values(answers: Any) -> dict[str, str]:
    """Form values of stored answers: points, or "na"."""
    return {a.criterion_id: "na" if a.points is None else str(a.points) for a in answers}


def _conversation_in_scope(session: SessionDep, actor: PageActor, conversation_id: str) -> Conversation:
    return evaluations.get_evaluable_conversation(session, actor=actor, conversation_id=conversation_id)


ConversationInScope = Annotated[Conversation, Depends(_conversation_in_scope)]


def _evaluate_page(
    request: Request,
    session: Session,
    actor: Actor,
    conversation: Conversation,
    *,
    calibration_id: str | None,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    calibration = None
    if calibration_id:
        calibration = session.scalar(repository.sessions_of(actor).where(CalibrationSession.id == calibration_id))
        if calibration is None:
            raise NotFound("calibration session")
    evaluation = repository.evaluation_of(
        session,
        conversation_id=conversation.id,
        evaluator_user_id=actor.user_id,
        calibration_session_id=calibration_id or None,
    )
    if evaluation is not None and evaluation.status != "draft" and calibration is None and form is None:
        return RedirectResponse(f"/qa/evaluations/{evaluation.id}", status_code=303)
    counted = None if calibration else repository.ordinary_evaluation(session, conversation.id)
    if evaluation is not None:
        scorecard_id = evaluation.scorecard_id
    elif calibration is not None:
        scorecard_id = calibration.scorecard_id
    else:
        active = repository.active_scorecards(session, conversation.brand_id)
        chosen = (form or {}).get("scorecard_id") or request.query_params.get("scorecard") or ""
        scorecard_id = next((s.id for s in active if s.id == chosen), active[0].id if active else "")
    stored = repository.answers_of(session, [evaluation.id])[evaluation.id] if evaluation else []
    values = _values(stored)
    notes = {a.criterion_id: a.note for a in stored}
    if form is not None:
        values = {k[2:]: v for k, v in form.items() if k.startswith("c-") and v}
        notes = {k[5:]: v for k, v in form.items() if k.startswith("note-")}
    return render(
        request,
        "quality/evaluate.html",
        status_code=status,
        **_thread(session, actor, conversation),
        evaluation=evaluation,
        calibration=calibration,
        taken=counted is not None and counted.evaluator_user_id != actor.user_id,
        scorecard=_scorecard_view(session, scorecard_id) if scorecard_id else None,
        scorecards=[] if evaluation or calibration else repository.active_scorecards(session, conversation.brand_id),
        values=values,
        notes=notes,
        comment=(form or {}).get("comment", evaluation.comment if evaluation else ""),
        read_only=evaluation is not None and evaluation.status != "draft",
        error=error,
    )


@router.get("/qa/conversations/{conversation_id}")
def evaluate_page(
    request: Request,
    session: SessionDep,
    conversation: ConversationInScope,
    actor: CanEvaluate,
    calibration: Annotated[str, Query(alias="session", max_length=26)] = "",
) -> Response:
    """The scorecard beside the conversation's messages (read-only); one's draft is filled in."""
    return _evaluate_page(request, session, actor, conversation, calibration_id=calibration or None)


def answers_from(form: dict[str, str]) -> list[AnswerIn]:
    """The form's answers: `c-<criterion id>` is points or "na", `note-<criterion id>` the note."""
    answers = []
    for name, value in form.items():
        if not name.startswith("c-") or not value:
            continue
        criterion_id = name[2:]
        note = form.get(f"note-{criterion_id}", "")
        if value == "na":
            answers.append(AnswerIn(criterion_id=criterion_id, not_applicable=True, note=note))
        elif value.isdigit():
            answers.append(AnswerIn(criterion_id=criterion_id, points=int(value), note=note))
        else:
            raise CxhubError(f"points are a whole number, not {value!r}", status=422, field=f"answers.{criterion_id}")
    return answers


def _status_fragment(request: Request, **context: Any) -> Response:
    response = render(request, "quality/_evaluation_status.html", **context)
    response.headers.update({"HX-Retarget": "#evaluation-status", "HX-Reswap": "innerHTML"})
    return response


@router.post("/qa/conversations/{conversation_id}")
def save_evaluation(
    request: Request, session: SessionDep, conversation: ConversationInScope, actor: CanEvaluate, form: Form
) -> Response:
    """Save the draft (to htmx, the status line) or, with action=submit, submit it and show the evaluation."""
    submit = form.get("action") == "submit"
    calibration_id = form.get("calibration_session_id") or None
    try:
        evaluation_save = EvaluationSave(
            scorecard_id=form.get("scorecard_id") or None,
            calibration_session_id=calibration_id,
            answers=answers_from(form),
            comment=form.get("comment", ""),
            submit=submit,
        )
        with session.begin_nested():
            evaluation = evaluations.save_evaluation(
                session, conversation=conversation, evaluation_save=evaluation_save, actor=actor
            )
    except (ValidationError, CxhubError) as exc:
        status, message = _failure(exc)
        if _is_htmx(request):
            return _status_fragment(request, error=message)
        return _evaluate_page(
            request,
            session,
            actor,
            conversation,
            calibration_id=calibration_id,
            status=status,
            error=f"Not {'submitted' if submit else 'saved'}: {message}",
            form=form,
        )
    if submit:
        target = f"/qa/calibration/{calibration_id}/mine" if calibration_id else f"/qa/evaluations/{evaluation.id}"
        if _is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    total = len(repository.criteria_of(session, evaluation.scorecard_id))
    answered = len(repository.answers_of(session, [evaluation.id])[evaluation.id])
    if _is_htmx(request):
        return _status_fragment(request, evaluation=evaluation, answered=answered, total=total)
    suffix = f"?session={calibration_id}" if calibration_id else ""
    return RedirectResponse(f"/qa/conversations/{conversation.id}{suffix}", status_code=303)


def _evaluation_in_scope(session: SessionDep, actor: PageActor, evaluation_id: str) -> Evaluation:
    return evaluations.get_evaluation(session, actor=actor, evaluation_id=evaluation_id)


EvaluationInScope = Annotated[Evaluation, Depends(_evaluation_in_scope)]


def _evaluation_page(
    request: Request,
    session: Session,
    actor: Actor,
    evaluation: Evaluation,
    *,
    template: str,
    status: int = 200,
    error: str | None = None,
    **extra: Any,
) -> Response:
    conversation = session.get(Conversation, evaluation.conversation_id)
    assert conversation is not None  # noqa: S101 - a foreign key
    [read] = evaluations.evaluation_reads(session, [evaluation])
    own_agent = session.scalar(select(Agent.id).where(Agent.user_id == actor.user_id))
    return render(
        request,
        template,
        status_code=status,
        **_thread(session, actor, conversation),
        evaluation=read,
        scorecard=_scorecard_view(session, evaluation.scorecard_id),
        values=_values(read.answers),
        notes={a.criterion_id: a.note for a in read.answers},
        can_settle=evaluation.status == "disputed" and actor.can(P.QA_EVALUATE) and own_agent != evaluation.agent_id,
        error=error,
        **extra,
    )


@router.get("/qa/evaluations/{evaluation_id}")
def evaluation_page(
    request: Request, session: SessionDep, evaluation: EvaluationInScope, actor: CanEvaluate
) -> Response:
    """An evaluation with its answers and history; when disputed, the form that settles it."""
    return _evaluation_page(request, session, actor, evaluation, template="quality/evaluation.html")


@router.post("/qa/evaluations/{evaluation_id}/settlement")
def settle_dispute(
    request: Request, session: SessionDep, evaluation: EvaluationInScope, actor: CanEvaluate, form: Form
) -> Response:
    outcome = form.get("outcome", "")
    try:
        settlement = DisputeSettlement.model_validate(
            {
                "outcome": outcome,
                "reason": form.get("reason", ""),
                "answers": answers_from(form) if outcome == "revised" else None,
            }
        )
        with session.begin_nested():
            evaluations.settle_dispute(session, evaluation=evaluation, settlement=settlement, actor=actor)
    except (ValidationError, CxhubError) as exc:
        status, message = _failure(exc)
        return _evaluation_page(
            request,
            session,
            actor,
            evaluation,
            template="quality/evaluation.html",
            status=status,
            error=f"Not settled: {message}",
        )
    return RedirectResponse(f"/qa/evaluations/{evaluation.id}", status_code=303)


# --- an agent's own evaluations -----------------------------------------------------------------------


@router.get("/qa/mine")
def my_evaluations_page(request: Request, session: SessionDep, actor: CanDispute) -> Response:
    """The submitted evaluations of one's own work."""
    agent = agent_of_user(session, actor=actor)
    rows = list(session.scalars(repository.own_evaluations(agent.id).order_by(Evaluation.id.desc()).limit(LIST_LIMIT)))
    return render(request, "quality/mine.html", **_listing(session, rows))


@router.get("/qa/mine/{evaluation_id}")
def my_evaluation_page(request: Request, session: SessionDep, actor: CanDispute, evaluation_id: str) -> Response:
    """One evaluation of one's own work, and the form to dispute it."""
    evaluation = evaluations.get_own_evaluation(session, actor=actor, evaluation_id=evaluation_id)
    return _evaluation_page(request, session, actor, evaluation, template="quality/my_evaluation.html")


@router.post("/qa/mine/{evaluation_id}/dispute")
def dispute_evaluation(
    request: Request, session: SessionDep, actor: CanDispute, evaluation_id: str, form: Form
) -> Response:
    evaluation = evaluations.get_own_evaluation(session, actor=actor, evaluation_id=evaluation_id)
    try:
        dispute_create = DisputeCreate.model_validate({"reason": form.get("reason", "")})
        with session.begin_nested():
            evaluations.dispute_evaluation(session, evaluation=evaluation, dispute_create=dispute_create, actor=actor)
    except (ValidationError, CxhubError) as exc:
        status, message = _failure(exc)
        return _evaluation_page(
            request,
            session,
            actor,
            evaluation,
            template="quality/my_evaluation.html",
            status=status,
            error=f"Not disputed: {message}",
            reason=form.get("reason", ""),
        )
    return RedirectResponse(f"/qa/mine/{evaluation.id}", status_code=303)
