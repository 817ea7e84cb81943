"""The worker loop: claim a job, run its handler in a transaction of its own, record the outcome."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cxhub.config import Settings
from cxhub.db import unit_of_work
from cxhub.jobs import service
from cxhub.jobs.models import Job

log = logging.getLogger(__name__)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


SCHEDULE_CHECK_SECONDS = 1.0  # how often a busy worker also looks for due schedules


def run_one(factory: sessionmaker[Session], *, worker_id: str, lease_seconds: int) -> bool:
    """Run one due job if there is one; returns whether a job was run."""
    with unit_of_work(factory) as session:
        job = service.claim(session, worker_id=worker_id, lease_seconds=lease_seconds)
        if job is None:
            return False
        job_id, name, payload = job.id, job.name, dict(job.payload)
    handler = service.registered_tasks().get(name)
    try:
        if handler is None:
            raise LookupError(f"no handler registered for job {name!r}")
        with unit_of_work(factory) as session:
            handler(session, payload)
            finished = session.get(Job, job_id)
            if finished is not None:
                service.complete(session, job=finished)
    except Exception:
        error = traceback.format_exc()
        log.warning("job %s (%s) failed", job_id, name)
        with unit_of_work(factory) as session:
            failed = session.get(Job, job_id)
            if failed is not None:
                service.fail(session, job=failed, error=error)
    return True


def run_worker(
    factory: sessionmaker[Session],
    *,
    worker_id: str | None = None,
    poll_seconds: float = 1.0,
    lease_seconds: int = 300,
    stop: threading.Event | None = None,
    max_jobs: int | None = None,
    burst: bool = False,
) -> int:
    """Work until stopped (or, with `burst`, until nothing is due); returns the jobs run."""
    worker_id = worker_id or default_worker_id()
    stop = stop or threading.Event()
    try:
        with unit_of_work(factory) as session:
            service.ensure_periodic_schedules(session)
    except IntegrityError:
        log.info("another worker created the schedules first")
    done = 0
    schedules_checked = 0.0
    while not stop.is_set() and (max_jobs is None or done < max_jobs):
        if time.monotonic() - schedules_checked >= SCHEDULE_CHECK_SECONDS:
            with unit_of_work(factory) as session:
                service.enqueue_due_schedules(session)
            schedules_checked = time.monotonic()
        if run_one(factory, worker_id=worker_id, lease_seconds=lease_seconds):
            done += 1
            continue
        if burst:
            break
        stop.wait(poll_seconds)
    return done


@dataclass
class InProcessWorker:
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


def start_in_process_worker(factory: sessionmaker[Session], settings: Settings) -> InProcessWorker:
    """A daemon thread that works the queue inside `cxhub serve` (the embedded default)."""
    stop_event = threading.Event()

    def work() -> None:
        while not stop_event.is_set():
            try:
                run_worker(
                    factory,
                    poll_seconds=settings.worker_poll_seconds,
                    lease_seconds=settings.job_lease_seconds,
                    stop=stop_event,
                )
            except Exception:  # a lost database connection must not end the worker for good
                log.exception("in-process worker failed; restarting")
                stop_event.wait(settings.worker_poll_seconds)

    thread = threading.Thread(target=work, name="cxhub-worker", daemon=True)
    thread.start()
    return InProcessWorker(thread, stop_event)
