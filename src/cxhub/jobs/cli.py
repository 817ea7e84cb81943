"""`cxhub worker`: a job worker process; run as many as you like, on as many machines."""

from __future__ import annotations

import importlib
import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from cxhub.config import get_settings
from cxhub.db import make_engine, make_sessionmaker
from cxhub.jobs.worker import default_worker_id, run_worker

console = Console(stderr=True)


def worker(
    burst: Annotated[bool, typer.Option("--burst", help="Exit when no job is due instead of waiting.")] = False,
) -> None:
    """Run a job worker until SIGTERM or Ctrl-C; the job in hand is finished first."""
    importlib.import_module("cxhub.tasks")  # every domain's handlers, so any job can run here
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        console.print("stopping after the current job")
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    worker_id = default_worker_id()
    console.print(f"worker {worker_id} on {engine.url.render_as_string(hide_password=True)}")
    done = run_worker(
        make_sessionmaker(engine),
        worker_id=worker_id,
        poll_seconds=settings.worker_poll_seconds,
        lease_seconds=settings.job_lease_seconds,
        stop=stop,
        burst=burst,
    )
    engine.dispose()
    console.print(f"worker {worker_id} ran {done} jobs")
