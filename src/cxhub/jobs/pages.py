"""The jobs page for admins: counts per status, the dead letter and requeueing."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.deps import SessionDep, csrf_protect, require
from cxhub.jobs import service
from cxhub.jobs.models import DEAD, DONE, QUEUED, RUNNING, Job
from cxhub.web import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
CanManageJobs = Annotated[Actor, Depends(require(Permission.JOBS_MANAGE, pages=True))]
STATUSES = (DEAD, QUEUED, RUNNING, DONE)
SHOWN = 100


@router.get("/jobs")
def jobs_page(
    request: Request,
    session: SessionDep,
    actor: CanManageJobs,
    status: Annotated[Literal["queued", "running", "done", "dead"], Query()] = "dead",
) -> Response:
    counts = dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    jobs = session.scalars(select(Job).where(Job.status == status).order_by(Job.id.desc()).limit(SHOWN)).all()
    return render(request, "jobs/jobs.html", counts=counts, jobs=jobs, status=status, statuses=STATUSES, shown=SHOWN)


@router.post("/jobs/{job_id}/requeue")
def requeue_job(session: SessionDep, actor: CanManageJobs, job_id: str) -> Response:
    """Put a dead job back in the queue with its attempts reset."""
    service.requeue_dead(session, job_id=job_id)
    return RedirectResponse(f"/jobs?status={DEAD}", status_code=303)
