"""The inbox page with 1,000,000 conversations in the database: render time and queries per page.

    make bench                                     # SQLite
    CXHUB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres make bench

1,000,000 conversations (CXHUB_BENCH_INBOX_CONVERSATIONS) over 20,000 customers and the demo's agents,
most of them closed; the measured agent holds 60 open ones and 3,000 more wait in their team's queue.
GET /inbox as that agent, 60 times in process after a warm-up. Target: p95 < 150 ms.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import event, select, text

from cxhub import demo
from cxhub.app import create_app
from cxhub.auth.models import User
from cxhub.config import get_settings
from cxhub.conversations.models import Conversation
from cxhub.customers.models import Customer
from cxhub.db import make_engine, make_sessionmaker, unit_of_work
from cxhub.kit.bulkload import insert_rows
from cxhub.kit.databases import create_database, drop_database
from cxhub.kit.ids import new_id
from cxhub.migrate import upgrade
from cxhub.routing.models import Queue, WaitingItem
from cxhub.workforce.models import Agent, Brand

TOTAL = int(os.environ.get("CXHUB_BENCH_INBOX_CONVERSATIONS", "1000000"))
CUSTOMERS = 20_000
MINE, WAITING, CHUNK, REQUESTS = 60, 3000, 50_000, 60
STATUSES = ("closed",) * 8 + ("resolved", "open")


def _fill(url: str) -> str:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    rng = random.Random(7)
    now = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    with unit_of_work(factory) as session:
        demo.load(session)
    with unit_of_work(factory) as session:
        brand_id = session.scalars(select(Brand.id)).one()
        me = session.scalars(
            select(Agent).join(User, User.id == Agent.user_id).where(User.email == "agent@lumen.example")
        ).one()
        agents = [a.id for a in session.scalars(select(Agent))]
        queue_id = session.scalars(select(Queue.id).where(Queue.name == "E-mail")).one()
        customers = [new_id() for _ in range(CUSTOMERS)]
        insert_rows(
            session,
            Customer.__table__,  # type: ignore[arg-type]
            [
                {"id": c, "brand_id": brand_id, "name": f"Customer {n}", "created_at": now}
                for n, c in enumerate(customers)
            ],
        )
        me_id = me.id
    started = time.perf_counter()
    waiting_ids: list[tuple[str, str]] = []
    for start in range(0, TOTAL, CHUNK):
        rows = []
        for n in range(start, min(start + CHUNK, TOTAL)):
            at = now - dt.timedelta(minutes=n % 500_000)
            if n < MINE:
                agent, status = me_id, "open"
            elif n < MINE + WAITING:
                agent, status = None, "new"
            else:
                agent, status = rng.choice(agents), rng.choice(STATUSES)
            customer = customers[n % CUSTOMERS]
            conversation_id = new_id()
            if agent is None:
                waiting_ids.append((conversation_id, customer))
            rows.append(
                {
                    "id": conversation_id,
                    "brand_id": brand_id,
                    "customer_id": customer,
                    "channel": "email",
                    "status": status,
                    "priority": 3,
                    "language": "en",
                    "subject": f"Question {n}",
                    "thread_ref": None,
                    "needs_answer": True,
                    "needs_public_answer": False,
                    "touchpoint_id": None,
                    "tags": [],
                    "organisation_id": None,
                    "team_id": None,
                    "agent_id": agent,
                    "queue_id": queue_id if agent is None else None,
                    "assigned_at": at if agent else None,
                    "routing_status": "queued" if agent is None else "assigned",
                    "created_at": at,
                    "updated_at": at,
                    "last_inbound_at": at,
                    "first_response_at": None,
                    "last_outbound_at": None,
                    "resolved_at": None,
                    "closed_at": None,
                }
            )
        with unit_of_work(factory) as session:
            insert_rows(session, Conversation.__table__, rows)  # type: ignore[arg-type]
    with unit_of_work(factory) as session:
        insert_rows(
            session,
            WaitingItem.__table__,  # type: ignore[arg-type]
            [
                {
                    "conversation_id": c,
                    "brand_id": brand_id,
                    "queue_id": queue_id,
                    "channel": "email",
                    "priority": 3,
                    "waiting_since": now,
                    "customer_id": customer,
                    "language": "en",
                    "customer_country": None,
                    "wants_local": False,
                    "owner_agent_id": None,
                    "owner_team_id": None,
                }
                for c, customer in waiting_ids
            ],
        )
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
    print(f"  {TOTAL:,} conversations written in {time.perf_counter() - started:.0f} s")
    engine.dispose()
    return url


def main() -> None:
    base = os.environ.get("CXHUB_BENCH_DATABASE_URL")
    tmp = Path(tempfile.mkdtemp(prefix="cxhub-inbox-"))
    url = create_database(base, "inbox") if base else f"sqlite:///{tmp / 'inbox.sqlite3'}"
    try:
        print(f"inbox_page on {'PostgreSQL' if base else 'SQLite'}:")
        _fill(url)
        engine = make_engine(url)
        app = create_app(get_settings(), engine=engine, start_worker=False)
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        with TestClient(app) as client:
            page = client.get("/login").text
            token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post(
                "/login", data={"email": "agent@lumen.example", "password": demo.DEMO_PASSWORD, "csrf_token": token}
            )
            for _ in range(5):
                assert client.get("/inbox").status_code == 200
            timings = []
            for _ in range(REQUESTS):
                statements.clear()
                started = time.perf_counter()
                response = client.get("/inbox")
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
                assert "Question 0" in response.text
        timings.sort()
        p95 = timings[round(0.95 * len(timings)) - 1]
        print(f"  GET /inbox: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, {len(statements)} queries")
        print(f"  ratio p95 / target (150 ms): {p95 / 150:.2f}")
        engine.dispose()
    finally:
        if base:
            drop_database(url)


if __name__ == "__main__":
    main()
