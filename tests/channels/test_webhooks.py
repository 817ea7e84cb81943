"""Signed webhooks through the HTTP API: authentic, fresh and seen once; unreadable payloads kept and replayed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from cxhub.auth.permissions import Role
from cxhub.channels import tasks
from cxhub.channels.models import WebhookReceipt
from cxhub.channels.signatures import sign
from cxhub.conversations.models import Conversation, DeadLetter, Interaction
from cxhub.customers.models import CustomerIdentity
from cxhub.workforce import service as workforce
from cxhub.workforce.models import Organisation, Team
from cxhub.workforce.schemas import AgentCreate

Headers = Callable[[str], dict[str, str]]
SAMPLES = Path(__file__).parent / "samples"


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _source(client: TestClient, admin: dict[str, str], name: str, adapter: str) -> str:
    response = client.post("/api/v1/channel-sources", json={"name": name, "adapter": adapter}, headers=admin)
    assert response.status_code == 201, response.text
    return str(response.json()["secret"])


def _signed(
    secret: str, body: bytes, *, at: int | None = None, content_type: str = "application/json"
) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    return {
        "X-Cxhub-Timestamp": str(timestamp),
        "X-Cxhub-Signature": sign(secret, timestamp, body),
        "Content-Type": content_type,
    }


def _post(client: TestClient, name: str, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/webhooks/{name}", content=body, headers=headers)


@pytest.fixture
def admin(token_for: Headers) -> dict[str, str]:
    return token_for("admin@lumen.example")


@pytest.mark.postgres
def test_a_signed_call_record_is_stored(client: TestClient, admin: dict[str, str], world: Session) -> None:
    secret = _source(client, admin, "phone-ie", "voice")
    body = (SAMPLES / "voice_call_ended.json").read_bytes()
    response = _post(client, "phone-ie", body, _signed(secret, body))
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert item["duplicate"] is False
    call = world.get_one(Interaction, item["interaction_id"])
    assert (call.channel, call.kind, call.external_id) == ("voice", "call", "812345678")
    assert call.voice == {
        "queue_seconds": 42.0,
        "talk_seconds": 360.0,
        "hold_seconds": 35.0,
        "wrap_seconds": 60.0,
        "abandoned": False,
    }
    assert call.handle_seconds == 455.0  # talk + hold + wrap
    assert call.handled_by_agent_id is not None
    assert call.url == "https://recordings.phone.example/calls/812345678.mp3"
    assert call.text is not None
    assert "kettle" in call.text
    assert call.extra == {"queue": "Lumen Support IE", "outcome": "answered"}
    phone = world.scalar(select(CustomerIdentity.value).where(CustomerIdentity.customer_id == call.customer_id))
    assert phone == "+353871234567"  # national number read with the line's country
    assert world.get_one(Conversation, call.conversation_id).needs_answer is False


def test_abandoned_calls_keep_their_queue_time_and_voicemails_are_their_own_channel(
    client: TestClient, admin: dict[str, str], world: Session
) -> None:
    secret = _source(client, admin, "phone-ie", "voice")
    body = (SAMPLES / "voice_call_abandoned.json").read_bytes()
    [abandoned] = _post(client, "phone-ie", body, _signed(secret, body)).json()["items"]
    call = world.get_one(Interaction, abandoned["interaction_id"])
    assert call.voice is not None
    assert (call.voice["abandoned"], call.voice["queue_seconds"], call.handle_seconds) == (True, 87.0, None)
    assert world.get_one(Conversation, call.conversation_id).needs_answer is True  # a call back is owed
    body = (SAMPLES / "voice_calls.ndjson").read_bytes()
    response = _post(client, "phone-ie", body, _signed(secret, body, content_type="application/x-ndjson"))
    assert response.status_code == 200, response.text
    rows = {i.external_id: i for i in world.scalars(select(Interaction).where(Interaction.external_id.like("CDR-%")))}
    assert len(rows) == 4
    voicemail = rows["CDR-2026-11-20-0003"]
    assert (voicemail.channel, voicemail.kind) == ("voicemail", "voicemail")
    assert rows["CDR-2026-11-20-0002"].voice == {
        "queue_seconds": 131.0,
        "talk_seconds": 0.0,
        "hold_seconds": 0.0,
        "wrap_seconds": 0.0,
        "abandoned": True,
    }
    assert rows["CDR-2026-11-20-0004"].extra["outcome"] == "callback"


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "changed body", "no headers", "no signature", "not unix seconds", "six minutes old"],
)
def test_requests_that_are_not_authentic_or_fresh_are_refused_and_store_nothing(
    client: TestClient, admin: dict[str, str], world: Session, tamper: str
) -> None:
    secret = _source(client, admin, "phone-ie", "voice")
    body = (SAMPLES / "voice_call_ended.json").read_bytes()
    headers = _signed(secret, body)
    if tamper == "wrong secret":
        headers = _signed("not-the-secret", body)
    elif tamper == "changed body":
        body = body.replace(b"812345678", b"812345679")
    elif tamper == "no headers":
        headers = {"Content-Type": "application/json"}
    elif tamper == "no signature":
        del headers["X-Cxhub-Signature"]
    elif tamper == "not unix seconds":
        headers["X-Cxhub-Timestamp"] = "2026-11-20T09:00:00Z"
    else:
        headers = _signed(secret, body, at=int(time.time()) - 6 * 60)
    response = _post(client, "phone-ie", body, headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (_count(world, Interaction), _count(world, DeadLetter), _count(world, WebhookReceipt)) == (0, 0, 0)


def test_an_unknown_source_is_not_found(client: TestClient, world: Session) -> None:
    body = b"{}"
    assert _post(client, "nobody", body, _signed("x", body)).status_code == 404


@pytest.mark.postgres
def test_the_same_signed_request_twice_is_a_refused_replay(
    client: TestClient, admin: dict[str, str], world: Session
) -> None:
    secret = _source(client, admin, "phone-ie", "voice")
    body = (SAMPLES / "voice_call_ended.json").read_bytes()
    headers = _signed(secret, body)
    assert _post(client, "phone-ie", body, headers).status_code == 200
    again = _post(client, "phone-ie", body, headers)
    assert again.status_code == 409
    assert "replay" in again.json()["detail"]
    assert _count(world, Interaction) == 1


@pytest.mark.postgres
def test_a_retry_signed_anew_with_the_same_call_id_is_a_duplicate(
    client: TestClient, admin: dict[str, str], world: Session
) -> None:
    secret = _source(client, admin, "phone-ie", "voice")
    body = (SAMPLES / "voice_call_ended.json").read_bytes()
    sent_at = int(time.time())
    first = _post(client, "phone-ie", body, _signed(secret, body, at=sent_at)).json()["items"][0]
    retry = _post(client, "phone-ie", body, _signed(secret, body, at=sent_at - 1))  # another signature, same call
    assert retry.status_code == 200, retry.text
    assert retry.json()["items"] == [{**first, "duplicate": True}]
    assert _count(world, Interaction) == 1


@pytest.mark.postgres
def test_an_unreadable_payload_is_kept_and_replayed_after_the_fix(
    client: TestClient, admin: dict[str, str], world: Session
) -> None:
    secret = _source(client, admin, "phone-ie", "voice")
    record = json.loads((SAMPLES / "voice_calls.ndjson").read_text().splitlines()[0])
    record["agent_email"] = "ciara.new@lumen.example"  # starts on Monday; the phone platform knows her already
    body = json.dumps(record).encode()
    response = _post(client, "phone-ie", body, _signed(secret, body))
    assert response.status_code == 422
    assert "handled_by: no agent has this e-mail" in response.json()["detail"]
    assert _count(world, Interaction) == 0
    listed = client.get("/api/v1/dead-letters", headers=admin).json()["items"]
    assert [(d["source"], d["size"]) for d in listed] == [("webhook.phone-ie", len(body))]
    assert "record 0: handled_by" in listed[0]["reason"]
    dead_letter = world.get_one(DeadLetter, listed[0]["id"])
    assert dead_letter.raw == body

    not_yet = client.post(f"/api/v1/dead-letters/{dead_letter.id}/replay", headers=admin).json()
    assert not_yet["result"].startswith("failed again")
    _register_agent(world, "ciara.new@lumen.example")
    replayed = client.post(f"/api/v1/dead-letters/{dead_letter.id}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["result"] == "recorded 1 interaction(s)"
    call = world.scalar(select(Interaction).where(Interaction.external_id == record["call_id"]))
    assert call is not None
    assert call.handled_by_agent_id is not None


def test_garbage_and_invalid_records_are_dead_letters_with_field_reasons(
    client: TestClient, admin: dict[str, str], world: Session
) -> None:
    secret = _source(client, admin, "phone-ie", "voice")
    garbage = b"\x00\xffnot json"
    response = _post(client, "phone-ie", garbage, _signed(secret, garbage))
    assert response.status_code == 422
    invalid = json.dumps(
        [{"call_id": "A-1", "started_at": "2026-11-20T09:00:00", "caller": "087 123 4567", "queue_secs": 3}]
    ).encode()
    response = _post(client, "phone-ie", invalid, _signed(secret, invalid))
    assert response.status_code == 422
    reason = response.json()["errors"][0]["reason"]
    assert "queue_secs: not a field of this record" in reason
    assert "started_at: must carry a UTC offset" in reason
    assert "caller: 087 123 4567 is a national number: give caller_country" in reason
    kept = world.scalars(select(DeadLetter).order_by(DeadLetter.received_at)).all()
    assert [d.raw for d in kept] == [garbage, invalid]
    assert _count(world, Interaction) == 0


def test_a_public_review_needs_a_public_answer_recorded_with_its_url(
    client: TestClient, admin: dict[str, str], world: Session
) -> None:
    secret = _source(client, admin, "reviews", "review")
    body = (SAMPLES / "review_service_review_created.json").read_bytes()
    [item] = _post(client, "reviews", body, _signed(secret, body)).json()["items"]  # the deletion is skipped
    review = world.get_one(Interaction, item["interaction_id"])
    assert (review.channel, review.kind, review.rating, review.public) == ("review", "review", 2, True)
    assert review.subject == "Kettle died after two weeks"
    assert review.order_ref == "LH-100234"
    conversation = world.get_one(Conversation, item["conversation_id"])
    assert conversation.needs_public_answer is True
    path = f"/api/v1/conversations/{conversation.id}/replies"
    no_url = client.post(path, json={"text": "Sorry, Jane"}, headers=admin)
    assert no_url.status_code == 422
    assert no_url.json()["errors"][0]["field"] == "public_url"
    url = "https://reviews.example/reviews/6731f0c2a8e9b40012ab34cd#reply"
    reply = client.post(
        path, json={"text": "Sorry, Jane: a new kettle is on its way.", "public_url": url}, headers=admin
    )
    assert reply.status_code == 201, reply.text
    tasks.deliver(world, {"interaction_id": reply.json()["id"], "attempt": 1})
    answer = world.get_one(Interaction, reply.json()["id"])
    assert (answer.delivery_status, answer.url, answer.public) == ("recorded", url, True)
    world.refresh(conversation)
    assert conversation.needs_public_answer is False


def test_social_mentions_from_x_and_instagram(client: TestClient, admin: dict[str, str], world: Session) -> None:
    secret = _source(client, admin, "social-listening", "social")
    x_body = (SAMPLES / "social_x_mention.json").read_bytes()
    [mention] = _post(client, "social-listening", x_body, _signed(secret, x_body)).json()["items"]  # not our reply
    post = world.get_one(Interaction, mention["interaction_id"])
    assert (post.channel, post.kind, post.platform, post.public) == ("social", "post", "x", True)
    assert post.url == "https://x.com/jane_d_dublin/status/1859581234567890123"
    assert world.get_one(Conversation, post.conversation_id).needs_public_answer is True
    ig_body = (SAMPLES / "social_instagram_comment.json").read_bytes()
    [comment] = _post(client, "social-listening", ig_body, _signed(secret, ig_body)).json()["items"]
    assert world.get_one(Conversation, comment["conversation_id"]).thread_ref == "instagram:17999912345678901"
    identities = set(world.scalars(select(CustomerIdentity.value)))
    assert identities == {"x:jane_d_dublin", "instagram:home.by.aoife"}


@pytest.mark.postgres
def test_orders_and_returns_sit_on_the_customers_timeline(
    client: TestClient, admin: dict[str, str], world: Session
) -> None:
    secret = _source(client, admin, "shops", "commerce")
    order = (SAMPLES / "commerce_store_order.json").read_bytes()
    [placed] = _post(client, "shops", order, _signed(secret, order)).json()["items"]
    shipped_payload = json.loads(order)
    shipped_payload["fulfillment_status"] = "fulfilled"
    shipped_payload["fulfillments"] = [{"id": 1, "created_at": "2026-11-03T08:01:12+00:00", "status": "success"}]
    shipped = json.dumps(shipped_payload).encode()
    [sent] = _post(client, "shops", shipped, _signed(secret, shipped)).json()["items"]
    assert sent["conversation_id"] == placed["conversation_id"]  # one order, one thread
    conversation = world.get_one(Conversation, placed["conversation_id"])
    assert (conversation.channel, conversation.needs_answer) == ("commerce", False)
    assert conversation.thread_ref == "shop.lumenhome.example:#LH-100234"
    first = world.get_one(Interaction, placed["interaction_id"])
    assert (first.kind, first.seller, first.order_ref) == ("order", "shop.lumenhome.example", "#LH-100234")
    assert first.extra["total"] == "64.90"
    assert first.extra["items"][0] == {
        "sku": "LH-KETTLE-17",
        "name": "Aurora Kettle 1.7 l",
        "quantity": 1,
        "unit_price": "49.95",
    }
    returns = (SAMPLES / "commerce_marketplace_returns.json").read_bytes()
    with_comment, refunded = _post(client, "shops", returns, _signed(secret, returns)).json()["items"]
    flagged = world.get_one(Conversation, with_comment["conversation_id"])
    assert (flagged.needs_answer, flagged.thread_ref) == (True, "amazon.de:302-4419921-7712345")
    assert world.get_one(Interaction, refunded["interaction_id"]).kind == "return"
    assert world.get_one(Conversation, refunded["conversation_id"]).needs_answer is False


def _register_agent(session: Session, email: str) -> None:
    organisation = session.scalars(select(Organisation).where(Organisation.name == "Lumen Care")).one()
    team = session.scalars(select(Team).where(Team.organisation_id == organisation.id)).first()
    assert team is not None
    user, _ = workforce.create_user(
        session,
        email=email,
        name="Ciara Nolan",
        role=Role.AGENT,
        organisation_id=organisation.id,
        password="a-long-enough-password",
        actor=None,
    )
    workforce.create_agent(session, agent_create=AgentCreate(user_id=user.id, team_id=team.id), actor=None)
    session.commit()


def test_the_answer_leaves_only_after_the_commit(app: Any, admin: dict[str, str], world: Session) -> None:
    """A 2xx is a promise that the payload is stored: the unit of work commits before the answer is sent."""
    order: list[str] = []

    def committed(session: Session) -> None:
        order.append("commit")

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        async def send_and_note(message: Any) -> None:
            if message["type"] == "http.response.start":
                order.append("answer")
            await send(message)

        await app(scope, receive, send_and_note)

    with TestClient(recording) as client:
        secret = _source(client, admin, "phone-ie", "voice")
        body = (SAMPLES / "voice_call_ended.json").read_bytes()
        event.listen(Session, "after_commit", committed)
        try:
            order.clear()
            assert _post(client, "phone-ie", body, _signed(secret, body)).status_code == 200
        finally:
            event.remove(Session, "after_commit", committed)
    assert "commit" in order
    assert order[-1] == "answer"  # nothing is committed after the answer has left
