"""JSON routes for admins: background jobs, the dead-letter state and requeueing."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.deps import Cursor, Limit, SessionDep, require
from cxhub.jobs import service
from cxhub.jobs.models import Job
from cxhub.jobs.schemas import JobRead
from cxhub.kit.pagination import Page, paginate
from cxhub.web import error_responses

router = APIRouter(tags=["jobs"])
CanManageJobs = Annotated[Actor, Depends(require(Permission.JOBS_MANAGE))]
JobStatus = Literal["queued", "running", "done", "dead"]


@router.get("/jobs", response_model=Page[JobRead], responses=error_responses(403))
def list_jobs(
    session: SessionDep,
    actor: CanManageJobs,
    status: Annotated[JobStatus | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[JobRead]:
    """Background jobs, newest first; `status=dead` lists the dead-letter state."""
    statement = select(Job)
    if status:
        statement = statement.where(Job.status == status)
    rows, next_cursor = paginate(session, statement, Job.id, cursor=cursor, limit=limit, newest_first=True)
    return Page[JobRead](items=[JobRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/jobs/{job_id}/requeue", response_model=JobRead, responses=error_responses(403, 404))
def requeue_job(session: SessionDep, actor: CanManageJobs, job_id: str) -> JobRead:
    """Put a dead job back in the queue with its attempts reset."""
    return JobRead.model_validate(service.requeue_dead(session, job_id=job_id))
