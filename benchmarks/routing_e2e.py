"""Routing end to end on PostgreSQL: 100,000 conversations assigned by 4 dispatcher processes at once.

    CXHUB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python benchmarks/routing_e2e.py

The demo world plus CXHUB_BENCH_AGENTS agents (default 2,000) in its Dublin, Lisbon and Manila
teams, all available, each with 30 places on e-mail and 30 on chat: every conversation fits
without one being resolved, so the figure is the dispatcher's own rate. New inbound e-mails and
chats (half each, one customer each) are recorded by the bulk intake with `routing_status`
pending; then N processes each run `dispatch(now=a Wednesday 10:00 UTC, batch=500)` and commit
until nothing pending or waiting can be assigned. Checked after each run: no conversation with
two assignment rows, every conversation's agent is its assignment's agent, held + waiting ==
total, no agent over capacity. The 1-process and 4-process rates on CXHUB_BENCH_SMALL
conversations (default 10,000) give the ratio. Fresh databases are created beside the one
named and dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, make_url, select, text

CONVERSATIONS = int(os.environ.get("CXHUB_BENCH_CONVERSATIONS", "100000"))
SMALL = int(os.environ.get("CXHUB_BENCH_SMALL", "10000"))
AGENTS = int(os.environ.get("CXHUB_BENCH_AGENTS", "2000"))
PLACES = 30  # per agent and channel: AGENTS * PLACES >= CONVERSATIONS / 2 on each of e-mail and chat
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)  # a Wednesday morning: Dublin, Lisbon and Manila are open
BATCH = 5000
DISPATCHER = """
import datetime as dt, sys
from sqlalchemy import func, select
from cxhub.conversations.models import Conversation
from cxhub.db import make_engine, make_sessionmaker
from cxhub.routing.dispatch import dispatch

factory = make_sessionmaker(make_engine(sys.argv[1]))
now = dt.datetime.fromisoformat(sys.argv[2])
while True:
    with factory() as session:
        done = dispatch(session, now=now, batch=500)
        session.commit()
    if done.classified or done.assigned or done.passed_over:
        continue
    with factory() as session:
        pending = session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.routing_status == "pending")
        )
    if not pending:
        break
"""


def _admin(url: str) -> Engine:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _copy(template: str) -> str:
    """A new database made from the template (the world is built once)."""
    url = make_url(template)
    name = f"{url.database}_run_{uuid.uuid4().hex[:8]}"
    admin = _admin(template)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def build_world(url: str) -> None:
    from cxhub import demo
    from cxhub.auth.permissions import Role
    from cxhub.db import make_engine, make_sessionmaker, unit_of_work
    from cxhub.migrate import upgrade
    from cxhub.routing.service import set_presence
    from cxhub.workforce import service as workforce
    from cxhub.workforce.models import Team
    from cxhub.workforce.schemas import AgentCreate, AgentLanguage

    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_sessionmaker(engine)) as session:
        demo.load(session)
        teams = session.scalars(
            select(Team).where(Team.name.in_(["Dublin Care", "Lisbon Multilingual", "Manila 24/7"])).order_by(Team.name)
        ).all()
        for n in range(AGENTS):
            team = teams[n % len(teams)]
            user, _ = workforce.create_user(
                session,
                email=f"bench{n}@agents.example",
                name=f"Bench Agent {n}",
                role=Role.AGENT,
                organisation_id=team.organisation_id,
                password="a-long-password",  # noqa: S106 - a benchmark login
                actor=None,
            )
            agent = workforce.create_agent(
                session,
                agent_create=AgentCreate(
                    user_id=user.id,
                    team_id=team.id,
                    languages=[AgentLanguage(code="en", proficiency="native")],
                    max_concurrent={"email": PLACES, "chat": PLACES},
                ),
                actor=None,
            )
            set_presence(session, agent=agent, presence="available", now=NOW - dt.timedelta(hours=1))
    engine.dispose()


def record_conversations(url: str, n: int) -> float:
    """n new inbound conversations, pending routing; the seconds it took."""
    from cxhub.conversations.bulk import record_interactions, refresh_statistics
    from cxhub.conversations.prepared import prepare
    from cxhub.conversations.schemas import InteractionCreate
    from cxhub.db import make_engine, make_sessionmaker, unit_of_work

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    started = time.perf_counter()
    for first in range(0, n, BATCH):
        items = []
        for k in range(first, min(n, first + BATCH)):
            channel = "email" if k % 2 else "chat"
            interaction = InteractionCreate.model_validate(
                {
                    "channel": channel,
                    "external_id": f"bench-{k}",
                    "occurred_at": (NOW - dt.timedelta(seconds=1800 - k % 1800)).isoformat(),
                    "direction": "inbound",
                    "thread_ref": f"thread-{k}",
                    "text": "Hello, I have a question about my account, please.",
                    "customer": {"email": f"customer{k}@bench.example", "language": "en"},
                }
            )
            items.append((prepare(interaction), None))
        with unit_of_work(factory) as session:
            record_interactions(session, items=items)
            if first % (4 * BATCH) == 0:  # the planner keeps up with the tables as they grow
                refresh_statistics(session)
    with unit_of_work(factory) as session:
        refresh_statistics(session)
    engine.dispose()
    return time.perf_counter() - started


def dispatch_all(url: str, processes: int) -> float:
    started = time.perf_counter()
    running = [subprocess.Popen([sys.executable, "-c", DISPATCHER, url, NOW.isoformat()]) for _ in range(processes)]
    codes = [p.wait() for p in running]
    if any(codes):
        raise SystemExit(f"a dispatcher failed: exit codes {codes}")
    return time.perf_counter() - started


def check(url: str, total: int) -> dict[str, int]:
    """What the run left: every figure but `assigned`, `held` and `total` must be 0 (and held + waiting == total)."""
    from cxhub.conversations.models import Conversation
    from cxhub.db import make_engine
    from cxhub.routing.dispatch import DEFAULT_CAPACITY
    from cxhub.routing.models import Assignment, WaitingItem
    from cxhub.workforce.models import Agent

    engine = make_engine(url)
    with engine.connect() as c:
        twice = c.scalar(
            select(func.count()).select_from(
                select(Assignment.conversation_id)
                .group_by(Assignment.conversation_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        mismatched = c.scalar(
            select(func.count())
            .select_from(Conversation)
            .outerjoin(Assignment, Assignment.conversation_id == Conversation.id)
            .where(Conversation.agent_id.is_not(None))
            .where((Assignment.agent_id.is_(None)) | (Assignment.agent_id != Conversation.agent_id))
        )
        held = c.scalar(select(func.count()).select_from(Conversation).where(Conversation.agent_id.is_not(None)))
        waiting = c.scalar(select(func.count()).select_from(WaitingItem))
        counted = c.scalar(select(func.count()).select_from(Conversation))
        assigned = c.scalar(select(func.count()).select_from(Assignment))
        capacity = {a.id: a.max_concurrent for a in c.execute(select(Agent.id, Agent.max_concurrent))}
        loads = c.execute(
            select(Conversation.agent_id, Conversation.channel, func.count())
            .where(Conversation.agent_id.is_not(None), Conversation.status.in_(["new", "open"]))
            .group_by(Conversation.agent_id, Conversation.channel)
        ).all()
    engine.dispose()
    over = sum(1 for agent, channel, n in loads if n > int(capacity[agent].get(channel, DEFAULT_CAPACITY)))
    return {
        "total": total,
        "assigned": assigned or 0,
        "held": held or 0,
        "waiting": waiting or 0,
        "lost": total - (held or 0) - (waiting or 0) + abs((counted or 0) - total),
        "assigned_twice": twice or 0,
        "agent_mismatch": mismatched or 0,
        "agents_over_capacity": over,
    }


def run(template: str, n: int, processes: int) -> tuple[float, dict[str, int]]:
    from cxhub.kit.databases import drop_database

    url = _copy(template)
    try:
        recorded = record_conversations(url, n)
        seconds = dispatch_all(url, processes)
        found = check(url, n)
    finally:
        drop_database(url)
    rate = found["assigned"] / seconds
    bad = {k: v for k, v in found.items() if k in ("lost", "assigned_twice", "agent_mismatch", "agents_over_capacity")}
    print(
        f"{n:>7,} conversations, {processes} process{'es' if processes > 1 else '  '}: recorded in {recorded:5.1f} s, "
        f"assigned {found['assigned']:,} in {seconds:6.1f} s = {rate:6.0f} assignments/s; "
        f"held {found['held']:,} + waiting {found['waiting']:,} of {n:,}; "
        + ", ".join(f"{k} {v}" for k, v in bad.items())
    )
    if any(bad.values()) or found["held"] + found["waiting"] != n:
        raise SystemExit("FAILED: a conversation was lost, assigned twice, or an agent is over capacity")
    return rate, found


def main() -> None:
    base = os.environ.get("CXHUB_BENCH_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        print("routing_e2e: skipped (set CXHUB_BENCH_DATABASE_URL to a PostgreSQL URL)")
        return
    os.environ.setdefault("CXHUB_ARGON2_TIME_COST", "1")  # the bench agents' passwords need not be costly
    os.environ.setdefault("CXHUB_ARGON2_MEMORY_KIB", "1024")
    from cxhub.kit.databases import create_database, drop_database

    template = create_database(base, "routing")
    try:
        started = time.perf_counter()
        build_world(template)
        print(
            f"world: the demo plus {AGENTS:,} agents (all available, {PLACES} places each on e-mail and chat: "
            f"{AGENTS * PLACES:,} per channel, so every conversation fits and none is resolved) "
            f"in {time.perf_counter() - started:.1f} s; {os.cpu_count()} cores"
        )
        one, _ = run(template, SMALL, 1)
        four, _ = run(template, SMALL, 4)
        run(template, CONVERSATIONS, 4)
        print(f"ratio 4 processes / 1 process on {SMALL:,} conversations: {four / one:.2f}")
    finally:
        drop_database(template)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
