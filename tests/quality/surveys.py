"""Helpers of the survey and coaching tests: resolved conversations made through the API, the sending job
and the e-mail job run as a worker runs them, and the survey link taken from what was sent."""

from __future__ import annotations

import datetime as dt
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import cxhub.quality.tasks  # noqa: F401  registers the survey jobs
from cxhub.auth.models import User
from cxhub.jobs.models import Job
from cxhub.jobs.service import registered_tasks
from cxhub.workforce.models import Agent

ADMIN = "admin@lumen.example"
LINK = re.compile(r"https?://[^\s]+/s/[A-Za-z0-9._-]+")


class Relay:
    """The outbound relay: a loopback SMTP server that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


def agent_of(world: Session, email: str) -> Agent:
    agent = world.scalar(select(Agent).join(User, User.id == Agent.user_id).where(User.email == email))
    assert agent is not None, email
    return agent


def contact(
    client: TestClient,
    headers: dict[str, str],
    *,
    channel: str = "email",
    external_id: str,
    customer: dict[str, Any],
    text: str = "Hello, my lamp arrived broken.",
    **fields: Any,
) -> str:
    body = {
        "channel": channel,
        "external_id": external_id,
        "direction": "inbound",
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "customer": customer,
        "text": text,
        **fields,
    }
    response = client.post("/api/v1/interactions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    conversation_id: str = response.json()["conversation_id"]
    return conversation_id


def serve_and_resolve(
    client: TestClient,
    headers: dict[str, str],
    world: Session,
    conversation_id: str,
    agent_email: str | None,
    status: str = "resolved",
) -> None:
    """Hand the conversation to the agent (or leave it unassigned) and resolve it (or close it: the customer's
    next message then starts a conversation of its own)."""
    if agent_email is not None:
        agent = agent_of(world, agent_email)
        response = client.put(
            f"/api/v1/conversations/{conversation_id}/assignment",
            json={"organisation_id": agent.organisation_id, "team_id": agent.team_id, "agent_id": agent.id},
            headers=headers,
        )
        assert response.status_code == 200, response.text
    response = client.patch(f"/api/v1/conversations/{conversation_id}", json={"status": status}, headers=headers)
    assert response.status_code == 200, response.text


def resolved(
    client: TestClient,
    headers: dict[str, str],
    world: Session,
    *,
    agent_email: str | None = "agent@lumen.example",
    status: str = "resolved",
    **contact_fields: Any,
) -> str:
    conversation_id = contact(client, headers, **contact_fields)
    serve_and_resolve(client, headers, world, conversation_id, agent_email, status)
    return conversation_id


def set_policy(client: TestClient, headers: dict[str, str], **policy_fields: Any) -> list[dict[str, Any]]:
    fields = {"channel": "email", "delay_seconds": 0, **policy_fields}
    response = client.put("/api/v1/survey-policies", json={"policies": [fields]}, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def send_surveys(world: Session) -> None:
    """What a worker runs every minute."""
    registered_tasks()["quality.send_surveys"](world, {})
    world.commit()


def deliver_emails(world: Session) -> int:
    """Run the queued survey e-mails as a worker would; how many jobs ran."""
    jobs = list(world.scalars(select(Job).where(Job.name == "quality.send_survey_email", Job.status == "queued")))
    for job in jobs:
        registered_tasks()[job.name](world, job.payload)
        job.status = "done"
    world.commit()
    return len(jobs)


def link_in(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found is not None, body.get_content()
    return found.group(0)


def path_of(link: str) -> str:
    return "/s/" + link.rsplit("/s/", 1)[1]


def surveyed(
    client: TestClient,
    headers: dict[str, str],
    world: Session,
    relay: Relay,
    *,
    agent_email: str | None = "agent@lumen.example",
    **contact_fields: Any,
) -> tuple[str, str]:
    """(conversation id, survey path) of a resolved e-mail conversation whose survey e-mail went out."""
    conversation_id = resolved(client, headers, world, agent_email=agent_email, status="closed", **contact_fields)
    sent = len(relay.messages)
    send_surveys(world)
    assert deliver_emails(world) == 1
    assert len(relay.messages) == sent + 1
    return conversation_id, path_of(link_in(relay.messages[-1]))
