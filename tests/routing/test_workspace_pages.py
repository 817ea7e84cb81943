"""The inbox and the queue view through their pages, as a browser (and htmx) ask for them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cxhub.routing.dispatch import dispatch
from tests.conftest import csrf_from

from .test_routing_api import ADMIN, at_local, post


def _email(client: TestClient, headers: dict[str, str], n: int, **fields: Any) -> str:
    return post(
        client,
        headers,
        channel="email",
        external_id=f"<page-{n}@example.ie>",
        customer={"email": f"page{n}@example.ie"},
        subject=f"Question number {n}",
        text="Hello, could you tell me whether the oak table comes in a smaller size?",
        **fields,
    )


@pytest.mark.postgres
def test_the_inbox_lists_my_conversations_and_what_waits_in_my_queues(
    client: TestClient, world: Session, token_for: Any, login: Any, count_queries: Any
) -> None:
    away = client.put("/api/v1/me/presence", json={"presence": "away"}, headers=token_for("lead@lumen.example"))
    assert away.status_code == 200  # so that Darragh is the one agent of Dublin Care taking e-mail
    headers = token_for(ADMIN)
    page = login("agent@lumen.example")
    counts = []
    for batch in (range(0, 2), range(2, 8)):
        for n in batch:
            _email(client, headers, n)
        dispatch(world, now=at_local("Europe/Dublin", 10))
        world.commit()
        with count_queries() as counted:
            response = page.get("/inbox")
        assert response.status_code == 200
        counts.append(len(counted.statements))
    assert "Question number 7" in response.text
    assert 'data-testid="presence">available<' in response.text
    assert counts[0] == counts[1] <= 16, counts  # pinned: 2 or 8 conversations, the same queries
    fragment = page.get("/inbox/_lists", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "My conversations" in fragment.text


@pytest.mark.postgres
def test_presence_and_take_next_from_the_inbox(client: TestClient, world: Session, token_for: Any, login: Any) -> None:
    page = login("agent@lumen.example")
    token = csrf_from(page.get("/inbox").text)
    response = page.post("/inbox/presence", data={"presence": "away", "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert 'data-testid="presence">away<' in page.get("/inbox").text
    refused = page.post("/inbox/presence", data={"presence": "asleep", "csrf_token": token})
    assert refused.status_code == 422
    headers = token_for(ADMIN)
    queue = client.post(
        "/api/v1/queues",
        json={"name": "Pulled", "channel": "email", "mode": "pull", "teams": [{"team_id": _dublin(client, headers)}]},
        headers=headers,
    )
    assert queue.status_code == 201
    conversation_id = _email(client, headers, 10, occurred_at=(dt.datetime.now(dt.UTC)).isoformat())
    dispatch(world, now=at_local("Europe/Dublin", 10))
    world.commit()
    page.post("/inbox/presence", data={"presence": "available", "csrf_token": token})
    taken = page.post("/inbox/next", data={"csrf_token": token}, follow_redirects=False)
    assert taken.status_code == 303
    assert taken.headers["location"] == f"/conversations/{conversation_id}"
    nothing = page.post("/inbox/next", data={"csrf_token": token})
    assert "Nothing is waiting that you can take." in nothing.text


def _dublin(client: TestClient, headers: dict[str, str]) -> str:
    teams = client.get("/api/v1/teams", params={"limit": 200}, headers=headers).json()["items"]
    return next(t["id"] for t in teams if t["name"] == "Dublin Care")


@pytest.mark.postgres
def test_a_partner_lead_sees_its_queue_and_hands_an_item_to_its_agent(
    client: TestClient, world: Session, token_for: Any, login: Any
) -> None:
    for who in ("agent@atlantic.example", "lead@atlantic.example"):
        assert client.put("/api/v1/me/presence", json={"presence": "away"}, headers=token_for(who)).status_code == 200
    headers = token_for(ADMIN)
    conversation_id = post(
        client,
        headers,
        channel="chat",
        external_id="chat-page-pt",
        customer={"visitor_id": "visitor-page-pt"},
        text="Olá, a minha encomenda ainda não chegou, podem ajudar?",
    )
    dispatch(world, now=at_local("Europe/Lisbon", 11))
    world.commit()
    page = login("lead@atlantic.example")
    view = page.get("/queues")
    assert view.status_code == 200
    assert 'data-testid="waiting-Chat">1<' in view.text
    assert "Maria Santos" not in view.text  # another organisation's agents stay out of a partner's view
    agent_id = next(
        a["id"]
        for a in client.get("/api/v1/agents", headers=token_for("lead@atlantic.example")).json()["items"]
        if a["user_id"] != ""
    )
    token = csrf_from(view.text)
    handed = page.post(
        "/queues/assign",
        data={"conversation_id": conversation_id, "agent_id": agent_id, "csrf_token": token},
        follow_redirects=False,
    )
    assert handed.status_code == 303
    detail = client.get(f"/api/v1/conversations/{conversation_id}", headers=headers).json()
    assert detail["assignment"]["agent"]["id"] == agent_id
    assert detail["routing_status"] == "assigned"
    again = page.post(
        "/queues/assign", data={"conversation_id": conversation_id, "agent_id": agent_id, "csrf_token": token}
    )
    assert again.status_code == 404  # it waits no more


def test_the_inbox_needs_an_agent_profile(world: Session, login: Any) -> None:
    assert login("qa@lumen.example").get("/inbox").status_code == 403
    assert login("admin@lumen.example").get("/inbox").status_code == 409


def test_the_search_page_finds_words_in_scope_and_marks_them(
    client: TestClient, world: Session, token_for: Any, login: Any
) -> None:
    headers = token_for(ADMIN)
    post(
        client,
        headers,
        channel="email",
        external_id="<search-page-1@example.ie>",
        customer={"email": "search.page@example.ie"},
        subject="Walnut shelf",
        text="Hello, the walnut shelf arrived with a scratch on the left side.",
    )
    page = login("agent@lumen.example")
    found = page.get("/search", params={"q": "walnut scratch"})
    assert found.status_code == 200
    assert "Walnut shelf" in found.text
    assert "<mark>" in found.text
    assert "Nothing in your scope matches." in page.get("/search", params={"q": "zeppelin"}).text
    partner = login("agent@pacific.example").get("/search", params={"q": "walnut"})
    assert "Walnut shelf" not in partner.text  # never queued at Pacific Contact
