"""The generic intake: one object, a batch or NDJSON; retries are no-ops; bad items change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxhub.conversations.models import Conversation, Interaction
from cxhub.customers.models import Customer, CustomerIdentity

Headers = Callable[[str], dict[str, str]]


def _email(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "channel": "email",
        "external_id": f"<msg-{n}@example.com>",
        "occurred_at": "2026-11-20T09:00:00+00:00",
        "direction": "inbound",
        "customer": {"email": "Jane.Doe@Example.com", "name": "Jane Doe"},
        "subject": "Where is my order?",
        "text": "Hello",
        **extra,
    }


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.postgres
def test_one_interaction_then_its_retry(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    first = client.post("/api/v1/interactions", json=_email(), headers=admin)
    assert first.status_code == 201, first.text
    assert first.json()["duplicate"] is False
    again = client.post("/api/v1/interactions", json=_email(), headers=admin)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    changed = client.post("/api/v1/interactions", json=_email(text="Different"), headers=admin)
    assert changed.status_code == 409
    assert _count(world, Interaction) == 1


def test_same_customer_by_normalised_identifiers_and_threads(
    client: TestClient, token_for: Headers, world: Session
) -> None:
    admin = token_for("admin@lumen.example")
    a = client.post("/api/v1/interactions", json=_email(1), headers=admin).json()
    b = client.post(
        "/api/v1/interactions",
        json=_email(2, customer={"email": "jane.doe@example.com", "phone": "+353 87 123 4567"}),
        headers=admin,
    ).json()
    assert a["customer_id"] == b["customer_id"]
    assert a["conversation_id"] == b["conversation_id"]  # the customer's open e-mail conversation
    c = client.post(
        "/api/v1/interactions",
        json={
            **_email(3),
            "channel": "voice",
            "customer": {"phone": "087 123 4567", "country": "IE"},
            "voice": {"queue_seconds": 12, "talk_seconds": 240},
        },
        headers=admin,
    ).json()
    assert c["customer_id"] == a["customer_id"]
    assert c["conversation_id"] != a["conversation_id"]
    values = set(world.scalars(select(CustomerIdentity.value)).all())
    assert values == {"jane.doe@example.com", "+353871234567"}
    assert _count(world, Customer) == 1


def test_batch_stores_valid_items_and_reports_bad_ones(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    batch = [
        _email(1),
        {**_email(2), "occurred_at": "2026-11-20T09:00:00"},
        _email(3, customer={"name": "No Id"}),
        {
            **_email(4),
            "channel": "commerce",
            "customer": {"seller": "Marketplace X", "customer_ref": "C-77"},
            "order_ref": "O-1",
        },
    ]
    response = client.post("/api/v1/interactions", json=batch, headers=admin)
    assert response.status_code == 200
    items = response.json()["items"]
    assert items[0]["duplicate"] is False
    assert items[1]["error"]["status"] == 422
    assert items[1]["error"]["errors"][0]["field"] == "occurred_at"
    assert items[2]["error"]["status"] == 422
    assert "interaction_id" in items[3]
    assert _count(world, Interaction) == 2
    commerce = world.get(Conversation, items[3]["conversation_id"])
    assert commerce is not None
    assert commerce.needs_answer is False


def test_ndjson_stream(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    body = "\n".join(json.dumps(_email(n)) for n in range(5)) + "\n"
    response = client.post(
        "/api/v1/interactions", content=body.encode(), headers={**admin, "Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 200
    assert [i["duplicate"] for i in response.json()["items"]] == [False] * 5
    assert _count(world, Interaction) == 5


def test_garbage_and_limits(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    assert (
        client.post(
            "/api/v1/interactions", content=b"{nope", headers={**admin, "Content-Type": "application/json"}
        ).status_code
        == 422
    )
    assert (
        client.post("/api/v1/interactions", content=b"x", headers={**admin, "Content-Type": "text/plain"}).status_code
        == 415
    )
    assert client.post("/api/v1/interactions", json=[_email(n) for n in range(1001)], headers=admin).status_code == 422
    assert client.post("/api/v1/interactions", json={**_email(), "surprise": 1}, headers=admin).status_code == 422
    assert _count(world, Interaction) == 0


def test_only_those_with_the_permission_send(client: TestClient, token_for: Headers) -> None:
    assert (
        client.post("/api/v1/interactions", json=_email(), headers=token_for("agent@lumen.example")).status_code == 403
    )


@pytest.mark.postgres
def test_partner_sees_only_conversations_of_their_organisation(
    client: TestClient, token_for: Headers, world: Session
) -> None:
    from cxhub.conversations.service import assign_conversation
    from cxhub.workforce.models import Organisation

    admin = token_for("admin@lumen.example")
    ours = client.post("/api/v1/interactions", json=_email(1), headers=admin).json()
    theirs = client.post(
        "/api/v1/interactions", json={**_email(2), "channel": "chat", "customer": {"visitor_id": "v-9"}}, headers=admin
    ).json()
    atlantic = world.scalar(select(Organisation).where(Organisation.name == "Atlantic CX"))
    assert atlantic is not None
    conversation = world.get(Conversation, theirs["conversation_id"])
    assert conversation is not None
    assign_conversation(world, conversation=conversation, organisation_id=atlantic.id)
    world.commit()
    agent = token_for("agent@atlantic.example")
    listed = client.get("/api/v1/conversations", headers=agent).json()["items"]
    assert [c["id"] for c in listed] == [theirs["conversation_id"]]
    assert client.get(f"/api/v1/conversations/{ours['conversation_id']}", headers=agent).status_code == 404
    assert client.get(f"/api/v1/conversations/{theirs['conversation_id']}", headers=agent).status_code == 200
    director = client.get("/api/v1/conversations", headers=token_for("director@lumen.example")).json()["items"]
    assert len(director) == 2


def test_an_unparseable_body_is_kept_as_a_dead_letter(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    raw = b'{"channel": "email", "external_id": '
    response = client.post("/api/v1/interactions", content=raw, headers={**admin, "Content-Type": "application/json"})
    assert response.status_code == 422
    assert "kept as dead letter" in response.json()["detail"]
    letters = client.get("/api/v1/dead-letters", headers=admin).json()["items"]
    assert letters[0]["size"] == len(raw)
    assert letters[0]["source"] == "api.interactions"
    assert "not valid JSON" in letters[0]["reason"]
    assert client.get("/api/v1/dead-letters", headers=token_for("director@lumen.example")).status_code == 403


@pytest.mark.postgres
def test_assignment_by_hand_and_partner_boundaries(client: TestClient, token_for: Headers, world: Session) -> None:
    from cxhub.workforce.models import Agent, Organisation

    admin = token_for("admin@lumen.example")
    created = client.post("/api/v1/interactions", json=_email(1), headers=admin).json()
    path = f"/api/v1/conversations/{created['conversation_id']}"
    orgs = {o.name: o.id for o in world.scalars(select(Organisation))}
    tiago = world.scalar(select(Agent).where(Agent.organisation_id == orgs["Atlantic CX"]).order_by(Agent.id))
    assert tiago is not None
    lead = token_for("lead@atlantic.example")
    assert client.get(path, headers=lead).status_code == 404  # not theirs yet
    lumen_lead = token_for("lead@lumen.example")
    bad = client.put(
        f"{path}/assignment",
        headers=lumen_lead,
        json={"organisation_id": orgs["Pacific Contact"], "agent_id": tiago.id},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "agent_id"
    queued = client.put(f"{path}/assignment", headers=lumen_lead, json={"organisation_id": orgs["Atlantic CX"]})
    assert queued.status_code == 200
    assert queued.json()["organisation_id"] == orgs["Atlantic CX"]
    mine = client.put(
        f"{path}/assignment", headers=lead, json={"organisation_id": orgs["Atlantic CX"], "agent_id": tiago.id}
    )
    assert mine.json()["agent_id"] == tiago.id
    assert mine.json()["status"] == "open"
    away = client.put(f"{path}/assignment", headers=lead, json={"organisation_id": orgs["Lumen Care"]})
    assert away.status_code == 422  # a partner assigns only within their own organisation
    client.put(f"{path}/assignment", headers=lumen_lead, json={"organisation_id": orgs["Lumen Care"]})
    assert client.get(path, headers=lead).status_code == 200  # once handled: still readable
    left = client.put(f"{path}/assignment", headers=lead, json={"organisation_id": orgs["Atlantic CX"]})
    assert left.status_code == 403  # ... but no longer theirs to change
    assert client.get(path, headers=token_for("agent@pacific.example")).status_code == 404
