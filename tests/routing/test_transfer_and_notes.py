"""Handing a conversation on, starting a reply from a canned response, and mentioning a colleague in a note."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.jobs.models import Job
from cxhub.routing.dispatch import dispatch
from cxhub.routing.models import Assignment
from tests.conftest import csrf_from

from .test_routing_api import ADMIN, at_local, conversation, post


def _darragh_has(client: TestClient, world: Session, token_for: Any, n: int) -> str:
    """An e-mail that Darragh Doyle (Dublin Care) holds."""
    client.put("/api/v1/me/presence", json={"presence": "away"}, headers=token_for("lead@lumen.example"))
    conversation_id = post(
        client,
        token_for(ADMIN),
        channel="email",
        external_id=f"<transfer-{n}@example.ie>",
        customer={"email": f"transfer{n}@example.ie", "name": "Orla Byrne"},
        subject="Showroom visit",
        text="Hello, can I book a design consultation in the Dublin showroom next week please?",
    )
    dispatch(world, now=at_local("Europe/Dublin", 10))
    world.commit()
    assert conversation(client, token_for(ADMIN), conversation_id)["assignment"]["agent"]["name"] == "Darragh Doyle"
    return conversation_id


def _id_of(client: TestClient, headers: dict[str, str], path: str, name: str, key: str = "name") -> str:
    items = client.get(path, params={"limit": 200}, headers=headers).json()["items"]
    return str(next(i["id"] for i in items if i[key] == name))


@pytest.mark.postgres
def test_a_transfer_to_an_agent_ends_the_assignment_and_gives_it_to_them(
    client: TestClient, world: Session, token_for: Any
) -> None:
    conversation_id = _darragh_has(client, world, token_for, 1)
    agent = token_for("agent@lumen.example")
    seán = next(
        a["id"]
        for a in client.get("/api/v1/agents", params={"limit": 200}, headers=agent).json()["items"]
        if a["id"] != conversation(client, agent, conversation_id)["assignment"]["agent"]["id"]
        and a["team_id"] == conversation(client, agent, conversation_id)["assignment"]["team"]["id"]
    )
    moved = client.post(f"/api/v1/conversations/{conversation_id}/transfer", json={"agent_id": seán}, headers=agent)
    assert moved.status_code == 200, moved.text
    assert moved.json()["routing_status"] == "assigned"
    assert conversation(client, agent, conversation_id)["assignment"]["agent"]["name"] == "Seán Murphy"
    history = world.scalars(
        select(Assignment).where(Assignment.conversation_id == conversation_id).order_by(Assignment.id)
    ).all()
    assert [(a.rule, a.ended_at is not None) for a in history] == [("share", True), ("transfer", False)]


@pytest.mark.postgres
def test_a_transfer_to_a_queue_routes_it_afresh(client: TestClient, world: Session, token_for: Any) -> None:
    conversation_id = _darragh_has(client, world, token_for, 2)
    headers = token_for(ADMIN)
    queue_id = _id_of(client, headers, "/api/v1/queues", "Chat")
    moved = client.post(
        f"/api/v1/conversations/{conversation_id}/transfer", json={"queue_id": queue_id}, headers=headers
    )
    assert moved.json() == {"conversation_id": conversation_id, "routing_status": "queued"}
    found = conversation(client, headers, conversation_id)
    assert (found["assignment"]["agent"], found["assignment"]["queue"]["name"]) == (None, "Chat")


def test_a_partner_hands_on_to_a_queue_not_to_another_organisations_team(
    client: TestClient, world: Session, token_for: Any
) -> None:
    headers = token_for(ADMIN)
    conversation_id = post(
        client,
        headers,
        channel="chat",
        external_id="chat-transfer-pt",
        customer={"visitor_id": "visitor-transfer-pt"},
        text="Olá, a minha encomenda chegou incompleta, falta uma peça",
    )
    dispatch(world, now=at_local("Europe/Lisbon", 11))
    world.commit()
    partner = token_for("agent@atlantic.example")
    dublin = _id_of(client, headers, "/api/v1/teams", "Dublin Care")
    refused = client.post(
        f"/api/v1/conversations/{conversation_id}/transfer", json={"team_id": dublin}, headers=partner
    )
    assert refused.status_code == 422
    assert "outside your organisation" in refused.text
    nothing = client.post(f"/api/v1/conversations/{conversation_id}/transfer", json={}, headers=partner)
    assert nothing.status_code == 422


def test_a_canned_response_is_offered_on_the_reply_form_with_names_filled_in(
    client: TestClient, world: Session, token_for: Any, login: Any
) -> None:
    made = client.post(
        "/api/v1/canned-responses",
        json={"title": "Delivery slots", "text": "Hello {customer_name}, pick a slot here. {agent_name}"},
        headers=token_for("lead@lumen.example"),
    )
    assert made.status_code == 201, made.text
    refused = client.post(
        "/api/v1/canned-responses", json={"title": "Mine", "text": "x"}, headers=token_for("lead@atlantic.example")
    )
    assert refused.status_code == 403
    conversation_id = _darragh_has(client, world, token_for, 3)
    page = login("agent@lumen.example").get(f"/conversations/{conversation_id}")
    assert "Hello Orla, pick a slot here. Darragh" in page.text
    listed = client.get("/api/v1/canned-responses", headers=token_for("agent@atlantic.example")).json()["items"]
    assert [c["title"] for c in listed] == ["Delivery slots"]


def test_a_mention_reaches_the_colleagues_inbox_and_an_outsider_cannot_be_mentioned(
    client: TestClient, world: Session, token_for: Any, login: Any
) -> None:
    conversation_id = _darragh_has(client, world, token_for, 4)
    agent = token_for("agent@lumen.example")
    note = client.post(
        f"/api/v1/conversations/{conversation_id}/notes",
        json={"text": "@lead@lumen.example can we offer a Saturday slot?"},
        headers=agent,
    )
    assert note.status_code == 201, note.text
    assert world.scalars(select(Job).where(Job.name == "conversations.notify_mention")).one().payload["user_id"]
    inbox = login("lead@lumen.example").get("/inbox").text
    assert "can we offer a Saturday slot?" in inbox
    outsider = client.post(
        f"/api/v1/conversations/{conversation_id}/notes",
        json={"text": "@agent@pacific.example have a look"},
        headers=agent,
    )
    assert outsider.status_code == 422
    assert "cannot see this conversation" in outsider.text
    unknown = client.post(
        f"/api/v1/conversations/{conversation_id}/notes", json={"text": "@nobody@example.com hello"}, headers=agent
    )
    assert unknown.status_code == 422


def test_the_conversation_page_transfers_through_its_form(
    client: TestClient, world: Session, token_for: Any, login: Any
) -> None:
    conversation_id = _darragh_has(client, world, token_for, 5)
    page = login("agent@lumen.example")
    form = page.get(f"/conversations/{conversation_id}/_transfer", headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert "A queue (routed afresh)" in form.text
    queue_id = _id_of(client, token_for(ADMIN), "/api/v1/queues", "E-mail")
    token = csrf_from(page.get(f"/conversations/{conversation_id}").text)
    moved = page.post(
        f"/conversations/{conversation_id}/transfer",
        data={"target": f"queue:{queue_id}", "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert conversation(client, token_for(ADMIN), conversation_id)["routing_status"] == "queued"


def test_an_agent_puts_a_conversation_on_another_touchpoint_from_its_page(
    client: TestClient, world: Session, token_for: Any, login: Any
) -> None:
    conversation_id = _darragh_has(client, world, token_for, 6)
    page = login("agent@lumen.example")
    form = page.get(f"/conversations/{conversation_id}/_touchpoint", headers={"HX-Request": "true"})
    assert form.status_code == 200
    billing = _id_of(client, token_for(ADMIN), "/api/v1/touchpoints", "billing")
    token = csrf_from(page.get(f"/conversations/{conversation_id}").text)
    moved = page.post(
        f"/conversations/{conversation_id}/touchpoint",
        data={"touchpoint_id": billing, "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert conversation(client, token_for(ADMIN), conversation_id)["touchpoint"]["name"] == "billing"
    refused = page.post(
        f"/conversations/{conversation_id}/touchpoint", data={"touchpoint_id": "0" * 26, "csrf_token": token}
    )
    assert refused.status_code == 422
