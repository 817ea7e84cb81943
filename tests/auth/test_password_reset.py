"""Password reset by e-mail: a real SMTP exchange with a loopback server, then the link."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

import cxhub.tasks  # noqa: F401  registers the e-mail job
from cxhub.config import get_settings
from cxhub.jobs.worker import run_worker
from tests.conftest import csrf_from


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings = get_settings()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    yield handler
    controller.stop()


def test_reset_link_arrives_by_smtp_and_sets_a_new_password(
    client: TestClient, world: Session, session_factory: sessionmaker[Session], inbox: Inbox
) -> None:
    page = client.get("/password-reset")
    client.post("/password-reset", data={"email": "agent@atlantic.example", "csrf_token": csrf_from(page.text)})
    client.post("/password-reset", data={"email": "nobody@example.com", "csrf_token": csrf_from(page.text)})
    assert run_worker(session_factory, poll_seconds=0.01, lease_seconds=30, burst=True) >= 1
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "agent@atlantic.example"
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    link = re.search(r"http://\S+/password-reset/(\S+)", body)
    assert link
    token = link.group(1)
    form = client.get(f"/password-reset/{token}")
    done = client.post(
        f"/password-reset/{token}", data={"password": "a-brand-new-password", "csrf_token": csrf_from(form.text)}
    )
    assert "Your password is changed" in done.text
    again = client.post(
        f"/password-reset/{token}", data={"password": "another-new-password", "csrf_token": csrf_from(form.text)}
    )
    assert again.status_code == 404
    login = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": "agent@atlantic.example",
            "password": "a-brand-new-password",
            "csrf_token": csrf_from(login.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
