"""Enqueue, claim, finish and retry jobs. Services flush; the worker loop commits.

Claiming is safe with any number of workers: `FOR UPDATE SKIP LOCKED` on PostgreSQL, a
conditional `UPDATE ... RETURNING` on SQLite (whose writers are serialised anyway).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cxhub.errors import NotFound
from cxhub.jobs.models import DEAD, DONE, QUEUED, RUNNING, Job, Schedule
from cxhub.kit.time import utcnow

Handler = Callable[[Session, dict[str, Any]], None]
_REGISTRY: dict[str, Handler] = {}
_PERIODIC: dict[str, int] = {}  # name -> interval in seconds
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0
ERROR_LIMIT = 4000


def task(name: str) -> Callable[[Handler], Handler]:
    """Register a job handler under a name such as "auth.send_password_reset"."""

    def register(handler: Handler) -> Handler:
        _REGISTRY[name] = handler
        return handler

    return register


def periodic(name: str, *, every_seconds: int) -> Callable[[Handler], Handler]:
    """Register a handler that every worker makes sure runs once per interval, across all workers."""

    def register(handler: Handler) -> Handler:
        _PERIODIC[name] = every_seconds
        return task(name)(handler)

    return register


def ensure_periodic_schedules(session: Session) -> None:
    for name, every_seconds in _PERIODIC.items():
        schedule = session.get(Schedule, name)
        if schedule is None or schedule.interval_seconds != every_seconds:
            first_run_at = utcnow() + dt.timedelta(seconds=every_seconds)  # housekeeping waits one interval
            ensure_schedule(session, name=name, interval_seconds=every_seconds, first_run_at=first_run_at)


def registered_tasks() -> dict[str, Handler]:
    return dict(_REGISTRY)


def enqueue(
    session: Session,
    *,
    name: str,
    payload: dict[str, Any],
    run_at: dt.datetime | None = None,
    max_attempts: int = 5,
) -> Job:
    """Add a job in the caller's transaction: if that rolls back, the job never existed."""
    job = Job(name=name, payload=payload, run_at=run_at or utcnow(), max_attempts=max_attempts)
    session.add(job)
    session.flush()
    return job


def _due(now: dt.datetime) -> Any:
    return or_(
        (Job.status == QUEUED) & (Job.run_at <= now),
        (Job.status == RUNNING) & (Job.lease_expires_at < now),  # its worker died mid-job
    )


def claim(session: Session, *, worker_id: str, lease_seconds: int, now: dt.datetime | None = None) -> Job | None:
    """Take one due job for this worker, or None."""
    now = now or utcnow()
    lease = now + dt.timedelta(seconds=lease_seconds)
    claimed = {
        "status": RUNNING,
        "locked_by": worker_id,
        "lease_expires_at": lease,
        "attempts": Job.attempts + 1,
    }
    if session.get_bind().dialect.name == "postgresql":
        job_id = session.scalar(
            select(Job.id).where(_due(now)).order_by(Job.run_at).limit(1).with_for_update(skip_locked=True)
        )
        if job_id is None:
            return None
        session.execute(update(Job).where(Job.id == job_id).values(**claimed))
    else:
        candidate = select(Job.id).where(_due(now)).order_by(Job.run_at).limit(1).scalar_subquery()
        job_id = session.scalar(update(Job).where(Job.id == candidate, _due(now)).values(**claimed).returning(Job.id))
        if job_id is None:
            return None
    session.expire_all()
    return session.get(Job, job_id)


def complete(session: Session, *, job: Job) -> None:
    job.status = DONE
    job.finished_at = utcnow()
    job.lease_expires_at = None  # locked_by stays: which worker ran it
    session.flush()


def backoff_seconds(attempts: int) -> float:
    """2 s, 4 s, 8 s ... capped at an hour, with up to 10 % jitter so retries spread out."""
    delay: float = min(BACKOFF_BASE_SECONDS * 2.0 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)
    return delay * (1 + random.random() / 10)  # noqa: S311 - jitter, not secrecy


def fail(session: Session, *, job: Job, error: str) -> None:
    """Record a failure: retry later with backoff, or dead-letter after the last attempt."""
    job.last_error = error[-ERROR_LIMIT:]
    job.locked_by = None
    job.lease_expires_at = None
    if job.attempts >= job.max_attempts:
        job.status = DEAD
        job.finished_at = utcnow()
    else:
        job.status = QUEUED
        job.run_at = utcnow() + dt.timedelta(seconds=backoff_seconds(job.attempts))
    session.flush()


def requeue_dead(session: Session, *, job_id: str) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.status != DEAD:
        raise NotFound("dead job")
    job.status = QUEUED
    job.attempts = 0
    job.run_at = utcnow()
    job.finished_at = None
    session.flush()
    return job


def ensure_schedule(
    session: Session,
    *,
    name: str,
    interval_seconds: int,
    payload: dict[str, Any] | None = None,
    first_run_at: dt.datetime | None = None,
) -> Schedule:
    schedule = session.get(Schedule, name)
    if schedule is None:
        schedule = Schedule(
            name=name, interval_seconds=interval_seconds, next_run_at=first_run_at or utcnow(), payload=payload or {}
        )
        session.add(schedule)
    else:
        schedule.interval_seconds = interval_seconds
        schedule.payload = payload or {}
    session.flush()
    return schedule


def enqueue_due_schedules(session: Session, *, now: dt.datetime | None = None) -> int:
    """Enqueue each due schedule once, however many workers look at the same moment."""
    now = now or utcnow()
    fired = 0
    for schedule in session.scalars(select(Schedule).where(Schedule.next_run_at <= now)).all():
        following = now + dt.timedelta(seconds=schedule.interval_seconds)
        advanced = session.execute(
            update(Schedule)
            .where(Schedule.name == schedule.name, Schedule.next_run_at == schedule.next_run_at)
            .values(next_run_at=following)
        )
        if advanced.rowcount == 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
            enqueue(session, name=schedule.name, payload=dict(schedule.payload))
            fired += 1
    return fired
