"""Job throughput: jobs per second with 1 worker process and with 4, and their ratio.

    make bench                                   # SQLite file in a temporary directory
    CXHUB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres make bench

On PostgreSQL a fresh database is created beside the one named and dropped afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, make_url, text

from cxhub.db import make_engine
from cxhub.jobs.models import QUEUED, Job
from cxhub.kit.databases import create_database, drop_database
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow
from cxhub.migrate import upgrade

JOBS = int(os.environ.get("CXHUB_BENCH_JOBS", "2000"))
WORKER = """
import sys
from cxhub.db import make_engine, make_sessionmaker
from cxhub.jobs.service import task
from cxhub.jobs.worker import run_worker

@task("bench.noop")
def noop(session, payload):
    pass

run_worker(make_sessionmaker(make_engine(sys.argv[1])), poll_seconds=0.05, burst=True)
"""


def _database() -> tuple[str, bool]:
    base = os.environ.get("CXHUB_BENCH_DATABASE_URL")
    if not base:
        return f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3", False
    return create_database(base, "bench"), True


def _run(url: str, workers: int) -> float:
    engine = make_engine(url)
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM jobs"))
        connection.execute(
            insert(Job),
            [
                {
                    "id": new_id(),
                    "name": "bench.noop",
                    "payload": {},
                    "status": QUEUED,
                    "attempts": 0,
                    "max_attempts": 5,
                    "run_at": now,
                    "created_at": now,
                }
                for _ in range(JOBS)
            ],
        )
    engine.dispose()
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-c", WORKER, url]) for _ in range(workers)]
    for process in processes:
        process.wait()
    return JOBS / (time.perf_counter() - started)


def main() -> None:
    url, created = _database()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        one = _run(url, 1)
        four = _run(url, 4)
    finally:
        if created:
            drop_database(url)
    backend = make_url(url).get_backend_name()
    print(f"backend {backend}, {JOBS} jobs, {os.cpu_count()} cores")
    print(f"1 worker : {one:8.0f} jobs/s")
    print(f"4 workers: {four:8.0f} jobs/s")
    print(f"ratio 4/1: {four / one:8.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
