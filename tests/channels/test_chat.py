"""Web chat endpoints: visitor passes, idempotent messages, resumable streams, CORS, e-mail for a follow-up."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from cxhub.app import create_app
from cxhub.channels.chat import service as chat_service
from cxhub.channels.chat.stream import event_stream
from cxhub.channels.tasks import deliver
from cxhub.config import get_settings
from cxhub.conversations.models import Conversation, DeadLetter, Interaction
from cxhub.conversations.service import keep_dead_letter
from cxhub.customers.models import CustomerIdentity
from tests.conftest import BuiltApp, csrf_from

Headers = Callable[[str], dict[str, str]]
BRAND = "Lumen Home"
SHOP = "https://shop.example"


def _app(engine: Engine, session_factory: sessionmaker[Session] | None = None, **settings: Any) -> FastAPI:
    # short streams: the test client reads a response to its end
    update = {"chat_stream_seconds": 0.3, "chat_poll_seconds": 0.05, **settings}
    return create_app(get_settings().model_copy(update=update), engine=engine, session_factory=session_factory)


@pytest.fixture(scope="module")
def chat_app(engine: Engine) -> BuiltApp:
    return BuiltApp(_app(engine))


@pytest.fixture
def app(chat_app: BuiltApp, session_factory: sessionmaker[Session]) -> FastAPI:
    return chat_app.on(session_factory)


@pytest.fixture
def chat(client: TestClient, world: Session) -> TestClient:
    return client


def _start(client: TestClient, token: str | None = None) -> dict[str, Any]:
    response = client.post("/chat/session", json={"brand": BRAND, "token": token})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _say(client: TestClient, token: str, client_id: str, text: str) -> Any:
    return client.post("/chat/messages", json={"token": token, "id": client_id, "text": text})


def _events(client: TestClient, path: str, **headers: str) -> list[dict[str, Any]]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = []
    for block in response.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":") and ": " in line)
        if "data" in fields:
            events.append({"id": fields["id"], "event": fields["event"], **json.loads(fields["data"])})
    return events


def _tampered(token: str) -> str:
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


def test_a_returning_visitor_keeps_their_pass_and_a_tampered_one_starts_anew(chat: TestClient) -> None:
    first = _start(chat)
    assert first["returning"] is False
    again = _start(chat, first["token"])
    assert (again["returning"], again["visitor_id"], again["session_id"]) == (
        True,
        first["visitor_id"],
        first["session_id"],
    )
    forged = _start(chat, _tampered(first["token"]))
    assert forged["returning"] is False
    assert forged["visitor_id"] != first["visitor_id"]
    refused = _say(chat, _tampered(first["token"]), "message-0001", "Hello")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert chat.get("/chat/stream", params={"token": _tampered(first["token"])}).status_code == 401


def test_the_returning_visitor_sees_their_open_conversation(chat: TestClient, world: Session) -> None:
    visitor = _start(chat)
    assert _say(chat, visitor["token"], "message-0001", "Hello").status_code == 201
    conversation = world.scalar(select(Conversation).where(Conversation.thread_ref == visitor["session_id"]))
    assert conversation is not None
    assert conversation.channel == "chat"
    visitor_identity = world.scalar(select(CustomerIdentity).where(CustomerIdentity.kind == "visitor"))
    assert visitor_identity is not None
    assert (visitor_identity.value, visitor_identity.customer_id) == (visitor["visitor_id"], conversation.customer_id)
    conversation.status = "closed"
    world.commit()
    later = _start(chat, visitor["token"])
    assert later["returning"] is True
    assert later["session_id"] != visitor["session_id"]  # the closed chat stays closed; a new one starts


@pytest.mark.postgres
def test_a_retried_message_is_a_no_op(chat: TestClient, world: Session) -> None:
    token = _start(chat)["token"]
    first = _say(chat, token, "message-0001", "Where is my parcel?")
    assert first.status_code == 201, first.text
    again = _say(chat, token, "message-0001", "Where is my parcel?")
    assert again.status_code == 200
    assert again.json() == {"interaction_id": first.json()["interaction_id"], "duplicate": True}
    reused = _say(chat, token, "message-0001", "Something else")
    assert reused.status_code == 409
    assert world.scalar(select(func.count()).select_from(Interaction)) == 1


def test_an_unreadable_message_is_kept_and_a_fixed_payload_replays(
    chat: TestClient, client: TestClient, token_for: Headers, world: Session
) -> None:
    token = _start(chat)["token"]
    too_long = _say(chat, token, "message-0001", "x" * 5001)
    assert too_long.status_code == 422
    kept = world.scalar(select(DeadLetter).where(DeadLetter.source == "chat.widget"))
    assert kept is not None
    assert "kept as dead letter" in too_long.json()["detail"]
    payload = json.dumps({"token": token, "id": "message-0002", "text": "Hello again"}).encode()
    dead_letter = keep_dead_letter(
        world, source="chat.widget", content_type="application/json", raw=payload, reason="a since-fixed bug"
    )
    world.commit()
    replayed = client.post(f"/api/v1/dead-letters/{dead_letter.id}/replay", headers=token_for("admin@lumen.example"))
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["result"] == "recorded 1 interaction(s)"
    recorded = world.scalar(select(Interaction).where(Interaction.text == "Hello again"))
    assert recorded is not None
    assert recorded.channel == "chat"


def _conversation_id(world: Session, session_id: str) -> str:
    conversation_id = world.scalar(select(Conversation.id).where(Conversation.thread_ref == session_id))
    assert conversation_id is not None
    return conversation_id


@pytest.mark.postgres
def test_the_stream_sends_the_history_then_resumes_after_an_id(
    chat: TestClient, token_for: Headers, world: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    visitor = _start(chat)
    token = visitor["token"]
    one = _say(chat, token, "message-0001", "Hello").json()["interaction_id"]
    two = _say(chat, token, "message-0002", "Anyone there?").json()["interaction_id"]
    conversation_id = _conversation_id(world, visitor["session_id"])
    reply = chat.post(
        f"/api/v1/conversations/{conversation_id}/replies",
        json={"text": "Yes, how can I help?"},
        headers=token_for("agent@lumen.example"),
    )
    assert reply.status_code == 201, reply.text

    history = _events(chat, f"/chat/stream?token={token}")
    assert [(e["id"], e["direction"], e["text"]) for e in history] == [
        (one, "inbound", "Hello"),
        (two, "inbound", "Anyone there?"),
        (reply.json()["id"], "outbound", "Yes, how can I help?"),
    ]
    assert [e["client_id"] for e in history] == ["message-0001", "message-0002", None]
    assert {e["event"] for e in history} == {"chat"}

    # a resume looks RESUME_OVERLAP behind: never the id itself, and the client drops what it has
    resumed = _events(chat, f"/chat/stream?token={token}&after={two}")
    assert two not in [e["id"] for e in resumed]
    assert resumed[-1]["id"] == reply.json()["id"]
    monkeypatch.setattr(chat_service, "RESUME_OVERLAP", chat_service.dt.timedelta(0))
    exact = _events(chat, f"/chat/stream?token={token}", **{"Last-Event-ID": two})
    assert [e["id"] for e in exact] == [reply.json()["id"]]


def test_the_resume_floor_is_the_overlap_before_the_id() -> None:
    after = "01jd2c3v4w5x6y7z8a9b0c1d2e"
    floor = chat_service.resume_floor(after)
    assert floor is not None
    assert floor < after

    def millis(value: str) -> int:
        number = 0
        for char in value:
            number = number * 32 + "0123456789abcdefghjkmnpqrstvwxyz".index(char)
        return number >> 80

    assert millis(after) - millis(floor) == 3000
    assert chat_service.resume_floor(None) is None


def test_a_reply_is_delivered_by_the_stream(chat: TestClient, token_for: Headers, world: Session) -> None:
    visitor = _start(chat)
    _say(chat, visitor["token"], "message-0001", "Hello")
    conversation_id = _conversation_id(world, visitor["session_id"])
    reply = chat.post(
        f"/api/v1/conversations/{conversation_id}/replies",
        json={"text": "Hi!"},
        headers=token_for("agent@lumen.example"),
    ).json()
    assert reply["channel"] == "chat"
    assert reply["delivery_status"] == "queued"
    deliver(world, {"interaction_id": reply["id"], "attempt": 1})
    world.commit()
    delivered = world.get(Interaction, reply["id"])
    assert delivered is not None
    assert delivered.delivery_status == "sent"


def test_cors_for_the_widget_endpoints_only(chat: TestClient) -> None:
    preflight = chat.options(
        "/chat/messages",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", SHOP)
    started = chat.post("/chat/session", json={"brand": BRAND}, headers={"Origin": SHOP})
    assert started.headers["access-control-allow-origin"] == "*"
    api = chat.get("/api/v1/me", headers={"Origin": SHOP})
    assert "access-control-allow-origin" not in api.headers


def test_cors_limited_to_the_allowed_origins(
    engine: Engine, session_factory: sessionmaker[Session], world: Session
) -> None:
    app = _app(engine, session_factory, chat_allowed_origins=[SHOP])
    with TestClient(app) as client:
        allowed = client.post("/chat/session", json={"brand": BRAND}, headers={"Origin": SHOP})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == SHOP
        preflight = client.options(
            "/chat/messages",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers
        refused = client.post("/chat/session", json={"brand": BRAND}, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers


@pytest.mark.postgres
def test_an_email_left_in_the_chat_becomes_an_identity(
    chat: TestClient, client: TestClient, token_for: Headers, world: Session
) -> None:
    visitor = _start(chat)
    _say(chat, visitor["token"], "message-0001", "Hello")
    left = chat.post("/chat/email", json={"token": visitor["token"], "email": " Jane.Doe@Example.com "})
    assert left.status_code == 200, left.text
    assert left.json() == {"email": "jane.doe@example.com"}
    conversation_id = _conversation_id(world, visitor["session_id"])
    detail = client.get(f"/api/v1/conversations/{conversation_id}", headers=token_for("admin@lumen.example")).json()
    assert {(i["kind"], i["value"]) for i in detail["customer"]["identities"]} == {
        ("visitor", visitor["visitor_id"]),
        ("email", "jane.doe@example.com"),
    }
    assert _start(chat, visitor["token"])["email"] == "jane.doe@example.com"
    bad = chat.post("/chat/email", json={"token": visitor["token"], "email": "not an address"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "email", "reason": "this is not an e-mail address"}]


def test_an_email_held_by_another_customer_is_not_moved(chat: TestClient, world: Session) -> None:
    first, second = _start(chat), _start(chat)
    for visitor in (first, second):
        assert (
            chat.post("/chat/email", json={"token": visitor["token"], "email": "shared@example.com"}).status_code == 200
        )
    holders = world.scalars(select(CustomerIdentity.customer_id).where(CustomerIdentity.kind == "email")).all()
    first_customer = world.scalar(
        select(CustomerIdentity.customer_id).where(CustomerIdentity.value == first["visitor_id"])
    )
    assert holders == [first_customer]


def test_the_staff_live_feed_is_scoped(chat: TestClient, world: Session, login: Any) -> None:
    visitor = _start(chat)
    _say(chat, visitor["token"], "message-0001", "Hello")
    conversation_id = _conversation_id(world, visitor["session_id"])
    events = _events(login("agent@lumen.example"), f"/live/conversations/{conversation_id}")
    assert [(e["event"], e["text"], e["direction"]) for e in events] == [("interaction", "Hello", "inbound")]
    partner = login("agent@pacific.example")
    assert partner.get(f"/live/conversations/{conversation_id}").status_code == 404
    assert partner.get(f"/conversations/{conversation_id}").status_code == 404
    partner.cookies.clear()
    anonymous = partner.get(f"/live/conversations/{conversation_id}", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")


def test_an_agent_answers_from_the_live_conversation_page(chat: TestClient, world: Session, login: Any) -> None:
    visitor = _start(chat)
    _say(chat, visitor["token"], "message-0001", "Hello")
    conversation_id = _conversation_id(world, visitor["session_id"])
    agent = login("agent@lumen.example")
    page = agent.get(f"/conversations/{conversation_id}")
    assert page.status_code == 200
    assert f'data-live-feed="/live/conversations/{conversation_id}"' in page.text
    answered = agent.post(
        f"/conversations/{conversation_id}/reply",
        data={"text": "On its way"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(page.text)},
    )
    assert answered.status_code == 204, answered.text
    refused = agent.post(
        f"/conversations/{conversation_id}/reply",
        data={"text": " "},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(page.text)},
    )
    assert refused.headers["HX-Retarget"] == "#reply-error"
    assert "The reply was not sent" in refused.text
    history = _events(chat, f"/chat/stream?token={visitor['token']}")
    assert [(e["direction"], e["text"]) for e in history] == [("inbound", "Hello"), ("outbound", "On its way")]


def test_the_widget_script_is_served(chat: TestClient) -> None:
    script = chat.get("/chat/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "EventSource" in script.text


class _Client:
    def __init__(self, leaves_after: int) -> None:
        self.looks = 0
        self.leaves_after = leaves_after

    async def is_disconnected(self) -> bool:
        self.looks += 1
        return self.looks >= self.leaves_after


def _drain(client: _Client, fetch: Callable[[str | None], list[Any]], lifetime: float = 60) -> list[str]:
    async def run() -> list[str]:
        stream = event_stream(
            client,  # type: ignore[arg-type]  # the stream needs only is_disconnected
            fetch=fetch,
            after=None,
            name="chat",
            poll_seconds=0.01,
            lifetime_seconds=lifetime,
        )
        return [chunk async for chunk in stream]

    return anyio.run(run)


def test_a_stream_stops_when_its_client_leaves_or_its_lifetime_ends() -> None:
    looks: list[str | None] = []

    def fetch(floor: str | None) -> list[Any]:
        looks.append(floor)
        return []

    assert _drain(_Client(leaves_after=3), fetch) == ["retry: 2000\n\n"]
    assert len(looks) == 3
    looks.clear()
    assert _drain(_Client(leaves_after=10**6), fetch, lifetime=0) == ["retry: 2000\n\n"]
    assert len(looks) == 1
