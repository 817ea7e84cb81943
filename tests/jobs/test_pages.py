"""The jobs page: counts per status, the dead letter, requeueing."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cxhub.jobs.models import DEAD, QUEUED, Job
from tests.conftest import csrf_from

Login = Callable[..., TestClient]
TRACE = 'Traceback (most recent call last):\n  File "tasks.py", line 3\nValueError: <b>no such mailbox</b>\n'


def _jobs(session: Session) -> tuple[Job, Job]:
    dead = Job(name="auth.send_password_reset", payload={}, status=DEAD, attempts=5, max_attempts=5, last_error=TRACE)
    queued = Job(name="analytics.rollup", payload={}, status=QUEUED)
    session.add_all([dead, queued])
    session.commit()
    return dead, queued


def test_jobs_page_is_for_admins(login: Login) -> None:
    assert login("director@lumen.example").get("/jobs").status_code == 403
    assert login("agent@atlantic.example").get("/jobs").status_code == 403
    page = login("admin@lumen.example").get("/jobs")
    assert page.status_code == 200
    assert "dead: 0" in page.text
    assert "No dead jobs." in page.text


def test_dead_jobs_are_listed_with_their_error_and_counted(login: Login, world: Session) -> None:
    dead, queued = _jobs(world)
    client = login("admin@lumen.example")
    page = client.get("/jobs")
    assert "dead: 1" in page.text
    assert "queued: 1" in page.text
    assert dead.id in page.text
    assert queued.id not in page.text  # the default list is the dead letter
    assert "ValueError: &lt;b&gt;no such mailbox&lt;/b&gt;" in page.text
    assert "<b>no such mailbox</b>" not in page.text
    listed = client.get("/jobs", params={"status": "queued"})
    assert queued.id in listed.text
    assert dead.id not in listed.text
    assert "Requeue" not in listed.text.split("<tbody>")[1]
    assert client.get("/jobs", params={"status": "lost"}).status_code == 422


def test_a_dead_job_is_requeued_once_and_only_with_the_csrf_token(login: Login, world: Session) -> None:
    dead, _ = _jobs(world)
    client = login("admin@lumen.example")
    page = client.get("/jobs")
    assert client.post(f"/jobs/{dead.id}/requeue").status_code == 403
    world.expire_all()
    assert world.get_one(Job, dead.id).status == DEAD
    requeued = client.post(
        f"/jobs/{dead.id}/requeue", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert requeued.status_code == 303
    assert requeued.headers["location"] == "/jobs?status=dead"
    world.expire_all()
    job = world.get_one(Job, dead.id)
    assert (job.status, job.attempts) == (QUEUED, 0)
    assert "dead: 0" in client.get("/jobs").text
    again = client.post(f"/jobs/{dead.id}/requeue", data={"csrf_token": csrf_from(page.text)})
    assert again.status_code == 404
    director = login("director@lumen.example")
    token = csrf_from(director.get("/").text)
    assert director.post(f"/jobs/{dead.id}/requeue", data={"csrf_token": token}).status_code == 403
