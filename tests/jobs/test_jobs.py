"""The job runner: enqueued with the change that causes it, run once, retried, dead-lettered.

Each test commits to a database of its own (SQLite file, or a fresh PostgreSQL database).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from cxhub.db import make_engine, make_sessionmaker
from cxhub.jobs import service
from cxhub.jobs.models import DEAD, DONE, QUEUED, Job
from cxhub.jobs.worker import run_worker
from cxhub.kit.databases import create_database, drop_database
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow
from cxhub.migrate import upgrade
from tests.conftest import PG_URL
from tests.jobs import sample_tasks

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def only_these_tests_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other domains' periodic jobs (routing's dispatch round, every second) stay out of these counts."""
    monkeypatch.setattr(service, "_PERIODIC", {})


@pytest.fixture
def job_db(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "postgres":
        assert PG_URL
        url = create_database(PG_URL, "jobs")
    else:
        url = f"sqlite:///{tmp_path}/jobs.sqlite3"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text(sample_tasks.RUNS_TABLE))
    engine.dispose()
    yield url
    if backend == "postgres":
        drop_database(url)


@pytest.fixture
def engine(job_db: str) -> Iterator[Engine]:  # type: ignore[override]
    engine = make_engine(job_db)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


def _runs(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT n FROM test_job_runs ORDER BY n")))


def _start_worker(job_db: str, *, lease: int = 300) -> subprocess.Popen[bytes]:
    code = (
        "import tests.jobs.sample_tasks\n"
        "from cxhub.db import make_engine, make_sessionmaker\n"
        "from cxhub.jobs.worker import run_worker\n"
        f"factory = make_sessionmaker(make_engine({job_db!r}))\n"
        f"run_worker(factory, poll_seconds=0.05, lease_seconds={lease}, burst=True)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(engine: Engine, factory: sessionmaker[Session]) -> None:
    with factory() as session:
        service.enqueue(session, name="test.record", payload={"n": 1})
        session.rollback()
    with factory() as session, session.begin():
        service.enqueue(session, name="test.record", payload={"n": 2})
    assert run_worker(factory, poll_seconds=0.01, burst=True) == 1
    assert _runs(engine) == [2]


def test_failures_back_off_then_go_to_the_dead_letter_and_can_be_requeued(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    with factory() as session, session.begin():
        job_id = service.enqueue(session, name="test.always_fails", payload={"what": "x"}, max_attempts=3).id
    for attempt in (1, 2, 3):
        with factory() as session, session.begin():  # make the retry due now rather than after its backoff
            session.get_one(Job, job_id).run_at = utcnow()
        assert run_worker(factory, poll_seconds=0.01, burst=True) == 1
        with factory() as session:
            job = session.get_one(Job, job_id)
            assert job.attempts == attempt
            assert "cannot do x" in (job.last_error or "")
            if attempt < 3:
                assert job.status == QUEUED
                assert job.run_at > utcnow() + dt.timedelta(seconds=2 ** (attempt - 1) * 2 * 0.9)
    with factory() as session:
        assert session.get_one(Job, job_id).status == DEAD
    with factory() as session, session.begin():
        service.requeue_dead(session, job_id=job_id)
    with factory() as session:
        requeued = session.get_one(Job, job_id)
        assert (requeued.status, requeued.attempts) == (QUEUED, 0)


def test_a_job_without_a_handler_is_retried_not_lost(engine: Engine, factory: sessionmaker[Session]) -> None:
    with factory() as session, session.begin():
        job_id = service.enqueue(session, name="test.unknown", payload={}, max_attempts=1).id
    run_worker(factory, poll_seconds=0.01, burst=True)
    with factory() as session:
        job = session.get_one(Job, job_id)
        assert job.status == DEAD
        assert "no handler registered" in (job.last_error or "")


def test_a_schedule_fires_once_per_interval_with_two_workers(engine: Engine, factory: sessionmaker[Session]) -> None:
    with factory() as session, session.begin():
        service.ensure_schedule(session, name="test.record", interval_seconds=3600, payload={"n": 7})
    workers = [
        threading.Thread(target=run_worker, args=(factory,), kwargs={"poll_seconds": 0.01, "burst": True})
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    run_worker(factory, poll_seconds=0.01, burst=True)
    assert _runs(engine) == [7]


def test_threads_on_one_database_never_run_a_job_twice(engine: Engine, factory: sessionmaker[Session]) -> None:
    with factory() as session, session.begin():
        for n in range(200):
            service.enqueue(session, name="test.record", payload={"n": n})
    counts: list[int] = []
    workers = [
        threading.Thread(target=lambda: counts.append(run_worker(factory, poll_seconds=0.01, burst=True)))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert sum(counts) == 200
    assert _runs(engine) == list(range(200))


def test_a_worker_killed_mid_job_leaves_it_to_another_after_the_lease(
    engine: Engine, factory: sessionmaker[Session], job_db: str, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    with factory() as session, session.begin():
        job_id = service.enqueue(session, name="test.hang_first_time", payload={"n": 1, "marker": str(marker)}).id
    first = _start_worker(job_db, lease=2)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists()
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    assert run_worker(factory, poll_seconds=0.01, lease_seconds=30, burst=True) == 0  # still leased
    time.sleep(2.5)
    assert run_worker(factory, poll_seconds=0.01, lease_seconds=30, burst=True) == 1
    with factory() as session:
        job = session.get_one(Job, job_id)
        assert (job.status, job.attempts) == (DONE, 2)
    assert _runs(engine) == [1]


def test_three_thousand_jobs_four_worker_processes_each_runs_exactly_once(
    backend: str, engine: Engine, factory: sessionmaker[Session], job_db: str
) -> None:
    if backend != "postgres":
        pytest.skip("the multi-process claim is proven on PostgreSQL; SQLite serialises its writers")
    total = 3_000
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            insert(Job),
            [
                {
                    "id": new_id(),
                    "name": "test.record",
                    "payload": {"n": n},
                    "status": QUEUED,
                    "attempts": 0,
                    "max_attempts": 5,
                    "run_at": now,
                    "created_at": now,
                }
                for n in range(total)
            ],
        )
    workers = [_start_worker(job_db) for _ in range(4)]
    for worker in workers:
        assert worker.wait(240) == 0
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.status == DONE)) == total
        assert session.scalar(select(func.max(Job.attempts))) == 1
        workers_used = session.scalar(select(func.count(func.distinct(Job.locked_by))))
    runs = _runs(engine)
    assert len(runs) == total
    assert runs == list(range(total))
    assert workers_used is not None
    assert workers_used >= 2
