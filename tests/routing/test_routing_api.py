"""Routing through the API: new work is classified, queued and handed to the right agent by the dispatch job."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import cxhub.routing.tasks  # noqa: F401  registers the dispatch job
from cxhub.jobs.service import registered_tasks
from cxhub.routing.dispatch import dispatch

ADMIN = "admin@lumen.example"


def post(client: TestClient, headers: dict[str, str], **fields: Any) -> str:
    body = {"direction": "inbound", "occurred_at": dt.datetime.now(dt.UTC).isoformat(), **fields}
    response = client.post("/api/v1/interactions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    conversation_id: str = response.json()["conversation_id"]
    return conversation_id


def run_dispatch(world: Session, at: dt.datetime | None = None) -> None:
    """What a worker runs every second; with `at`, as if it ran then."""
    if at is None:
        registered_tasks()["routing.dispatch"](world, {})
    else:
        dispatch(world, now=at)
    world.commit()


def conversation(client: TestClient, headers: dict[str, str], conversation_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def at_local(zone: str, hour: int) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(2026, 12, 2, hour, 0, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)  # a Wednesday


@pytest.mark.postgres
def test_a_portuguese_chat_lands_at_the_lisbon_partner(client: TestClient, world: Session, token_for: Any) -> None:
    headers = token_for(ADMIN)
    conversation_id = post(
        client,
        headers,
        channel="chat",
        external_id="chat-pt-1",
        customer={"visitor_id": "visitor-pt-1"},
        text="Olá, onde está a minha encomenda 3099? Já passaram duas semanas.",
    )
    assert conversation(client, headers, conversation_id)["routing_status"] == "pending"
    run_dispatch(world, at=at_local("Europe/Lisbon", 11))
    found = conversation(client, headers, conversation_id)
    assert found["language"] == "pt"
    assert found["touchpoint"]["name"] == "order status"
    assert found["assignment"]["queue"]["name"] == "Chat"
    assert found["assignment"]["organisation"]["name"] == "Atlantic CX"
    assert found["assignment"]["team"]["name"] == "Lisbon Multilingual"
    assert found["assignment"]["agent"]["name"] in ("Tiago Ferreira", "Inês Carvalho")
    assert found["routing_status"] == "assigned"
    partner = token_for("agent@atlantic.example")
    assert conversation(client, partner, conversation_id)["assignment"]["organisation"]["name"] == "Atlantic CX"


@pytest.mark.postgres
def test_a_night_time_email_goes_to_manila(client: TestClient, world: Session, token_for: Any) -> None:
    headers = token_for(ADMIN)
    conversation_id = post(
        client,
        headers,
        channel="email",
        external_id="<night-1@example.ie>",
        customer={"email": "night.owl@example.ie", "country": "IE"},
        subject="My lamp flickers",
        text="Hello, the lamp I bought last month flickers every evening. What can I do?",
    )
    run_dispatch(world, at=at_local("Europe/Dublin", 3))
    found = conversation(client, headers, conversation_id)
    assert found["assignment"]["organisation"]["name"] == "Pacific Contact"
    assert found["assignment"]["team"]["name"] == "Manila 24/7"
    assert found["assignment"]["agent"]["name"] == "Maria Santos"


@pytest.mark.postgres
def test_an_account_customers_email_goes_to_the_named_owner(client: TestClient, world: Session, token_for: Any) -> None:
    headers = token_for(ADMIN)
    conversation_id = post(
        client,
        headers,
        channel="email",
        external_id="<account-1@example.com>",
        customer={"seller": "Homeplace Retail", "customer_ref": "HP-777", "email": "buyer@example.com"},
        subject="Where is my order?",
        text="Hi, I ordered three lamps through Homeplace and they have not arrived yet.",
    )
    run_dispatch(world, at=at_local("Europe/Dublin", 10))
    found = conversation(client, headers, conversation_id)
    assert found["assignment"]["agent"]["name"] == "Darragh Doyle"  # the owner, ahead of the order-status partners


@pytest.mark.postgres
def test_a_customer_in_australia_who_asks_for_a_local_agent_gets_sydney(
    client: TestClient, world: Session, token_for: Any
) -> None:
    headers = token_for(ADMIN)
    conversation_id = post(
        client,
        headers,
        channel="chat",
        external_id="chat-au-1",
        customer={"visitor_id": "visitor-au-1", "country": "AU"},
        text="Hi there, my order has not arrived in Melbourne yet",
        metadata={"local_agent": "yes"},
    )
    run_dispatch(world, at=at_local("Australia/Sydney", 10))
    found = conversation(client, headers, conversation_id)
    assert found["assignment"]["team"]["name"] == "Sydney Local"


@pytest.mark.postgres
def test_with_nobody_available_the_item_waits_queued_at_a_team_then_is_taken(
    client: TestClient, world: Session, token_for: Any
) -> None:
    atlantic = token_for("agent@atlantic.example")
    lead = token_for("lead@atlantic.example")
    for who in (atlantic, lead):
        assert client.put("/api/v1/me/presence", json={"presence": "away"}, headers=who).status_code == 200
    headers = token_for(ADMIN)
    conversation_id = post(
        client,
        headers,
        channel="chat",
        external_id="chat-pt-2",
        customer={"visitor_id": "visitor-pt-2"},
        text="Boa tarde, quero devolver o candeeiro que comprei",
    )
    run_dispatch(world, at=at_local("Europe/Lisbon", 11))
    found = conversation(client, headers, conversation_id)
    assert found["routing_status"] == "queued"
    assert found["assignment"]["agent"] is None
    assert found["assignment"]["organisation"]["name"] == "Atlantic CX"  # only Lisbon speaks Portuguese
    queues = client.get("/api/v1/queues", headers=lead).json()["items"]
    chat = next(q for q in queues if q["name"] == "Chat")
    assert chat["waiting"] == 1
    assert {t["team_id"] for t in chat["teams"]} == {found["assignment"]["team"]["id"]}  # a partner sees its own
    assert client.put("/api/v1/me/presence", json={"presence": "available"}, headers=atlantic).status_code == 200
    run_dispatch(world, at=at_local("Europe/Lisbon", 11))
    assert conversation(client, headers, conversation_id)["assignment"]["agent"]["name"] == "Tiago Ferreira"


@pytest.mark.postgres
def test_get_next_takes_the_oldest_most_urgent_item_the_agent_may_serve(
    client: TestClient, world: Session, token_for: Any
) -> None:
    headers = token_for(ADMIN)
    queue = client.post(
        "/api/v1/queues",
        json={
            "name": "Pulled e-mail",
            "channel": "email",
            "mode": "pull",
            "teams": [{"team_id": _team_id(client, headers, "Dublin Care")}],
        },
        headers=headers,
    )
    assert queue.status_code == 201, queue.text
    ids = []
    for n, priority_text in enumerate(["first", "second"]):
        ids.append(
            post(
                client,
                headers,
                channel="email",
                external_id=f"<pull-{n}@example.ie>",
                customer={"email": f"pull{n}@example.ie"},
                subject=f"Question {priority_text}",
                text="Hello, I have a question about the opening hours of your shop please.",
                occurred_at=(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10 - n)).isoformat(),
            )
        )
    run_dispatch(world, at=at_local("Europe/Dublin", 10))  # pull queues are never pushed
    assert conversation(client, headers, ids[0])["routing_status"] == "queued"
    agent = token_for("agent@lumen.example")
    taken = client.post("/api/v1/me/next", headers=agent)
    assert taken.status_code == 200, taken.text
    assert taken.json()["conversation_id"] == ids[0]
    assert conversation(client, headers, ids[0])["assignment"]["agent"]["name"] == "Darragh Doyle"
    assert client.post("/api/v1/me/next", headers=agent).json()["conversation_id"] == ids[1]
    assert client.post("/api/v1/me/next", headers=agent).json() == {"conversation_id": None, "queue_id": None}


def _team_id(client: TestClient, headers: dict[str, str], name: str) -> str:
    teams = client.get("/api/v1/teams", params={"limit": 200}, headers=headers).json()["items"]
    return next(t["id"] for t in teams if t["name"] == name)


def test_a_queue_whose_shares_do_not_add_up_is_refused(client: TestClient, world: Session, token_for: Any) -> None:
    headers = token_for(ADMIN)
    body = {"name": "Broken", "teams": [{"team_id": _team_id(client, headers, "Dublin Care"), "share": 0.5}]}
    response = client.post("/api/v1/queues", json=body, headers=headers)
    assert response.status_code == 422
    assert "add up to 1" in response.text


def test_a_partner_cannot_configure_queues(client: TestClient, world: Session, token_for: Any) -> None:
    response = client.post("/api/v1/queues", json={"name": "Mine"}, headers=token_for("lead@atlantic.example"))
    assert response.status_code == 403


def test_history_is_not_routed(client: TestClient, world: Session, token_for: Any) -> None:
    headers = token_for(ADMIN)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=90)).isoformat()
    conversation_id = post(
        client,
        headers,
        channel="email",
        external_id="<history-1@example.ie>",
        customer={"email": "history@example.ie"},
        subject="An old question",
        text="Hello, this came in months ago and was answered by telephone.",
        occurred_at=old,
    )
    run_dispatch(world)
    found = conversation(client, headers, conversation_id)
    assert (found["routing_status"], found["assignment"]["queue"]) == (None, None)
