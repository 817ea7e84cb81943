"""Working a conversation through the API: detail, history pages, notes, status, files and replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import cxhub.tasks  # noqa: F401  every job handler registered
from cxhub.auth.models import AuditEvent
from cxhub.channels import adapter as channel_adapter
from cxhub.channels.adapter import Delivered, Outbound
from cxhub.config import Settings
from cxhub.conversations.models import ConversationEvent, Interaction
from cxhub.conversations.schemas import InteractionCreate
from cxhub.jobs.models import Job
from cxhub.jobs.worker import run_one
from tests.builders import queue_for

Headers = Callable[[str], dict[str, str]]


def _sms(n: int, *, minute: int = 0, text: str = "Hello", **extra: Any) -> dict[str, Any]:
    return {
        "channel": "sms",
        "external_id": f"sms-{n}",
        "occurred_at": f"2026-11-20T09:{minute:02d}:00+00:00",
        "direction": "inbound",
        "customer": {"phone": "+353871234567", "email": "jane.doe@example.com", "name": "Jane Doe"},
        "text": text,
        **extra,
    }


@pytest.fixture
def conversation_id(client: TestClient, token_for: Headers) -> str:
    admin = token_for("admin@lumen.example")
    created = client.post("/api/v1/interactions", json=_sms(0), headers=admin)
    assert created.status_code == 201, created.text
    return str(created.json()["conversation_id"])


def test_detail_holds_the_latest_fifty_and_pages_back_by_time(
    client: TestClient, token_for: Headers, conversation_id: str
) -> None:
    admin = token_for("admin@lumen.example")
    batch = [_sms(n, minute=n % 60, text=f"message {n}") for n in range(1, 60)]
    batch[5]["occurred_at"] = "2026-11-19T08:00:00+00:00"  # imported late, happened first
    assert client.post("/api/v1/interactions", json=batch, headers=admin).status_code == 200
    detail = client.get(f"/api/v1/conversations/{conversation_id}", headers=admin).json()
    assert len(detail["interactions"]) == 50
    times = [i["occurred_at"] for i in detail["interactions"]]
    assert times == sorted(times, reverse=True)
    seen = {i["id"] for i in detail["interactions"]}
    cursor = detail["interactions_next_cursor"]
    while cursor:
        page = client.get(
            f"/api/v1/conversations/{conversation_id}/interactions", params={"cursor": cursor}, headers=admin
        ).json()
        assert not seen & {i["id"] for i in page["items"]}
        seen |= {i["id"] for i in page["items"]}
        cursor = page["next_cursor"]
    assert len(seen) == 60
    oldest = client.get(
        f"/api/v1/conversations/{conversation_id}/interactions", params={"limit": 200}, headers=admin
    ).json()["items"][-1]
    assert oldest["text"] == "message 6"
    bad = client.get(f"/api/v1/conversations/{conversation_id}/interactions", params={"cursor": "zzz"}, headers=admin)
    assert bad.status_code == 422


@pytest.mark.postgres
def test_a_partner_sees_the_customer_masked_and_the_read_is_audited_only_when_unmasked(
    client: TestClient, token_for: Headers, world: Session, conversation_id: str
) -> None:
    full = client.get(f"/api/v1/conversations/{conversation_id}", headers=token_for("agent@lumen.example")).json()
    assert full["customer"]["name"] == "Jane Doe"
    assert {i["value"] for i in full["customer"]["identities"]} == {"+353871234567", "jane.doe@example.com"}
    queue_for(world, conversation_id, "Atlantic CX")
    partner = client.get(f"/api/v1/conversations/{conversation_id}", headers=token_for("agent@atlantic.example"))
    assert partner.status_code == 200
    customer = partner.json()["customer"]
    assert customer["name"] == "Jane D."
    assert {i["value"] for i in customer["identities"]} == {"+*********567", "j***@example.com"}
    assert "Jane Doe" not in partner.text
    assert world.scalars(select(AuditEvent).where(AuditEvent.action == "personal_data.read")).all() == []


def test_status_changes_are_kept_with_their_times(
    client: TestClient, token_for: Headers, world: Session, conversation_id: str
) -> None:
    agent = token_for("agent@lumen.example")
    path = f"/api/v1/conversations/{conversation_id}"
    resolved = client.patch(path, json={"status": "resolved", "tags": ["Refund", "refund", " vip "]}, headers=agent)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_at"] is not None
    assert resolved.json()["tags"] == ["refund", "vip"]
    admin = token_for("admin@lumen.example")
    again = client.post("/api/v1/interactions", json=_sms(2, minute=30, text="Still broken"), headers=admin).json()
    assert again["conversation_id"] == conversation_id  # a new message reopens it
    assert client.get(path, headers=agent).json()["status"] == "open"
    changes = world.scalars(
        select(ConversationEvent)
        .where(ConversationEvent.conversation_id == conversation_id)
        .order_by(ConversationEvent.id)
    ).all()
    assert [(c.before, c.after) for c in changes] == [("new", "resolved"), ("resolved", "open")]
    assert client.patch(path, json={"status": "archived"}, headers=agent).status_code == 422
    assert client.patch(path, json={"priority": 0}, headers=agent).status_code == 422
    assert client.patch(path, json={"status": "closed"}, headers=token_for("qa@lumen.example")).status_code == 403


def test_notes_stay_inside(client: TestClient, token_for: Headers, conversation_id: str) -> None:
    agent = token_for("agent@lumen.example")
    note = client.post(
        f"/api/v1/conversations/{conversation_id}/notes", json={"text": "Courier says Tuesday."}, headers=agent
    )
    assert note.status_code == 201
    detail = client.get(f"/api/v1/conversations/{conversation_id}", headers=agent).json()
    assert [n["text"] for n in detail["notes"]] == ["Courier says Tuesday."]
    assert all("Courier" not in (i["text"] or "") for i in detail["interactions"])
    empty = client.post(f"/api/v1/conversations/{conversation_id}/notes", json={"text": ""}, headers=agent)
    assert empty.status_code == 422


def test_attachments_are_checked_stored_and_scoped(
    client: TestClient, token_for: Headers, world: Session, conversation_id: str
) -> None:
    agent = token_for("agent@lumen.example")
    path = f"/api/v1/conversations/{conversation_id}/attachments"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    uploaded = client.post(path, files={"file": ("../../etc/photo.png", png, "image/png")}, headers=agent)
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert body["filename"] == "photo.png"
    assert body["size"] == len(png)
    download = client.get(f"/api/v1/attachments/{body['id']}", headers=agent)
    assert download.content == png
    assert download.headers["content-type"] == "image/png"
    liar = client.post(path, files={"file": ("x.pdf", png, "application/pdf")}, headers=agent)
    assert liar.status_code == 415
    assert (
        client.post(path, files={"file": ("x.exe", b"MZ", "application/x-msdownload")}, headers=agent).status_code
        == 415
    )
    assert client.post(path, files={"file": ("x.txt", b"", "text/plain")}, headers=agent).status_code == 422
    assert (
        client.get(f"/api/v1/attachments/{body['id']}", headers=token_for("agent@pacific.example")).status_code == 404
    )


def test_a_too_large_attachment_is_refused_before_it_is_read(
    client: TestClient, token_for: Headers, conversation_id: str
) -> None:
    agent = token_for("agent@lumen.example")
    big = b"a" * (Settings().attachment_max_bytes + 1)
    response = client.post(
        f"/api/v1/conversations/{conversation_id}/attachments",
        files={"file": ("big.txt", big, "text/plain")},
        headers=agent,
    )
    assert response.status_code == 413


class FlakySms:
    """A channel that fails the first `failures` deliveries."""

    name = "test-sms"
    replies_to = ("sms",)

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[Outbound] = []

    def parse_inbound(self, raw: bytes, *, content_type: str | None) -> list[InteractionCreate]:
        return []

    def send(self, outbound: Outbound, *, settings: Settings) -> Delivered:
        if self.failures:
            self.failures -= 1
            raise ConnectionRefusedError("gateway down")
        self.sent.append(outbound)
        return Delivered("sent")


@pytest.fixture
def flaky_sms(monkeypatch: pytest.MonkeyPatch) -> FlakySms:
    adapters = channel_adapter.adapters()
    flaky = FlakySms(failures=1)
    monkeypatch.setattr(channel_adapter, "_ADAPTERS", {**adapters, flaky.name: flaky})
    return flaky


def _run_due_jobs(session_factory: sessionmaker[Session], world: Session) -> None:
    for job in world.scalars(select(Job).where(Job.status == "queued")):
        job.run_at = job.created_at  # due now: the test does not wait for the backoff
    world.commit()
    while run_one(session_factory, worker_id="test", lease_seconds=60):
        pass


def test_a_reply_is_delivered_by_a_job_retried_and_its_failure_shown_meanwhile(
    client: TestClient,
    token_for: Headers,
    world: Session,
    session_factory: sessionmaker[Session],
    conversation_id: str,
    flaky_sms: FlakySms,
) -> None:
    agent = token_for("agent@lumen.example")
    reply = client.post(
        f"/api/v1/conversations/{conversation_id}/replies",
        json={"text": "A new one ships today.", "status": "pending_customer", "handle_seconds": 95},
        headers=agent,
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["delivery_status"] == "queued"
    assert flaky_sms.sent == []  # nothing leaves before the commit and the job
    _run_due_jobs(session_factory, world)
    failed = client.get(f"/api/v1/conversations/{conversation_id}", headers=agent).json()
    outbound = next(i for i in failed["interactions"] if i["direction"] == "outbound")
    assert outbound["delivery_status"] == "retrying"
    assert "gateway down" in outbound["delivery_error"]
    _run_due_jobs(session_factory, world)
    delivered = client.get(f"/api/v1/conversations/{conversation_id}", headers=agent).json()
    outbound = next(i for i in delivered["interactions"] if i["direction"] == "outbound")
    assert outbound["delivery_status"] == "sent"
    assert outbound["handle_seconds"] == 95
    assert delivered["status"] == "pending_customer"
    assert delivered["first_response_at"] is not None
    assert [o.interaction.text for o in flaky_sms.sent] == ["A new one ships today."]


def test_a_reply_goes_by_e_mail_where_the_channel_takes_none(
    client: TestClient, token_for: Headers, world: Session, conversation_id: str
) -> None:
    agent = token_for("agent@lumen.example")
    reply = client.post(
        f"/api/v1/conversations/{conversation_id}/replies", json={"text": "Sent you a label."}, headers=agent
    )
    assert reply.status_code == 201
    interaction = world.get(Interaction, reply.json()["id"])
    assert interaction is not None
    assert interaction.channel == "email"
    assert interaction.extra["recipient"] == "jane.doe@example.com"


def test_partners_answer_only_what_is_queued_for_them(
    client: TestClient, token_for: Headers, world: Session, conversation_id: str
) -> None:
    path = f"/api/v1/conversations/{conversation_id}/replies"
    partner = token_for("agent@atlantic.example")
    assert client.post(path, json={"text": "Hi"}, headers=partner).status_code == 404
    queue_for(world, conversation_id, "Atlantic CX")
    assert client.post(path, json={"text": "Hi"}, headers=partner).status_code == 201
    queue_for(world, conversation_id, "Lumen Care")
    assert client.post(path, json={"text": "Hi again"}, headers=partner).status_code == 403
    assert client.post(path, json={"text": "Hi"}, headers=token_for("qa@lumen.example")).status_code == 403


def test_filters(client: TestClient, token_for: Headers, conversation_id: str) -> None:
    admin = token_for("admin@lumen.example")
    found = client.get("/api/v1/conversations", params={"updated_since": "2020-01-01T00:00:00Z"}, headers=admin)
    assert [c["id"] for c in found.json()["items"]] == [conversation_id]
    later = client.get("/api/v1/conversations", params={"updated_since": "2999-01-01T00:00:00+00:00"}, headers=admin)
    assert later.json()["items"] == []
    naive = client.get("/api/v1/conversations", params={"updated_since": "2026-01-01T00:00:00"}, headers=admin)
    assert naive.status_code == 422
    assert client.get("/api/v1/conversations", params={"organisation_id": "x"}, headers=admin).json()["items"] == []
