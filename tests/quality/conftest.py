"""Fixtures of the quality tests: the QA world (the demo's people and scorecard, conversations posted through the
intake API) and a loopback SMTP relay that keeps what the hub sends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from cxhub.config import get_settings
from tests import live

from .surveys import Relay

ADMIN = "admin@lumen.example"
QA = "qa@lumen.example"
DIRECTOR = "director@lumen.example"
LEAD = "lead@lumen.example"
AGENT = "agent@lumen.example"
PARTNER_LEAD = "lead@atlantic.example"
PARTNER_AGENT = "agent@atlantic.example"
PACIFIC_AGENT = "agent@pacific.example"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class QaWorld:
    client: TestClient
    token_for: Any
    organisations: dict[str, str]  # name -> id
    users: dict[str, str]  # e-mail -> user id
    agents: dict[str, str]  # e-mail -> agent id
    scorecard: dict[str, Any]  # "Lumen values", as the API reads it
    posted: int = 0

    def headers(self, email: str) -> dict[str, str]:
        return dict(self.token_for(email))

    @property
    def criteria(self) -> list[dict[str, Any]]:
        return [c for section in self.scorecard["sections"] for c in section["criteria"]]

    def conversation(
        self,
        organisation: str,
        agent: str | None = None,
        *,
        at: dt.datetime | None = None,
        channel: str = "email",
        text: str = "Where is my order?",
    ) -> str:
        """A customer's e-mail (or chat), queued for the organisation and, if named, assigned to the agent."""
        self.posted += 1
        admin = self.headers(ADMIN)
        body: dict[str, Any] = {
            "channel": channel,
            "external_id": f"qa-{self.posted}-{NOW.timestamp()}",
            "occurred_at": (at or NOW - dt.timedelta(hours=2)).isoformat(),
            "direction": "inbound",
            "customer": {"email": f"customer{self.posted}@example.com", "name": f"Customer {self.posted}"},
            "text": text,
        }
        if channel == "email":
            body["subject"] = f"Question {self.posted}"
        response = self.client.post("/api/v1/interactions", json=body, headers=admin)
        assert response.status_code == 201, response.text
        conversation_id: str = response.json()["conversation_id"]
        assignment = {"organisation_id": self.organisations[organisation]}
        if agent is not None:
            assignment["agent_id"] = self.agents[agent]
        put = self.client.put(f"/api/v1/conversations/{conversation_id}/assignment", json=assignment, headers=admin)
        assert put.status_code == 200, put.text
        return conversation_id

    def answers(self, *points: int | None) -> list[dict[str, Any]]:
        """Answers in scorecard order: points, or None for "not applicable"."""
        assert len(points) == len(self.criteria)
        return [
            {"criterion_id": c["id"], "not_applicable": True} if p is None else {"criterion_id": c["id"], "points": p}
            for c, p in zip(self.criteria, points, strict=True)
        ]

    def evaluate(
        self, conversation_id: str, *points: int | None, email: str = QA, submit: bool = True, **extra: Any
    ) -> dict[str, Any]:
        response = self.client.put(
            f"/api/v1/conversations/{conversation_id}/evaluation",
            json={"answers": self.answers(*points), "submit": submit, **extra},
            headers=self.headers(email),
        )
        assert response.status_code == 200, response.text
        evaluation: dict[str, Any] = response.json()
        return evaluation


# The worked example of docs/quality.md on "Lumen values": 79.17, a business-critical error.
WORKED = (1, 3, 1, 2, 0, None, 1, 1)
FULL_MARKS = (1, 4, 1, 4, 1, 1, 1, 1)


@pytest.fixture
def qa(client: TestClient, token_for: Any) -> QaWorld:
    admin = token_for(ADMIN)
    organisations = {o["name"]: o["id"] for o in client.get("/api/v1/organisations", headers=admin).json()["items"]}
    users = {
        u["email"]: u["id"] for u in client.get("/api/v1/users", params={"limit": 200}, headers=admin).json()["items"]
    }
    by_user = {
        a["user_id"]: a["id"]
        for a in client.get("/api/v1/agents", params={"limit": 200}, headers=admin).json()["items"]
    }
    agents = {email: by_user[user_id] for email, user_id in users.items() if user_id in by_user}
    [scorecard] = client.get("/api/v1/scorecards", headers=admin).json()["items"]
    return QaWorld(client, token_for, organisations, users, agents, scorecard)


@pytest.fixture
def relay(monkeypatch: pytest.MonkeyPatch) -> Iterator[Relay]:
    settings = get_settings()
    port = live.free_port()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    monkeypatch.setattr(settings, "base_url", "https://care.lumen.example")
    handler = Relay()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler
    controller.stop()
