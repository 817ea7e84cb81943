"""A batch is recorded as the same interactions posted one by one would be, in a bounded number of statements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.conversations import bulk
from cxhub.conversations.models import Conversation, ConversationEvent, Interaction
from cxhub.conversations.service import record_status
from cxhub.customers.models import Customer, CustomerIdentity

Headers = Callable[[str], dict[str, str]]
KEY = "import-7"


def _item(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "channel": "email",
        "external_id": f"<m-{n}@example.com>",
        "occurred_at": f"2026-11-20T09:{n:02d}:00+00:00",
        "direction": "inbound",
        "customer": {"email": "jane@example.com"},
        "text": f"message {n}",
        **extra,
    }


EARLIER = [
    (_item(1, customer={"email": "Jane@Example.com", "name": "Jane"}), None),
    (_item(2, channel="chat", thread_ref="chat-1", customer={"visitor_id": "v-1"}), None),
    (_item(3, customer={"email": "bob@example.com"}), f"{KEY}:2"),
    (_item(4, customer={"email": "eve@example.com"}), f"{KEY}:3"),
]

BATCH: list[dict[str, Any]] = [
    _item(10, customer={"email": " JANE@example.com ", "country": "IE"}),  # known customer: reopens her e-mail
    _item(1, customer={"email": "Jane@Example.com", "name": "Jane"}),  # a retry of an earlier row
    _item(3, customer={"email": "bob@example.com"}),  # a retry by Idempotency-Key (and external id)
    _item(11, customer={"email": "eve@example.com"}),  # that key, another body: conflict
    _item(1, text="edited"),  # an earlier external id, another body: conflict
    {  # a new customer by phone
        **_item(12, channel="voice", customer={"phone": "087 765 4321", "country": "IE", "name": "Carol"}),
        "voice": {"queue_seconds": 20, "talk_seconds": 300, "hold_seconds": 30, "wrap_seconds": 45},
    },
    {  # a retry inside the batch
        **_item(12, channel="voice", customer={"phone": "087 765 4321", "country": "IE", "name": "Carol"}),
        "voice": {"queue_seconds": 20, "talk_seconds": 300, "hold_seconds": 30, "wrap_seconds": 45},
    },
    _item(12, channel="voice", customer={"phone": "+353877654321"}),  # same id inside the batch, another body
    _item(13, channel="chat", thread_ref="chat-1", customer={"visitor_id": "v-2"}),  # the thread, not the visitor
    _item(14, direction="outbound", handled_by="Agent@Lumen.example", customer={"email": "jane@example.com"}),
    _item(15, direction="outbound", handled_by="nobody@lumen.example"),  # unknown agent
    _item(16, customer={"email": "not an e-mail"}),  # no usable identifier
    _item(17, brand="Nowhere"),  # unknown brand
    {  # a new customer with two identifiers, a public review
        **_item(
            18, channel="review", customer={"email": "dave@example.com", "platform": "trustpilot", "handle": "@Dave"}
        ),
        "public": True,
        "rating": 2,
        "url": "https://reviews.example/d/1",
    },
    _item(19, channel="social", customer={"platform": "TrustPilot", "handle": "dave"}),  # found by the batch's identity
    _item(20, customer={"email": "jane@example.com", "phone": "+353877654321"}),  # both known: the first seen wins
    {
        **_item(21, channel="commerce", customer={"seller": "Marketplace X", "customer_ref": "C-9"}),
        "order_ref": "O-1",
    },
    {**_item(22), "occurred_at": "2026-11-20T09:22:00"},  # refused at the edge: no offset
    _item(23, channel="chat", thread_ref="chat-2", customer={"visitor_id": "v-3"}),
    _item(24, channel="chat", thread_ref="chat-2", direction="outbound", handled_by="agent@lumen.example"),
    _item(25, direction="outbound", customer={"email": "jane@example.com"}, handle_seconds=30),
]


def _post_earlier(client: TestClient, admin: dict[str, str], world: Session) -> None:
    for item, key in EARLIER:
        headers = {**admin, "Idempotency-Key": key} if key else admin
        assert client.post("/api/v1/interactions", json=item, headers=headers).status_code == 201
    email = world.scalar(select(Conversation).where(Conversation.channel == "email").order_by(Conversation.created_at))
    chat = world.scalar(select(Conversation).where(Conversation.thread_ref == "chat-1"))
    assert email is not None
    assert chat is not None
    record_status(world, conversation=email, status="resolved", at=email.created_at, user_id=None)
    record_status(world, conversation=chat, status="pending_customer", at=chat.created_at, user_id=None)
    world.commit()


def _outcome(status: int, body: dict[str, Any]) -> tuple[Any, ...]:
    if "error" in body:
        return ("error", body["error"]["status"])
    if status >= 400:
        return ("error", status)
    return ("duplicate" if body["duplicate"] else "created", body["interaction_id"], body["conversation_id"])


def _state(connection: Any) -> dict[str, Any]:
    """Every row the intake writes, with ids replaced by what they stand for."""
    identities = connection.execute(select(CustomerIdentity)).all()
    customer_key = {}
    for identity in identities:
        customer_key.setdefault(identity.customer_id, []).append(f"{identity.kind}:{identity.value}")
    customer_key = {k: tuple(sorted(v)) for k, v in customer_key.items()}
    interactions = connection.execute(select(Interaction)).all()
    conversations = connection.execute(select(Conversation)).all()
    first = {}
    for i in sorted(interactions, key=lambda i: (i.occurred_at, i.external_id)):
        first.setdefault(i.conversation_id, i.external_id)
    return {
        "customers": sorted(
            (customer_key[c.id], c.name, c.country, c.language) for c in connection.execute(select(Customer))
        ),
        "identities": sorted((customer_key[i.customer_id], i.kind, i.value, i.source) for i in identities),
        "conversations": sorted(
            (
                first[c.id],
                customer_key[c.customer_id],
                c.channel,
                c.status,
                c.thread_ref,
                c.subject,
                c.language,
                c.needs_answer,
                c.needs_public_answer,
                c.created_at,
                c.last_inbound_at,
                c.last_outbound_at,
                c.first_response_at,
            )
            for c in conversations
        ),
        "interactions": sorted(
            (
                i.external_id,
                i.channel,
                first[i.conversation_id],
                customer_key[i.customer_id],
                i.kind,
                i.direction,
                i.idempotency_key,
                i.body_digest,
                i.occurred_at,
                i.handled_by_agent_id,
                i.handle_seconds,
                i.voice,
                i.public,
                i.rating,
                i.platform,
                i.text,
            )
            for i in interactions
        ),
        "sql_nulls": sorted(
            connection.execute(
                select(Interaction.external_id, Interaction.voice.is_(None), Interaction.html.is_(None))
            ).all()
        ),
        "events": sorted(
            (first[e.conversation_id], e.before, e.after, e.at) for e in connection.execute(select(ConversationEvent))
        ),
    }


def _labels(outcomes: list[tuple[Any, ...]], connection: Any) -> list[tuple[Any, ...]]:
    external = dict(connection.execute(select(Interaction.id, Interaction.external_id)).all())
    thread = {}
    for i in connection.execute(select(Interaction).order_by(Interaction.occurred_at, Interaction.external_id)):
        thread.setdefault(i.conversation_id, i.external_id)
    return [(o[0], external[o[1]], thread[o[2]]) if o[0] != "error" else o for o in outcomes]


@pytest.mark.postgres
def test_a_batch_is_recorded_as_one_by_one(
    client: TestClient, token_for: Headers, world: Session, connection: Any
) -> None:
    admin = token_for("admin@lumen.example")
    _post_earlier(client, admin, world)

    before_batch = connection.begin_nested()
    one_by_one = []
    for position, item in enumerate(BATCH):
        response = client.post(
            "/api/v1/interactions", json=item, headers={**admin, "Idempotency-Key": f"{KEY}:{position}"}
        )
        one_by_one.append(_outcome(response.status_code, response.json()))
    expected, expected_state = _labels(one_by_one, connection), _state(connection)
    before_batch.rollback()

    response = client.post("/api/v1/interactions", json=BATCH, headers={**admin, "Idempotency-Key": KEY})
    assert response.status_code == 200
    batch = [_outcome(200, item) for item in response.json()["items"]]
    assert _labels(batch, connection) == expected
    assert _state(connection) == expected_state
    assert [o[0] for o in batch] == [
        "created", "duplicate", "duplicate", "error", "error", "created", "duplicate", "error", "created",
        "created", "error", "error", "error", "created", "created", "created", "created", "error", "created",
        "created", "created",
    ]  # fmt: skip
    assert [o[1] for o in batch if o[0] == "error"] == [409, 409, 409, 422, 422, 422, 422]
    events = connection.execute(select(ConversationEvent.before, ConversationEvent.after)).all()
    assert sorted(events) == [
        ("new", "open"),  # an agent's reply opens a new conversation
        ("new", "pending_customer"),
        ("new", "resolved"),
        ("pending_customer", "open"),
        ("resolved", "open"),
    ]

    again = client.post("/api/v1/interactions", json=BATCH, headers={**admin, "Idempotency-Key": KEY}).json()["items"]
    assert [_outcome(200, item)[0] for item in again] == ["duplicate" if o[0] == "created" else o[0] for o in batch]


def test_statements_per_batch_do_not_grow_with_the_batch(
    client: TestClient, token_for: Headers, world: Session, count_queries: Callable[[], Any]
) -> None:
    admin = token_for("admin@lumen.example")

    def batch(start: int, size: int) -> list[dict[str, Any]]:
        return [
            _item(
                n % 60,
                external_id=f"<b-{n}@example.com>",
                thread_ref=f"t-{n // 3}" if n % 2 else None,
                customer={"email": f"c{n // 4}@example.com", "name": f"C {n}"},
                # every fifth an agent's reply: on a new conversation it opens it (a status event)
                **({"direction": "outbound", "handled_by": "agent@lumen.example"} if n % 5 == 0 else {}),
            )
            for n in range(start, start + size)
        ]

    for start in (5000, 5010):  # the token's first use is noted, the second keeps its actor for a while
        client.post("/api/v1/interactions", json=batch(start, 2), headers=admin)
    counts = []
    for start, size in ((0, 40), (1000, 400), (1300, 400)):  # fresh, fresh, half known
        with count_queries() as counted:
            assert client.post("/api/v1/interactions", json=batch(start, size), headers=admin).status_code == 200
        counts.append(len(counted.statements))
    assert counts[0] == counts[1], counts
    assert counts[2] <= counts[1] + 4, counts


def test_a_batch_that_meets_a_concurrent_intake_is_recorded_one_by_one(
    client: TestClient, token_for: Headers, world: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = token_for("admin@lumen.example")
    first = client.post("/api/v1/interactions", json=[_item(1), _item(2)], headers=admin).json()["items"]

    def nothing_stored_yet(*args: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return {}, {}  # as if another process stored them after this batch looked

    monkeypatch.setattr(bulk, "_stored", nothing_stored_yet)
    again = client.post("/api/v1/interactions", json=[_item(1), _item(2), _item(3)], headers=admin).json()["items"]
    assert [i["duplicate"] for i in again] == [True, True, False]
    assert [i["interaction_id"] for i in again[:2]] == [i["interaction_id"] for i in first]
