"""Survey policies through the API, and the sending job: after the delay, sampled, never twice to a customer
within N days, never to one who opted out, by e-mail or into the chat, and never as an agent's reply."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cxhub.config import get_settings
from cxhub.conversations.models import Conversation, Interaction
from cxhub.customers.models import CustomerIdentity
from cxhub.jobs.models import Job
from cxhub.quality.invitations import sampled
from cxhub.quality.models import SurveyInvitation
from tests import live

from .surveys import ADMIN, Relay, contact, deliver_emails, link_in, resolved, send_surveys, set_policy

pytestmark = pytest.mark.postgres


def _invitation(world: Session, conversation_id: str) -> SurveyInvitation | None:
    world.expire_all()
    return world.scalar(select(SurveyInvitation).where(SurveyInvitation.conversation_id == conversation_id))


def _conversation(client: TestClient, headers: dict[str, str], conversation_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_policies_have_defaults_until_the_brand_sets_its_own(
    client: TestClient, world: Session, token_for: Any
) -> None:
    headers = token_for("director@lumen.example")
    found = client.get("/api/v1/survey-policies", headers=headers).json()
    assert found == [
        {
            "channel": "email",
            "enabled": True,
            "delay_seconds": 3600,
            "sampling_rate": 1.0,
            "questions": ["csat", "fcr"],
            "link_valid_days": 7,
            "once_per_customer_days": 30,
            "default_language": "en",
            "default": True,
        },
        {
            "channel": "chat",
            "enabled": True,
            "delay_seconds": 300,
            "sampling_rate": 1.0,
            "questions": ["csat", "fcr"],
            "link_valid_days": 7,
            "once_per_customer_days": 30,
            "default_language": "en",
            "default": True,
        },
    ]
    changed = client.put(
        "/api/v1/survey-policies",
        json={"policies": [{"channel": "chat", "sampling_rate": 0.25, "questions": ["fcr", "nps", "csat"]}]},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    email, chat = changed.json()
    assert email["default"] is True
    assert (chat["default"], chat["sampling_rate"], chat["questions"]) == (False, 0.25, ["csat", "nps", "fcr"])
    assert chat["delay_seconds"] == 300  # left out: the channel's default
    assert client.get("/api/v1/survey-policies", params={"brand": "Lumen Home"}, headers=headers).json()[1] == chat
    audit = client.get("/api/v1/audit-events", params={"action": "survey_policies.changed"}, headers=token_for(ADMIN))
    assert audit.status_code == 200
    assert [e["action"] for e in audit.json()["items"]] == ["survey_policies.changed"]


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"channel": "email", "sampling_rate": 1.5}, "policies.0.sampling_rate"),
        ({"channel": "voice"}, "policies.0.channel"),
        ({"channel": "email", "questions": []}, "policies.0.questions"),
        ({"channel": "email", "questions": ["csat", "csat"]}, "policies.0"),
        ({"channel": "email", "link_valid_days": 0}, "policies.0.link_valid_days"),
        ({"channel": "email", "default_language": "fr"}, "policies.0.default_language"),
        ({"channel": "email", "colour": "blue"}, "policies.0.colour"),
    ],
)
def test_a_bad_policy_is_refused_and_changes_nothing(
    client: TestClient, world: Session, token_for: Any, policy: dict[str, Any], field: str
) -> None:
    headers = token_for("director@lumen.example")
    response = client.put("/api/v1/survey-policies", json={"policies": [policy]}, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert all(p["default"] for p in client.get("/api/v1/survey-policies", headers=headers).json())


def test_an_email_survey_goes_out_after_the_delay_and_is_no_reply(
    client: TestClient, world: Session, token_for: Any, relay: Relay
) -> None:
    headers = token_for(ADMIN)
    conversation_id = resolved(
        client,
        headers,
        world,
        external_id="<survey-mail-1@example.pt>",
        customer={"email": "joana.silva@example.pt", "name": "Joana Silva", "language": "pt-PT"},
        subject="Candeeiro partido",
        text="Olá, o meu candeeiro chegou partido.",
    )
    send_surveys(world)
    assert _invitation(world, conversation_id) is None  # resolved just now: the e-mail delay is an hour
    set_policy(client, headers, questions=["csat", "nps", "ces", "fcr"])
    send_surveys(world)
    invitation = _invitation(world, conversation_id)
    assert invitation is not None
    assert (invitation.outcome, invitation.language, invitation.delivery_status) == ("invited", "pt", "queued")
    assert invitation.questions == ["csat", "nps", "ces", "fcr"]
    assert relay.messages == []  # nothing leaves before the job that sends it
    assert deliver_emails(world) == 1
    (mail,) = relay.messages
    assert mail["To"] == "joana.silva@example.pt"
    assert mail["Subject"] == "Como correu? Um breve inquérito da Lumen Home"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["In-Reply-To"] == "<survey-mail-1@example.pt>"
    assert link_in(mail).startswith("https://care.lumen.example/s/")
    assert "Contactou recentemente a Lumen Home" in mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert _invitation(world, conversation_id).delivery_status == "sent"  # type: ignore[union-attr]
    found = _conversation(client, headers, conversation_id)
    assert (found["status"], found["first_response_at"]) == ("resolved", None)  # a survey is not an answer
    interactions = client.get(f"/api/v1/conversations/{conversation_id}/interactions", headers=headers).json()
    assert [i["direction"] for i in interactions["items"]] == ["inbound"]
    send_surveys(world)
    assert deliver_emails(world) == 0  # decided once
    assert len(relay.messages) == 1


def test_a_chat_survey_is_a_system_message_the_widget_shows(
    client: TestClient, world: Session, token_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = token_for(ADMIN)
    settings = get_settings()
    monkeypatch.setattr(settings, "chat_stream_seconds", 0.0)  # one poll, then the stream ends
    monkeypatch.setattr(settings, "base_url", "https://care.lumen.example")
    visitor = client.post("/chat/session", json={"brand": "Lumen Home"}).json()
    posted = client.post("/chat/messages", json={"token": visitor["token"], "id": "survey-chat-0001", "text": "Hi!"})
    assert posted.status_code == 201, posted.text
    conversation_id = world.scalar(
        select(Interaction.conversation_id).where(Interaction.id == posted.json()["interaction_id"])
    )
    assert conversation_id is not None
    from .surveys import serve_and_resolve

    serve_and_resolve(client, headers, world, conversation_id, "agent@lumen.example")
    set_policy(client, headers, channel="chat", default_language="es")
    send_surveys(world)
    invitation = _invitation(world, conversation_id)
    assert invitation is not None
    assert (invitation.language, invitation.delivery_status) == ("es", "sent")
    stream = client.get("/chat/stream", params={"token": visitor["token"]})
    events = [json.loads(line[len("data: ") :]) for line in stream.text.splitlines() if line.startswith("data: ")]
    assert [e["direction"] for e in events] == ["inbound", "system"]
    survey = events[1]
    assert survey["text"] == "Gracias por chatear con Lumen Home. ¿Nos cuenta qué tal fue?"
    assert survey["link_text"] == "Responder a una breve encuesta"
    assert survey["url"].startswith("https://care.lumen.example/s/")
    found = _conversation(client, headers, conversation_id)
    assert (found["status"], found["first_response_at"], found["last_outbound_at"]) == ("resolved", None, None)


def test_the_sample_is_drawn_once_per_conversation_and_the_same_every_time(
    client: TestClient, world: Session, token_for: Any
) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers, sampling_rate=0.5, once_per_customer_days=0)
    ids = [
        resolved(client, headers, world, external_id=f"<sample-{n}@example.ie>", customer={"email": f"c{n}@example.ie"})
        for n in range(16)
    ]
    send_surveys(world)
    outcomes = {i: _invitation(world, i).outcome for i in ids}  # type: ignore[union-attr]
    assert outcomes == {i: "invited" if sampled(i, 0.5) else "skipped" for i in ids}
    assert 0 < sum(o == "invited" for o in outcomes.values()) < 16
    assert {_invitation(world, i).skip_reason for i in ids if outcomes[i] == "skipped"} == {"not_sampled"}  # type: ignore[union-attr]
    set_policy(client, headers, sampling_rate=1.0, once_per_customer_days=0)
    send_surveys(world)  # a later run, a changed rate: what was drawn stays drawn
    assert {i: _invitation(world, i).outcome for i in ids} == outcomes  # type: ignore[union-attr]
    assert [sampled(i, 0.5) for i in ids] == [sampled(i, 0.5) for i in ids]
    assert not any(sampled(i, 0.0) for i in ids)


def test_a_customer_is_asked_at_most_once_in_n_days(client: TestClient, world: Session, token_for: Any) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers, once_per_customer_days=30)
    customer = {"email": "often@example.ie"}
    first = resolved(client, headers, world, external_id="<often-1@example.ie>", customer=customer, status="closed")
    second = resolved(client, headers, world, external_id="<often-2@example.ie>", customer=customer, status="closed")
    assert first != second
    send_surveys(world)
    assert _invitation(world, first).outcome == "invited"  # type: ignore[union-attr]
    assert (_invitation(world, second).outcome, _invitation(world, second).skip_reason) == (  # type: ignore[union-attr]
        "skipped",
        "recently_asked",
    )
    world.execute(  # the first survey went out 31 days ago
        update(SurveyInvitation)
        .where(SurveyInvitation.conversation_id == first)
        .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
    )
    world.commit()
    third = resolved(client, headers, world, external_id="<often-3@example.ie>", customer=customer, status="closed")
    send_surveys(world)
    assert _invitation(world, third).outcome == "invited"  # type: ignore[union-attr]


def test_an_opted_out_customer_is_never_asked(client: TestClient, world: Session, token_for: Any) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers, once_per_customer_days=0)
    conversation_id = contact(client, headers, external_id="<optout-1@example.ie>", customer={"email": "no@example.ie"})
    customer_id = _conversation(client, headers, conversation_id)["customer_id"]
    consents = client.put(
        f"/api/v1/customers/{customer_id}/consents",
        json={"consents": [{"purpose": "surveys", "granted": False}], "source": "phone call"},
        headers=headers,
    )
    assert consents.status_code == 200, consents.text
    from .surveys import serve_and_resolve

    serve_and_resolve(client, headers, world, conversation_id, "agent@lumen.example")
    send_surveys(world)
    invitation = _invitation(world, conversation_id)
    assert (invitation.outcome, invitation.skip_reason) == ("skipped", "opted_out")  # type: ignore[union-attr]
    assert world.scalar(select(func.count()).select_from(Job).where(Job.name == "quality.send_survey_email")) == 0


def test_no_deliverable_address_no_survey(client: TestClient, world: Session, token_for: Any) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers)
    conversation_id = resolved(
        client, headers, world, external_id="<bounced@example.ie>", customer={"email": "b@example.ie"}
    )
    world.execute(
        update(CustomerIdentity)
        .where(CustomerIdentity.value == "b@example.ie")
        .values(undeliverable_at=dt.datetime.now(dt.UTC), undeliverable_reason="5.1.1 no such user")
    )
    world.commit()
    send_surveys(world)
    assert _invitation(world, conversation_id).skip_reason == "no_address"  # type: ignore[union-attr]


def test_old_resolutions_and_disabled_channels_are_left_alone(
    client: TestClient, world: Session, token_for: Any
) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers)
    old = resolved(client, headers, world, external_id="<old@example.ie>", customer={"email": "old@example.ie"})
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=9)
    world.execute(update(Conversation).where(Conversation.id == old).values(resolved_at=long_ago))
    world.commit()
    send_surveys(world)
    assert _invitation(world, old) is None
    set_policy(client, headers, enabled=False)
    fresh = resolved(client, headers, world, external_id="<fresh@example.ie>", customer={"email": "fresh@example.ie"})
    send_surveys(world)
    assert _invitation(world, fresh) is None
    still_open = contact(client, headers, external_id="<open@example.ie>", customer={"email": "open@example.ie"})
    set_policy(client, headers)
    send_surveys(world)
    assert _invitation(world, fresh) is not None
    assert _invitation(world, still_open) is None


def test_a_relay_that_refuses_is_retried_and_the_failure_kept(
    client: TestClient, world: Session, token_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "smtp_port", live.free_port())  # nothing listens there
    headers = token_for(ADMIN)
    set_policy(client, headers)
    conversation_id = resolved(
        client, headers, world, external_id="<retry@example.ie>", customer={"email": "r@example.ie"}
    )
    send_surveys(world)
    assert deliver_emails(world) == 1
    invitation = _invitation(world, conversation_id)
    assert invitation is not None
    assert invitation.delivery_status == "retrying"
    assert (invitation.delivery_error or "").startswith("attempt 1: ConnectionRefusedError")
    retry = world.scalar(select(Job).where(Job.name == "quality.send_survey_email", Job.status == "queued"))
    assert retry is not None
    assert retry.payload == {"invitation_id": invitation.id, "attempt": 2}
