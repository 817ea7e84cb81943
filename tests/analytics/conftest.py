"""The contacts the metrics tests measure: four calls for the in-house team, two e-mails for a partner."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.models import User
from cxhub.routing.models import PresenceInterval
from cxhub.workforce.models import Agent
from tests.analytics.test_metrics_api import ADMIN, DAY, answer, assign, organisation_ids, post, refresh


@pytest.fixture
def measured(client: TestClient, world: Session, token_for: Any) -> dict[str, str]:
    """Four calls for the in-house team, two e-mails from one customer for a partner, answers to five surveys."""
    admin = token_for(ADMIN)
    orgs = organisation_ids(client, admin)
    calls = [
        {"queue_seconds": 10, "talk_seconds": 100, "wrap_seconds": 20},
        {"queue_seconds": 30, "talk_seconds": 200},
        {"queue_seconds": 3, "abandoned": True},
        {"queue_seconds": 40, "abandoned": True},
    ]
    call_ids = []
    for n, voice in enumerate(calls):
        conversation_id = post(
            client,
            admin,
            DAY + dt.timedelta(minutes=n),
            channel="voice",
            external_id=f"call-{n}",
            customer={"phone": f"+35386100000{n}"},
            voice=voice,
        )
        assign(client, admin, conversation_id, orgs["Lumen Care"])
        call_ids.append(conversation_id)
    customer = {"email": "roisin@example.com"}
    first = post(
        client,
        admin,
        DAY,
        channel="email",
        external_id="m-1",
        thread_ref="t-1",
        customer=customer,
        text="Where is order 4410?",
    )
    assign(client, admin, first, orgs["Atlantic CX"])
    reply = {"channel": "email", "external_id": "m-1-reply", "thread_ref": "t-1", "customer": customer}
    reply |= {
        "direction": "outbound",
        "handled_by": "agent@atlantic.example",
        "handle_seconds": 300,
        "text": "On its way.",
    }
    post(client, admin, DAY + dt.timedelta(hours=1), **reply)
    assert client.patch(f"/api/v1/conversations/{first}", json={"status": "resolved"}, headers=admin).status_code == 200
    again = post(
        client,
        admin,
        dt.datetime.now(dt.UTC),  # after the resolution
        channel="email",
        external_id="m-2",
        thread_ref="t-2",
        customer=customer,
        text="Where is order 4410?",
    )
    assign(client, admin, again, orgs["Atlantic CX"])
    for conversation_id, csat, nps in zip(call_ids, (5, 4, 2, None), (10, 9, 3, 7), strict=True):
        if csat is not None:
            assert answer(client, admin, conversation_id, "csat", csat) == 201
        assert answer(client, admin, conversation_id, "nps", nps) == 201
    assert answer(client, admin, call_ids[0], "fcr", 1) == 201
    assert answer(client, admin, call_ids[1], "fcr", 0) == 201
    agent_id = world.scalars(
        select(Agent.id).join(User, User.id == Agent.user_id).where(User.email == "agent@atlantic.example")
    ).one()
    world.add(  # signed in for the hour in which the reply took 300 s of work
        PresenceInterval(
            agent_id=agent_id,
            presence="available",
            started_at=DAY + dt.timedelta(minutes=30),
            ended_at=DAY + dt.timedelta(minutes=90),
        )
    )
    world.commit()
    refresh(world)
    return orgs
