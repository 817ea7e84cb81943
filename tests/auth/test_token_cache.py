"""A busy API token is looked up once every few seconds; changes to who may do what still apply."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from cxhub.app import create_app
from cxhub.config import get_settings
from tests.conftest import user_id_of

Headers = Callable[[str], dict[str, str]]


def _warm(client: TestClient, headers: dict[str, str]) -> None:
    for _ in range(2):  # the first use notes the token's last use, which is itself a change
        assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_a_busy_token_costs_no_lookups(client: TestClient, token_for: Headers, count_queries: Any) -> None:
    admin = token_for("admin@lumen.example")
    _warm(client, admin)
    with count_queries() as counted:
        assert client.get("/api/v1/me", headers=admin).json()["email"] == "admin@lumen.example"
    assert counted.statements == []


def test_changes_made_through_this_process_apply_at_once(client: TestClient, token_for: Headers) -> None:
    admin = token_for("admin@lumen.example")
    lead = token_for("lead@atlantic.example")
    agent = token_for("agent@atlantic.example")
    for headers in (admin, lead, agent):
        _warm(client, headers)

    lead_id = user_id_of(client, admin, "lead@atlantic.example")
    assert client.patch(f"/api/v1/users/{lead_id}", headers=admin, json={"role": "agent"}).status_code == 200
    assert "agents.manage" not in client.get("/api/v1/me", headers=lead).json()["permissions"]

    agent_id = user_id_of(client, admin, "agent@atlantic.example")
    assert client.patch(f"/api/v1/users/{agent_id}", headers=admin, json={"is_active": False}).status_code == 200
    assert client.get("/api/v1/me", headers=agent).status_code == 401

    created = client.post("/api/v1/tokens", headers=admin, json={"name": "integration"}).json()
    integration = {"Authorization": f"Bearer {created['token']}"}
    _warm(client, integration)
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=admin).status_code == 200
    assert client.get("/api/v1/me", headers=integration).status_code == 401


@pytest.fixture
def cached_for(engine: Engine, session_factory: sessionmaker[Session]) -> Iterator[Callable[[float], TestClient]]:
    clients: list[TestClient] = []

    def make(seconds: float) -> TestClient:
        settings = get_settings().model_copy(update={"auth_cache_seconds": seconds})
        client = TestClient(create_app(settings, engine=engine, session_factory=session_factory, start_worker=False))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _disable_elsewhere(connection: Any, email: str) -> None:
    """What another server process does: a committed change this process's sessions never saw."""
    connection.execute(text("UPDATE users SET is_active = false WHERE email = :email"), {"email": email})


@pytest.mark.parametrize("seconds", [2.0, 0])
def test_changes_made_by_another_process_apply_within_the_cache_lifetime(
    cached_for: Callable[[float], TestClient], token_for: Headers, connection: Any, seconds: float
) -> None:
    client = cached_for(seconds)
    agent = token_for("agent@atlantic.example")
    _warm(client, agent)
    _disable_elsewhere(connection, "agent@atlantic.example")
    if seconds:  # still within the lifetime; a lifetime of 0 looks the token up on every request
        assert client.get("/api/v1/me", headers=agent).status_code == 200
        time.sleep(seconds + 0.1)
    assert client.get("/api/v1/me", headers=agent).status_code == 401
