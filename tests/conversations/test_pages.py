"""Conversation and channel pages as staff use them: thread, reply, notes, status, files, timeline, dead letters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cxhub.channels.models import ChannelSource
from cxhub.conversations.models import Conversation, Interaction
from cxhub.conversations.schemas import InteractionCreate
from cxhub.conversations.service import keep_dead_letter, record_interaction
from cxhub.customers.models import CustomerIdentity
from cxhub.kit.time import utcnow
from tests.builders import queue_for
from tests.conftest import csrf_from

Login = Callable[..., TestClient]
QUOTED = (
    "Thanks, that works.\n\nOn Mon, 23 Nov 2026 at 09:00, Lumen Care <care@lumen.example> wrote:\n"
    "> Your parcel left today."
)


def _record(world: Session, n: int, *, email: str = "jane.doe@example.com", text: str = "Hello", **extra: Any) -> str:
    interaction_create = InteractionCreate.model_validate(
        {
            "channel": "email",
            "external_id": f"<page-{n}@example.com>",
            "occurred_at": f"2026-11-2{n % 10}T09:00:00+00:00",
            "direction": "inbound",
            "customer": {"email": email, "name": "Jane Doe"},
            "subject": "Broken lamp",
            "text": text,
            **extra,
        }
    )
    recorded = record_interaction(world, interaction_create=interaction_create)
    world.commit()
    return recorded.interaction.conversation_id


def test_the_thread_shows_new_text_and_keeps_the_quote_behind_a_toggle(login: Login, world: Session) -> None:
    conversation_id = _record(world, 1, text=QUOTED)
    client = login("agent@lumen.example")
    listing = client.get("/conversations")
    assert "Broken lamp" in listing.text
    assert "Jane Doe" in listing.text
    page = client.get(f"/conversations/{conversation_id}")
    assert page.status_code == 200
    thread = page.text.split('id="thread"')[1].split("</ol>")[0]
    assert "Thanks, that works." in thread
    assert "Show the full message" in thread
    assert "Your parcel left today." in thread.split("<details>")[1]  # only inside the toggle
    assert client.get("/conversations", params={"status": "resolved"}).text.count("Broken lamp") == 0


def test_a_reply_from_the_page_is_recorded_and_queued_for_delivery(login: Login, world: Session) -> None:
    conversation_id = _record(world, 2)
    client = login("agent@lumen.example")
    page = client.get(f"/conversations/{conversation_id}")
    response = client.post(
        f"/conversations/{conversation_id}/reply",
        data={
            "csrf_token": csrf_from(page.text),
            "text": "A new lamp is on its way.",
            "status": "pending_customer",
            "handle_minutes": "4.5",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    reply = world.scalar(select(Interaction).where(Interaction.direction == "outbound"))
    assert reply is not None
    assert reply.text == "A new lamp is on its way."
    assert reply.handle_seconds == 270
    assert reply.delivery_status == "queued"
    shown = client.get(f"/conversations/{conversation_id}").text
    assert "A new lamp is on its way." in shown
    assert "pending customer" in shown


def test_a_refused_reply_keeps_what_was_typed(login: Login, world: Session) -> None:
    conversation_id = _record(world, 3, email="bounced@example.com")
    world.execute(update(CustomerIdentity).values(undeliverable_at=utcnow(), undeliverable_reason="550 no such user"))
    world.commit()
    client = login("agent@lumen.example")
    page = client.get(f"/conversations/{conversation_id}")
    response = client.post(
        f"/conversations/{conversation_id}/reply",
        data={"csrf_token": csrf_from(page.text), "text": "Please send a photo of the lamp."},
    )
    assert response.status_code == 422
    assert "The reply was not sent" in response.text
    assert "Please send a photo of the lamp.</textarea>" in response.text
    assert "undeliverable" in response.text
    assert world.scalar(select(Interaction).where(Interaction.direction == "outbound")) is None


def test_notes_status_and_files_from_the_page(login: Login, world: Session) -> None:
    conversation_id = _record(world, 4)
    client = login("lead@lumen.example")
    token = csrf_from(client.get(f"/conversations/{conversation_id}").text)
    client.post(f"/conversations/{conversation_id}/notes", data={"csrf_token": token, "text": "Customer is a VIP."})
    client.post(
        f"/conversations/{conversation_id}/status",
        data={"csrf_token": token, "status": "resolved", "priority": "2", "tags": "lamp, warranty"},
    )
    uploaded = client.post(
        f"/conversations/{conversation_id}/attachments",
        files={"file": ("label.pdf", b"%PDF-1.4 label", "application/pdf")},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert uploaded.status_code == 200
    assert 'name="attachment_ids"' in uploaded.text
    refused = client.post(
        f"/conversations/{conversation_id}/attachments",
        files={"file": ("x.pdf", b"not a pdf at all \x89PNG", "image/png")},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert 'role="alert"' in refused.text
    page = client.get(f"/conversations/{conversation_id}").text
    assert "Customer is a VIP." in page
    assert '<dd data-testid="status">resolved</dd>' in page
    assert 'value="lamp, warranty"' in page
    conversation = world.get(Conversation, conversation_id)
    assert conversation is not None
    world.refresh(conversation)
    assert conversation.priority == 2


def test_partners_see_other_providers_work_on_the_timeline_as_a_summary(login: Login, world: Session) -> None:
    ours = _record(world, 5, text="Lamp flickers")
    theirs = _record(world, 6, text="Where is my refund?", subject="Refund", thread_ref="refund-thread")
    queue_for(world, theirs, "Atlantic CX")
    queue_for(world, ours, "Lumen Care")
    customer_id = world.get(Conversation, ours).customer_id  # type: ignore[union-attr]
    partner = login("agent@atlantic.example")
    page = partner.get(f"/customers/{customer_id}")
    assert page.status_code == 200
    assert "Where is my refund?" in page.text
    assert "Lamp flickers" not in page.text
    assert "summary only" in page.text
    assert "Jane D." in page.text
    assert "jane.doe@example.com" not in page.text
    assert login("agent@pacific.example").get(f"/customers/{customer_id}").status_code == 404
    director = login("director@lumen.example").get(f"/customers/{customer_id}")
    assert "Lamp flickers" in director.text
    assert "Where is my refund?" in director.text


def test_sources_show_their_secret_once_and_dead_letters_replay(login: Login, world: Session) -> None:
    client = login("admin@lumen.example")
    page = client.get("/channels")
    created = client.post(
        "/channels/sources", data={"csrf_token": csrf_from(page.text), "name": "phones", "adapter": "api"}
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    source = world.scalar(select(ChannelSource).where(ChannelSource.name == "phones"))
    assert source is not None
    assert source.secret in created.text
    assert source.secret not in client.get("/channels").text
    letter = keep_dead_letter(
        world,
        source="api.interactions",
        content_type="application/json",
        raw=b'{"channel": "chat", "external_id": "c-1", "occurred_at": "2026-11-20T10:00:00+00:00",'
        b' "direction": "inbound", "customer": {"visitor_id": "v-1"}, "text": "hi"}',
        reason="the database was down",
    )
    world.commit()
    listed = client.get("/channels")
    assert "the database was down" in listed.text
    replayed = client.post(f"/channels/dead-letters/{letter.id}/replay", data={"csrf_token": csrf_from(listed.text)})
    assert replayed.status_code == 200
    assert "recorded 1 interaction(s)" in replayed.text
    assert world.scalar(select(Interaction).where(Interaction.external_id == "c-1")) is not None
    assert login("agent@lumen.example").get("/channels").status_code == 403
