"""Never twice, never lost: dispatchers and agents taking work at once, in processes of their own.

On PostgreSQL the rounds lock with SKIP LOCKED; on SQLite each write transaction has the file to
itself (BEGIN IMMEDIATE) and the conversation is taken by a conditional update, as everywhere.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cxhub import demo
from cxhub.auth.permissions import Role
from cxhub.conversations.models import Conversation
from cxhub.conversations.schemas import InteractionCreate
from cxhub.conversations.service import record_interaction
from cxhub.db import make_engine, make_sessionmaker
from cxhub.routing.dispatch import dispatch
from cxhub.routing.models import Assignment, WaitingItem
from cxhub.routing.service import set_presence
from cxhub.workforce import service as workforce
from cxhub.workforce.models import Agent, Organisation, Team
from cxhub.workforce.schemas import AgentCreate, AgentLanguage

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)  # a Wednesday morning: Dublin, Lisbon and Manila are open
CONVERSATIONS = 200
EXTRA_AGENTS = 30

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
def routing_db(own_database: Callable[[str], str]) -> str:
    return own_database("routing")


def _world(url: str) -> None:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        demo.load(session)
        dublin = session.scalars(select(Team).where(Team.name == "Dublin Care")).one()
        lumen = session.scalars(select(Organisation).where(Organisation.name == "Lumen Care")).one()
        for n in range(EXTRA_AGENTS):
            user, _ = workforce.create_user(
                session,
                email=f"agent{n}@lumen.example",
                name=f"Agent {n}",
                role=Role.AGENT,
                organisation_id=lumen.id,
                password="a-long-password",
                actor=None,
            )
            agent = workforce.create_agent(
                session,
                agent_create=AgentCreate(
                    user_id=user.id,
                    team_id=dublin.id,
                    languages=[AgentLanguage(code="en", proficiency="native")],
                    max_concurrent={"email": 2},
                ),
                actor=None,
            )
            set_presence(session, agent=agent, presence="available", now=NOW)
        for n in range(CONVERSATIONS):
            record_interaction(
                session,
                interaction_create=InteractionCreate(
                    channel="email",
                    external_id=f"<load-{n}@example.ie>",
                    occurred_at=NOW - dt.timedelta(seconds=CONVERSATIONS - n),
                    direction="inbound",
                    customer={"email": f"customer{n}@example.ie"},
                    subject="A question about my lamp",
                    text="Hello, I would like to know how to change the bulb of the lamp I bought.",
                ),
            )
        session.commit()
    engine.dispose()


def _start(url: str, role: str, agent_email: str = "") -> subprocess.Popen[bytes]:
    code = f"""
import datetime as dt, time
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from cxhub.auth.models import User
from cxhub.db import make_engine, make_sessionmaker
from cxhub.routing.dispatch import dispatch
from cxhub.routing.handover import next_for_agent
from cxhub.workforce.models import Agent
factory = make_sessionmaker(make_engine({url!r}))
now = dt.datetime.fromisoformat({NOW.isoformat()!r})
idle = 0
while idle < 5:
    try:
        with factory() as session:
            if {role!r} == "dispatch":
                progress = dispatch(session, now=now, batch=20).assigned
            else:
                agent = session.scalars(select(Agent).join(User).where(User.email == {agent_email!r})).one()
                progress = 1 if next_for_agent(session, agent=agent, now=now) else 0
            session.commit()
    except OperationalError:  # a deadlock victim rolls back and tries again
        progress = 1
    idle = 0 if progress else idle + 1
    time.sleep(0.01)
"""  # noqa: S608 - a program for the child process, not SQL
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_four_dispatchers_and_two_pulling_agents_never_assign_twice_or_lose_work(routing_db: str) -> None:
    _world(routing_db)
    processes = [_start(routing_db, "dispatch") for _ in range(4)]
    processes += [_start(routing_db, "pull", e) for e in ("agent@lumen.example", "agent@atlantic.example")]
    for process in processes:
        assert process.wait(300) == 0
    engine = make_engine(routing_db)
    with make_sessionmaker(engine)() as session:
        assignments = session.execute(select(Assignment.conversation_id, Assignment.agent_id)).all()
        per_conversation = Counter(conversation_id for conversation_id, _ in assignments)
        assert max(per_conversation.values()) == 1  # never twice
        holders = dict(
            session.execute(
                select(Conversation.id, Conversation.agent_id).where(Conversation.agent_id.is_not(None))
            ).all()
        )
        assert holders == dict(assignments)
        loads = Counter(holders.values())
        capacity = {a.id: a.max_concurrent.get("email", 0) for a in session.scalars(select(Agent))}
        assert all(loads[agent_id] <= capacity[agent_id] for agent_id in loads)  # never over capacity
        waiting = session.scalar(select(func.count()).select_from(WaitingItem))
        assert waiting == CONVERSATIONS - len(holders)  # never lost: every conversation is held or waiting
        assert dispatch(session, now=NOW).assigned == 0  # and nobody eligible has room left
        assert len(holders) == 2 * 8 + EXTRA_AGENTS * 2 + 2 * 8 + 8  # Dublin, then Lisbon and Manila by overflow
    engine.dispose()
