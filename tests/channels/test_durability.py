"""Durability: a server killed with SIGKILL mid-stream has stored every interaction it acknowledged.

`cxhub serve` runs as a process of its own on a free loopback port, with a database of its own. A
thread posts interactions one by one (and now and then a batch) as fast as it can; the server is
killed at a random moment. Every interaction that got a 2xx answer must be stored whole (with its
conversation and customer); after a restart, re-posting everything answers the acknowledged ones as
duplicates with their original ids.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from cxhub import demo
from cxhub.auth import service as auth_service
from cxhub.auth.repository import user_by_email
from cxhub.conversations.models import Conversation, Interaction
from cxhub.customers.models import Customer
from cxhub.db import make_engine, make_sessionmaker
from tests import live

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
PLANNED = 3000
BATCH_EVERY = 20  # every 20th request is a batch of BATCH_SIZE
BATCH_SIZE = 5


@pytest.fixture
def database(own_database: Callable[[str], str]) -> str:
    return own_database("durability")


@pytest.fixture
def token(database: str) -> str:
    engine = make_engine(database)
    with make_sessionmaker(engine)() as session:
        demo.load(session)
        user = user_by_email(session, "admin@lumen.example")
        assert user is not None
        _, secret = auth_service.create_api_token(session, user=user, name="durability", actor=None)
        session.commit()
    engine.dispose()
    return secret


def _serve(database: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    return live.serve(port, env=live.hub_env(data_dir, CXHUB_DATABASE_URL=database), log=data_dir / "server.log")


def _interaction(n: int) -> dict[str, Any]:
    return {
        "channel": "voice" if n % 3 == 0 else "email",
        "external_id": f"durability-{n}",
        "occurred_at": "2026-11-20T09:00:00+00:00",
        "direction": "inbound",
        "customer": {"email": f"customer{n % 97}@example.com", "name": f"Customer {n % 97}"},
        "text": f"message {n}",
    }


class Sender(threading.Thread):
    """Posts the planned interactions until the server stops answering; keeps what was acknowledged."""

    def __init__(self, base_url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        self.acknowledged: dict[str, tuple[str, str, str]] = {}
        self.attempted: list[dict[str, Any]] = []
        self.first_answer = threading.Event()

    def run(self) -> None:
        n = requests = 0
        while n < PLANNED:
            requests += 1
            size = BATCH_SIZE if requests % BATCH_EVERY == 0 else 1
            items = [_interaction(n + i) for i in range(size)]
            n += size
            self.attempted.extend(items)
            try:
                response = self.client.post("/api/v1/interactions", json=items if size > 1 else items[0])
            except httpx.TransportError:
                return  # the server is gone
            assert response.is_success, response.text
            results = response.json()["items"] if size > 1 else [response.json()]
            for item, result in zip(items, results, strict=True):
                self.acknowledged[item["external_id"]] = _ids(result)
            self.first_answer.set()
        self.first_answer.set()


def _ids(result: dict[str, Any]) -> tuple[str, str, str]:
    return result["interaction_id"], result["conversation_id"], result["customer_id"]


def test_every_acknowledged_interaction_survives_a_kill(database: str, token: str, tmp_path: Path) -> None:
    port = live.free_port()
    server = _serve(database, tmp_path, port)
    sender = Sender(f"http://127.0.0.1:{port}", token)
    try:
        sender.start()
        assert sender.first_answer.wait(60)
        time.sleep(random.uniform(0.3, 3.0))
        os.kill(server.pid, signal.SIGKILL)
        server.wait(30)
        sender.join(60)
        assert not sender.is_alive()
    finally:
        if server.poll() is None:
            server.kill()
        sender.client.close()
    assert sender.acknowledged, "nothing was acknowledged before the kill"

    engine = make_engine(database)
    with engine.connect() as connection:
        stored = {
            external_id: (interaction_id, conversation_id, customer_id)
            for external_id, interaction_id, conversation_id, customer_id in connection.execute(
                select(Interaction.external_id, Interaction.id, Interaction.conversation_id, Interaction.customer_id)
                .join(Conversation, Conversation.id == Interaction.conversation_id)
                .join(Customer, Customer.id == Interaction.customer_id)
                .where(Interaction.external_id.like("durability-%"))
            )
        }
        every = connection.scalar(select(func.count()).select_from(Interaction)) or 0
        orphans = connection.scalar(
            select(func.count())
            .select_from(Conversation)
            .outerjoin(Customer, Customer.id == Conversation.customer_id)
            .where(Customer.id.is_(None))
        )
    engine.dispose()
    missing = [e for e, ids in sender.acknowledged.items() if stored.get(e) != ids]
    assert missing == [], f"{len(missing)} acknowledged interactions were lost or changed"
    assert every == len(stored)  # none half-stored: each has its conversation and customer
    assert orphans == 0
    assert len(stored) - len(sender.acknowledged) <= BATCH_SIZE  # at most the request in flight was stored unanswered

    server = _serve(database, tmp_path, port)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:
            again: dict[str, dict[str, Any]] = {}
            for start in range(0, len(sender.attempted), 500):
                chunk = sender.attempted[start : start + 500]
                response = client.post("/api/v1/interactions", json=chunk)
                assert response.status_code == 200, response.text
                again.update(zip((i["external_id"] for i in chunk), response.json()["items"], strict=True))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    for external_id, ids in sender.acknowledged.items():
        assert again[external_id]["duplicate"] is True
        assert _ids(again[external_id]) == ids
    assert all("interaction_id" in result for result in again.values())
