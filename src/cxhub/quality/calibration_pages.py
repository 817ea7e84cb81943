"""Calibration pages: sessions and their creation, the participant's part, the report with its chart."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from cxhub.conversations.models import Conversation
from cxhub.deps import PageActor, SessionDep, require
from cxhub.errors import CxhubError
from cxhub.quality import repository, sessions
from cxhub.quality.models import CalibrationSession
from cxhub.quality.schemas import CalibrationReportRead, CalibrationSessionCreate
from cxhub.web import render
from cxhub.workforce.models import Organisation

router = APIRouter()
P = Permission
CanManage = Annotated[Actor, Depends(require(P.QA_MANAGE, pages=True))]
CanEvaluate = Annotated[Actor, Depends(require(P.QA_EVALUATE, pages=True))]
CANDIDATES = 30  # recent conversations offered for a new session


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {
        "title": str(form.get("title", "")).strip(),
        "scorecard_id": str(form.get("scorecard_id", "")).strip(),
        "conversation_ids": [str(v) for v in form.getlist("conversation_ids")],
        "evaluator_user_ids": [str(v) for v in form.getlist("evaluator_user_ids")],
    }


SessionForm = Annotated[dict[str, Any], Depends(_form)]


def _sessions_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    rows = session.scalars(repository.readable_sessions(actor).order_by(CalibrationSession.id.desc()).limit(50)).all()
    candidates = session.scalars(
        repository.evaluable_conversations(actor)
        .where(Conversation.first_inbound_at.is_not(None))
        .order_by(Conversation.first_inbound_at.desc())
        .limit(CANDIDATES)
    ).all()
    evaluators = [
        u
        for u in session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name))
        if P.QA_EVALUATE in ROLE_PERMISSIONS[Role(u.role)]
    ]
    organisations = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    brand_ids = {c.brand_id for c in candidates}
    scorecards = [s for brand_id in sorted(brand_ids) for s in repository.active_scorecards(session, brand_id)]
    return render(
        request,
        "quality/calibrations.html",
        status_code=status,
        sessions=sessions.session_reads(session, rows),
        candidates=candidates,
        evaluators=evaluators,
        organisations=organisations,
        scorecards=scorecards,
        error=error,
        form=form or {"title": "", "scorecard_id": "", "conversation_ids": [], "evaluator_user_ids": []},
    )


@router.get("/qa/calibration")
def calibrations_page(request: Request, session: SessionDep, actor: CanManage) -> Response:
    """The brand's calibration sessions, and a form to start one."""
    return _sessions_page(request, session, actor)


@router.post("/qa/calibration")
def create_session(request: Request, session: SessionDep, actor: CanManage, form: SessionForm) -> Response:
    try:
        session_create = CalibrationSessionCreate.model_validate({**form, "scorecard_id": form["scorecard_id"] or None})
        with session.begin_nested():
            calibration = sessions.create_session(session, session_create=session_create, actor=actor)
    except (ValidationError, CxhubError) as exc:
        if isinstance(exc, CxhubError):
            status, message = exc.status, exc.message
        else:
            first = exc.errors()[0]
            status, message = 422, f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        return _sessions_page(request, session, actor, status=status, error=f"Not started: {message}", form=form)
    return RedirectResponse(f"/qa/calibration/{calibration.id}", status_code=303)


def _in_scope(session: SessionDep, actor: PageActor, session_id: str) -> CalibrationSession:
    return sessions.get_session_in_scope(session, actor=actor, session_id=session_id)


SessionInScope = Annotated[CalibrationSession, Depends(_in_scope)]


def _chart_data(report: CalibrationReportRead) -> dict[str, Any]:
    return {
        "evaluators": [e.name for e in report.evaluators],
        "signed": [
            None if e.mean_signed_deviation is None else round(e.mean_signed_deviation, 2) for e in report.evaluators
        ],
        "absolute": [
            None if e.mean_absolute_deviation is None else round(e.mean_absolute_deviation, 2)
            for e in report.evaluators
        ],
    }


def _session_page(
    request: Request, session: Session, actor: Actor, calibration: CalibrationSession, *, template: str
) -> Response:
    [read] = sessions.session_reads(session, [calibration])
    visible = sessions.report_visible_to(session, calibration=calibration, actor=actor)
    report = sessions.session_report(session, calibration=calibration) if visible else None
    return render(
        request,
        template,
        calibration=read,
        mine=sessions.my_statuses(session, calibration=calibration, actor=actor),
        participant=actor.user_id in {e.user_id for e in read.evaluators},
        titles=repository.conversation_titles(session, set(read.conversation_ids)),
        report=report,
        chart=_chart_data(report) if report else None,
    )


@router.get("/qa/calibration/{session_id}")
def session_page(request: Request, session: SessionDep, calibration: SessionInScope, actor: CanManage) -> Response:
    """A session's progress, and its report once one's own scores (if one takes part) are in."""
    return _session_page(request, session, actor, calibration, template="quality/calibration.html")


@router.get("/qa/calibration/{session_id}/mine")
def my_session_page(request: Request, session: SessionDep, calibration: SessionInScope, actor: CanEvaluate) -> Response:
    """One's part in a session: the conversations to score blind, then the report."""
    calibration = sessions.get_my_session(session, actor=actor, session_id=calibration.id)
    return _session_page(request, session, actor, calibration, template="quality/calibration_mine.html")
