"""Retention rules through the API, and the daily job on rows backdated past their age."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cxhub.conversations.models import Attachment, Conversation, ConversationNote, DeadLetter, Interaction
from cxhub.conversations.service import keep_dead_letter
from cxhub.customers import retention
from cxhub.jobs.models import Job, Schedule
from cxhub.jobs.service import ensure_periodic_schedules, registered_tasks
from tests.routing.test_routing_api import ADMIN, post

pytestmark = pytest.mark.postgres

NOW = dt.datetime.now(dt.UTC)


def _ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def _rules(client: TestClient, headers: dict[str, str], **days: int | None) -> Any:
    body = {"rules": [{"record_type": name, "days": d} for name, d in days.items()]}
    return client.put("/api/v1/retention-rules", json=body, headers=headers)


def test_rules_are_set_per_record_type_and_validated(client: TestClient, token_for: Any) -> None:
    admin = token_for(ADMIN)
    listed = client.get("/api/v1/retention-rules", headers=admin)
    assert listed.status_code == 200
    types = {r["record_type"]: r for r in listed.json()["rules"]}
    assert set(types) == {
        "interaction_content",
        "raw_emails",
        "attachments",
        "notes",
        "closed_conversations",
        "dead_letters",
    }
    assert all(r["days"] is None and r["description"] for r in types.values())
    changed = _rules(client, admin, interaction_content=365, notes=30)
    assert changed.status_code == 200, changed.text
    days = {r["record_type"]: r["days"] for r in changed.json()["rules"]}
    assert days["interaction_content"] == 365
    assert days["notes"] == 30
    assert days["attachments"] is None
    removed = _rules(client, admin, notes=None)
    assert {r["record_type"]: r["days"] for r in removed.json()["rules"]}["notes"] is None
    for bad in ({"phone_calls": 10}, {"notes": 0}, {"notes": 40_000}):
        refused = _rules(client, admin, **bad)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"] == "application/problem+json"
    again = {r["record_type"]: r["days"] for r in client.get("/api/v1/retention-rules", headers=admin).json()["rules"]}
    assert again["interaction_content"] == 365
    assert again["notes"] is None
    events = client.get("/api/v1/audit-events", params={"action": "retention_rules.changed"}, headers=admin).json()
    assert len(events["items"]) == 2


@pytest.fixture
def aged(client: TestClient, world: Session, token_for: Any) -> dict[str, Any]:
    """Old and recent rows of every record type, backdated where the API cannot set the time."""
    admin = token_for(ADMIN)
    old = post(
        client,
        admin,
        channel="chat",
        external_id="retention-old",
        occurred_at=_ago(400).isoformat(),
        customer={"visitor_id": "v-old"},
        text="An ancient question about the armchair",
    )
    recent = post(
        client, admin, channel="chat", external_id="retention-new", customer={"visitor_id": "v-new"}, text="A fresh one"
    )
    closed = post(
        client,
        admin,
        channel="email",
        external_id="<retention-closed@x>",
        occurred_at=_ago(200).isoformat(),
        customer={"email": "closed@example.ie"},
        subject="Finished business",
        text="All sorted, thanks",
    )
    notes = []
    for text in ("An old note", "A new note"):
        made = client.post(f"/api/v1/conversations/{recent}/notes", json={"text": text}, headers=admin)
        assert made.status_code == 201
        notes.append(made.json()["id"])
    files = []
    for name in ("old.txt", "new.txt"):
        made = client.post(
            f"/api/v1/conversations/{recent}/attachments", headers=admin, files={"file": (name, b"bytes", "text/plain")}
        )
        assert made.status_code == 201
        files.append(made.json()["id"])
    letters = [
        keep_dead_letter(world, source="smtp", content_type="message/rfc822", raw=b"From: x", reason="unreadable").id
        for _ in range(2)
    ]
    world.execute(update(ConversationNote).where(ConversationNote.id == notes[0]).values(created_at=_ago(40)))
    world.execute(update(Attachment).where(Attachment.id == files[0]).values(created_at=_ago(40)))
    world.execute(update(DeadLetter).where(DeadLetter.id == letters[0]).values(received_at=_ago(40)))
    world.execute(update(Conversation).where(Conversation.id == closed).values(status="closed", closed_at=_ago(100)))
    world.commit()
    changed = _rules(
        client, admin, interaction_content=365, notes=30, attachments=30, dead_letters=30, closed_conversations=90
    )
    assert changed.status_code == 200
    return {
        "headers": admin,
        "old": old,
        "recent": recent,
        "closed": closed,
        "notes": notes,
        "files": files,
        "letters": letters,
    }


def _texts(world: Session, conversation_id: str) -> list[str | None]:
    world.expire_all()
    return list(world.scalars(select(Interaction.text).where(Interaction.conversation_id == conversation_id)))


def test_the_daily_job_removes_what_is_past_its_age(client: TestClient, world: Session, aged: dict[str, Any]) -> None:
    admin = aged["headers"]
    ensure_periodic_schedules(world)
    schedule = world.get(Schedule, "customers.retention")
    assert schedule is not None
    assert schedule.interval_seconds == 86_400
    times = list(world.scalars(select(Interaction.occurred_at).order_by(Interaction.id)))

    registered_tasks()["customers.retention"](world, {})
    world.commit()

    assert _texts(world, aged["old"]) == [None]
    assert _texts(world, aged["recent"]) == ["A fresh one"]
    assert _texts(world, aged["closed"]) == [None]
    assert world.get(Conversation, aged["closed"]).subject is None  # type: ignore[union-attr]
    assert list(world.scalars(select(Interaction.occurred_at).order_by(Interaction.id))) == times
    assert world.get(ConversationNote, aged["notes"][0]) is None
    assert world.get(ConversationNote, aged["notes"][1]) is not None
    assert world.get(Attachment, aged["files"][0]) is None
    assert world.get(Attachment, aged["files"][1]) is not None
    assert world.get(DeadLetter, aged["letters"][0]) is None
    assert world.get(DeadLetter, aged["letters"][1]) is not None
    jobs = world.scalars(select(Job).where(Job.name == "conversations.delete_files")).all()
    assert len(jobs) == 1
    assert len(jobs[0].payload["keys"]) == 1
    found = client.get("/api/v1/search", params={"q": "armchair"}, headers=admin).json()["items"]
    assert found == []
    events = client.get("/api/v1/audit-events", params={"action": "customers.retention"}, headers=admin).json()
    (event,) = events["items"]
    counts = next(iter(c for key, c in event["detail"]["counts"].items() if key != "*"))
    assert counts["interaction_content"]["interactions"] == 1
    assert counts["notes"]["conversation_notes"] == 1
    assert counts["attachments"]["attachments"] == 1
    assert counts["closed_conversations"]["conversations"] == 1
    assert event["detail"]["counts"]["*"]["dead_letters"]["inbound_dead_letters"] == 1
    assert event["detail"]["more"] is False
    assert not world.scalars(select(Job).where(Job.name == "customers.retention", Job.status == "queued")).all()


def test_a_long_backlog_goes_in_batches(world: Session, aged: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "BATCH", 1)
    more = [
        keep_dead_letter(world, source="api", content_type="application/json", raw=b"{", reason="x").id
        for _ in range(2)
    ]
    world.execute(update(DeadLetter).where(DeadLetter.id.in_(more)).values(received_at=_ago(50)))
    world.commit()
    registered_tasks()["customers.retention"](world, {})
    world.commit()
    left = [d for d in [aged["letters"][0], *more] if world.get(DeadLetter, d) is not None]
    assert len(left) == 2, "one row per run and type"
    follow_up = world.scalars(select(Job).where(Job.name == "customers.retention", Job.status == "queued")).all()
    assert [j.payload for j in follow_up] == [{"continued": True}]
    for _ in range(3):
        registered_tasks()["customers.retention"](world, {})
    world.commit()
    world.expire_all()
    assert [d for d in [aged["letters"][0], *more] if world.get(DeadLetter, d) is not None] == []
