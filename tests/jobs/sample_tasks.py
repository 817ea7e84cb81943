"""Job handlers used by the job tests; worker subprocesses import this module."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from cxhub.jobs.service import task

RUNS_TABLE = "CREATE TABLE test_job_runs (n INTEGER NOT NULL, worker TEXT)"


@task("test.record")
def record(session: Session, payload: dict[str, Any]) -> None:
    session.execute(text("INSERT INTO test_job_runs (n) VALUES (:n)"), {"n": payload["n"]})


@task("test.hang_first_time")
def hang_first_time(session: Session, payload: dict[str, Any]) -> None:
    marker = Path(payload["marker"])
    if not marker.exists():
        marker.write_text("started")
        time.sleep(120)  # the test kills the worker meanwhile
    session.execute(text("INSERT INTO test_job_runs (n) VALUES (:n)"), {"n": payload["n"]})


@task("test.always_fails")
def always_fails(session: Session, payload: dict[str, Any]) -> None:
    raise RuntimeError(f"cannot do {payload['what']}")
