"""Scorecard pages: the brand's scorecards, and the editor of sections and weighted criteria (one row each)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.deps import PageActor, SessionDep, require
from cxhub.errors import CxhubError
from cxhub.quality import repository, scorecards
from cxhub.quality.models import Evaluation, Scorecard
from cxhub.quality.schemas import ScorecardCreate, ScorecardRead, ScorecardUpdate
from cxhub.web import render

router = APIRouter()
CanManage = Annotated[Actor, Depends(require(Permission.QA_MANAGE, pages=True))]
COLUMNS = ("section", "label", "guidance", "weight", "scale", "max_points", "pass_points", "error_class", "auto_fail",
           "allow_na")  # fmt: skip
BLANK_ROWS = 3
BLANK = dict.fromkeys(COLUMNS, "") | {"weight": "1", "scale": "yes_no", "auto_fail": "no", "allow_na": "no"}


async def _rows(request: Request) -> dict[str, Any]:
    """The editor's form: the scorecard's fields, and one row of criterion fields per criterion (parallel lists)."""
    form = await request.form()
    columns = {name: [str(v).strip() for v in form.getlist(name)] for name in COLUMNS}
    count = max((len(values) for values in columns.values()), default=0)
    rows = [{name: (columns[name][i] if i < len(columns[name]) else "") for name in COLUMNS} for i in range(count)]
    return {
        "name": str(form.get("name", "")).strip(),
        "description": str(form.get("description", "")).strip(),
        "active": form.get("active") == "yes",
        "rows": rows,
    }


EditorForm = Annotated[dict[str, Any], Depends(_rows)]


def _number(value: str, field: str, kind: type[int] | type[float]) -> Any:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError as exc:
        raise CxhubError(f"{field.replace('_', ' ')} must be a number, not {value!r}", status=422, field=field) from exc


def sections_from(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Rows with a label, grouped by section title in the order the titles first appear."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if not row["label"]:
            continue
        points = row["scale"] == "points"
        sections.setdefault(row["section"], []).append(
            {
                "label": row["label"],
                "guidance": row["guidance"],
                "weight": _number(row["weight"], "weight", float),
                "scale": row["scale"] or "yes_no",
                "max_points": _number(row["max_points"], "max_points", int) if points else None,
                "pass_points": _number(row["pass_points"], "pass_points", int) if points else None,
                "error_class": row["error_class"] or None,
                "auto_fail": row["auto_fail"] == "yes",
                "allow_not_applicable": row["allow_na"] == "yes",
            }
        )
    return [{"title": title, "criteria": criteria} for title, criteria in sections.items()]


def _rows_of(read: ScorecardRead) -> list[dict[str, str]]:
    return [
        {
            "section": section.title,
            "label": c.label,
            "guidance": c.guidance,
            "weight": f"{c.weight:g}",
            "scale": c.scale,
            "max_points": str(c.max_points) if c.scale == "points" else "",
            "pass_points": str(c.pass_points) if c.scale == "points" else "",
            "error_class": c.error_class or "",
            "auto_fail": "yes" if c.auto_fail else "no",
            "allow_na": "yes" if c.allow_not_applicable else "no",
        }
        for section in read.sections
        for c in section.criteria
    ]


def _failure(exc: ValidationError | CxhubError) -> tuple[int, str]:
    if isinstance(exc, CxhubError):
        return exc.status, exc.message
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return 422, f"{where}: {str(first['msg']).removeprefix('Value error, ')}"


def _editor(
    request: Request,
    session: Session,
    *,
    scorecard: Scorecard | None,
    form: dict[str, Any] | None = None,
    status: int = 200,
    error: str | None = None,
    message: str | None = None,
) -> Response:
    read = scorecards.scorecard_reads(session, [scorecard])[0] if scorecard is not None else None
    if form is None:
        form = {
            "name": read.name if read else "",
            "description": read.description if read else "",
            "active": read.active if read else True,
            "rows": _rows_of(read) if read else [],
        }
    versions = (
        session.scalars(
            select(Scorecard).where(Scorecard.lineage_id == scorecard.lineage_id).order_by(Scorecard.version)
        ).all()
        if scorecard is not None
        else []
    )
    return render(
        request,
        "quality/scorecard.html",
        status_code=status,
        scorecard=read,
        versions=versions,
        evaluated=scorecard is not None and repository.has_evaluations(session, scorecard.id),
        form=form,
        rows=[*form["rows"], *([BLANK] * BLANK_ROWS)],
        error=error,
        message=message,
    )


@router.get("/qa/scorecards")
def scorecards_page(request: Request, session: SessionDep, actor: CanManage) -> Response:
    """The brand's scorecards: current versions, with how many evaluations each has."""
    rows = session.scalars(
        repository.readable_scorecards(actor).where(Scorecard.superseded_at.is_(None)).order_by(Scorecard.name)
    ).all()
    reads = scorecards.scorecard_reads(session, rows)
    counts = dict(
        session.execute(
            select(Evaluation.scorecard_id, func.count())
            .where(Evaluation.scorecard_id.in_([s.id for s in rows]))
            .group_by(Evaluation.scorecard_id)
        ).all()
    )
    return render(request, "quality/scorecards.html", scorecards=reads, counts=counts)


@router.get("/qa/scorecards/new")
def new_scorecard_page(request: Request, session: SessionDep, actor: CanManage) -> Response:
    return _editor(request, session, scorecard=None)


@router.get("/qa/scorecards/_criterion")
def criterion_row(request: Request, actor: CanManage) -> Response:
    """One more blank criterion row for the editor (htmx)."""
    return render(request, "quality/_criterion_row.html", row=BLANK)


@router.post("/qa/scorecards")
def create_scorecard(request: Request, session: SessionDep, actor: CanManage, form: EditorForm) -> Response:
    try:
        scorecard_create = ScorecardCreate.model_validate(
            {
                "name": form["name"],
                "description": form["description"],
                "active": form["active"],
                "sections": sections_from(form["rows"]),
            }
        )
        with session.begin_nested():
            scorecard = scorecards.create_scorecard(session, scorecard_create=scorecard_create, actor=actor)
    except (ValidationError, CxhubError) as exc:
        status, message = _failure(exc)
        return _editor(request, session, scorecard=None, form=form, status=status, error=f"Not saved: {message}")
    return RedirectResponse(f"/qa/scorecards/{scorecard.id}", status_code=303)


def _scorecard(session: SessionDep, actor: PageActor, scorecard_id: str) -> Scorecard:
    return scorecards.get_scorecard(session, actor=actor, scorecard_id=scorecard_id)


ScorecardInScope = Annotated[Scorecard, Depends(_scorecard)]


@router.get("/qa/scorecards/{scorecard_id}")
def scorecard_page(request: Request, session: SessionDep, scorecard: ScorecardInScope, actor: CanManage) -> Response:
    """One version; the current one in the editor (saving it makes a new version once evaluations use it)."""
    return _editor(request, session, scorecard=scorecard)


@router.post("/qa/scorecards/{scorecard_id}")
def update_scorecard(
    request: Request, session: SessionDep, scorecard: ScorecardInScope, actor: CanManage, form: EditorForm
) -> Response:
    try:
        scorecard_update = ScorecardUpdate.model_validate(
            {
                "name": form["name"],
                "description": form["description"],
                "active": form["active"],
                "sections": sections_from(form["rows"]),
            }
        )
        with session.begin_nested():
            current = scorecards.update_scorecard(
                session, scorecard=scorecard, scorecard_update=scorecard_update, actor=actor
            )
    except (ValidationError, CxhubError) as exc:
        status, message = _failure(exc)
        return _editor(request, session, scorecard=scorecard, form=form, status=status, error=f"Not saved: {message}")
    return RedirectResponse(f"/qa/scorecards/{current.id}", status_code=303)
