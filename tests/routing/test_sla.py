"""SLA clocks through the API: they start when a conversation is queued, warn, breach and escalate as jobs,
pause while the customer is awaited, count business hours, and show on every conversation."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import cxhub.routing.tasks  # noqa: F401  registers the SLA jobs
from cxhub.config import get_settings
from cxhub.jobs.models import Job
from cxhub.jobs.service import registered_tasks
from cxhub.kit.time import utcnow
from cxhub.routing.dispatch import dispatch
from cxhub.routing.sla import watch
from tests import live

from .test_routing_api import ADMIN, conversation, post

# Wednesday 25 November 2026, 10:00 in Dublin (UTC in winter); in the past, as every change is
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def _clock(found: dict[str, Any], name: str) -> dict[str, Any]:
    clock: dict[str, Any] = next(c for c in found["sla"] if c["clock"] == name)
    return clock


def _at(world: Session, when: dt.datetime) -> None:
    watch(world, now=when)
    world.commit()


def _jobs(world: Session, name: str) -> list[Job]:
    return list(world.scalars(select(Job).where(Job.name == name)))


class Relay:
    """The outbound relay: a loopback SMTP server that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def relay(monkeypatch: pytest.MonkeyPatch) -> Iterator[Relay]:
    settings = get_settings()
    port = live.free_port()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    handler = Relay()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler
    controller.stop()


@pytest.mark.postgres
def test_a_chat_warns_then_breaches_and_is_escalated(
    client: TestClient, world: Session, token_for: Any, relay: Relay
) -> None:
    headers = token_for(ADMIN)
    for who in ("agent@atlantic.example", "lead@atlantic.example", "agent@pacific.example"):
        client.put("/api/v1/me/presence", json={"presence": "offline"}, headers=token_for(who))
    conversation_id = post(
        client,
        headers,
        channel="chat",
        external_id="chat-sla-1",
        customer={"visitor_id": "visitor-sla-1"},
        text="Olá, preciso de ajuda com a minha encomenda",
        occurred_at=T0.isoformat(),
    )
    dispatch(world, now=T0)
    _at(world, T0)
    first = _clock(conversation(client, headers, conversation_id), "first_response")
    assert first["status"] == "running"
    assert first["target_seconds"] == 120
    assert first["due_at"] == "2026-11-25T10:02:00Z"
    _at(world, T0 + dt.timedelta(seconds=95))
    assert _clock(conversation(client, headers, conversation_id), "first_response")["status"] == "at_risk"
    assert [j.payload["clock"] for j in _jobs(world, "routing.sla_warning")] == ["first_response"]
    _at(world, T0 + dt.timedelta(seconds=130))
    found = conversation(client, headers, conversation_id)
    assert _clock(found, "first_response")["status"] == "breached"
    assert found["priority"] == 1  # escalated
    assert len(_jobs(world, "routing.sla_breach")) == 1
    _at(world, T0 + dt.timedelta(seconds=200))
    assert len(_jobs(world, "routing.sla_breach")) == 1  # once
    for job in _jobs(world, "routing.sla_breach"):
        registered_tasks()[job.name](world, job.payload)  # as a worker runs it
    (mail,) = relay.messages
    assert mail["To"] == "lead@lumen.example"
    assert "has missed its first response target" in mail["Subject"]
    assert f"/conversations/{conversation_id}" in mail.get_content()


@pytest.mark.postgres
def test_a_first_response_in_time_is_met_and_the_clock_stops(
    client: TestClient, world: Session, token_for: Any
) -> None:
    headers = token_for(ADMIN)
    conversation_id = post(
        client,
        headers,
        channel="chat",
        external_id="chat-sla-2",
        customer={"visitor_id": "visitor-sla-2"},
        text="Hello, is the oak table available in a smaller size?",
        occurred_at=T0.isoformat(),
    )
    dispatch(world, now=T0)
    _at(world, T0)
    reply = {
        "channel": "chat",
        "external_id": "chat-sla-2-answer",
        "occurred_at": (T0 + dt.timedelta(seconds=60)).isoformat(),
        "direction": "outbound",
        "customer": {"visitor_id": "visitor-sla-2"},
        "text": "Yes, it comes in 120 cm too.",
        "handled_by": "agent@lumen.example",
    }
    assert client.post("/api/v1/interactions", json=reply, headers=headers).status_code == 201
    _at(world, T0 + dt.timedelta(seconds=61))
    first = _clock(conversation(client, headers, conversation_id), "first_response")
    assert first["status"] == "met"
    assert first["met_at"] == "2026-11-25T10:01:00Z"
    _at(world, T0 + dt.timedelta(hours=5))
    assert _clock(conversation(client, headers, conversation_id), "first_response")["status"] == "met"
    breaches = [j.payload["clock"] for j in _jobs(world, "routing.sla_breach")]
    assert breaches == ["resolution"]  # still open after five hours: only the resolution target is missed


@pytest.mark.postgres
def test_an_email_counts_business_hours(client: TestClient, world: Session, token_for: Any) -> None:
    headers = token_for(ADMIN)
    friday_evening = dt.datetime(2026, 11, 27, 19, 0, tzinfo=dt.UTC)
    conversation_id = post(
        client,
        headers,
        channel="email",
        external_id="<sla-3@example.ie>",
        customer={"email": "sla3@example.ie"},
        subject="Invoice copy",
        text="Hello, could you send me a copy of the invoice for my last purchase please?",
        occurred_at=friday_evening.isoformat(),
    )
    dispatch(world, now=friday_evening)
    _at(world, friday_evening)
    first = _clock(conversation(client, headers, conversation_id), "first_response")
    assert first["target_seconds"] == 8 * 3600
    # one business hour on Friday (19:00-20:00), then seven on Monday from 08:00
    assert first["due_at"] == "2026-11-30T15:00:00Z"


@pytest.mark.postgres
def test_the_clock_pauses_while_the_customer_is_awaited_and_runs_again_when_they_write(
    client: TestClient, world: Session, token_for: Any
) -> None:
    headers = token_for(ADMIN)
    started = utcnow() - dt.timedelta(minutes=10)  # status changes carry the real time: so does this test
    conversation_id = post(
        client,
        headers,
        channel="chat",
        external_id="chat-sla-4",
        customer={"visitor_id": "visitor-sla-4"},
        text="Hello, my parcel was left at the wrong address, what can I do?",
        occurred_at=started.isoformat(),
    )
    dispatch(world, now=started)
    _at(world, utcnow())
    running = _clock(conversation(client, headers, conversation_id), "resolution")
    assert running["status"] == "running"
    patch = client.patch(
        f"/api/v1/conversations/{conversation_id}", json={"status": "pending_customer"}, headers=headers
    )
    assert patch.status_code == 200
    time.sleep(1)  # a second spent waiting on the customer
    _at(world, utcnow())
    paused = _clock(conversation(client, headers, conversation_id), "resolution")
    assert (paused["status"], paused["due_at"]) == ("paused", None)
    post(
        client,
        headers,
        channel="chat",
        external_id="chat-sla-4b",
        customer={"visitor_id": "visitor-sla-4"},
        text="It was number 12, not 21.",
        occurred_at=utcnow().isoformat(),
    )
    _at(world, utcnow())
    resumed = _clock(conversation(client, headers, conversation_id), "resolution")
    assert resumed["status"] == "running"
    pause = dt.datetime.fromisoformat(resumed["due_at"]) - dt.datetime.fromisoformat(running["due_at"])
    assert pause >= dt.timedelta(seconds=1)  # the paused time does not count


def test_an_sla_policy_needs_a_target_and_valid_hours(client: TestClient, world: Session, token_for: Any) -> None:
    headers = token_for(ADMIN)
    no_target = client.post("/api/v1/sla-policies", json={"name": "Nothing"}, headers=headers)
    assert no_target.status_code == 422
    bad_zone = client.post(
        "/api/v1/sla-policies",
        json={"name": "Nowhere", "first_response_seconds": 60, "business_hours": True, "time_zone": "Mars/Olympus"},
        headers=headers,
    )
    assert bad_zone.status_code == 422
    assert "business hours" in bad_zone.text
    made = client.post(
        "/api/v1/sla-policies",
        json={"name": "Voice", "channel": "voice", "first_response_seconds": 20},
        headers=headers,
    )
    assert made.status_code == 201
    assert made.json()["first_response_seconds"] == 20


@pytest.mark.postgres
def test_the_team_lead_sees_the_waiting_chat_at_risk_and_the_page_shows_the_breach(
    client: TestClient, world: Session, token_for: Any, login: Any
) -> None:
    for who in ("agent@atlantic.example", "lead@atlantic.example"):
        client.put("/api/v1/me/presence", json={"presence": "away"}, headers=token_for(who))
    headers = token_for(ADMIN)
    conversation_id = post(
        client,
        headers,
        channel="chat",
        external_id="chat-sla-5",
        customer={"visitor_id": "visitor-sla-5"},
        text="Boa tarde, a fatura está errada",
        occurred_at=T0.isoformat(),
    )
    dispatch(world, now=T0)
    _at(world, T0 + dt.timedelta(seconds=130))
    page = login("lead@atlantic.example")
    assert 'data-testid="at-risk-Chat"><span class="pill sla-breached">1<' in page.get("/queues").text
    shown = page.get(f"/conversations/{conversation_id}").text
    assert 'data-testid="sla-first_response"><span class="pill sla-breached">breached<' in shown
