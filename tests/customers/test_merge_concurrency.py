"""Intake while a merge runs loses nothing: every message ends on the survivor, and an un-merge takes it back.

Each test has a database of its own and real connections. On PostgreSQL the merge locks both
customers FOR UPDATE and intake share-locks the customer it attaches to, so a message either is
written before the merge (which then moves it) or waits and follows the merge. A writer that read
the customer before the merge and takes no lock (a batch import) can still leave rows behind; the
`customers.merge_sweep` job moves them and records them in the merge. On SQLite every write
transaction has the file to itself (BEGIN IMMEDIATE), so there is no such window there.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

import cxhub.tasks  # noqa: F401  the job registry, as a worker has it
from cxhub.conversations.bulk import record_interactions
from cxhub.conversations.models import Conversation, Interaction
from cxhub.conversations.prepared import prepare
from cxhub.conversations.schemas import InteractionCreate
from cxhub.conversations.service import record_interaction
from cxhub.customers.merge import merge_customers, unmerge
from cxhub.customers.models import CustomerMerge
from cxhub.db import make_engine, make_sessionmaker
from cxhub.jobs.models import Schedule
from cxhub.jobs.service import ensure_periodic_schedules, registered_tasks
from cxhub.workforce.models import Brand

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
ARRIVALS = 60
AT = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def factory(own_database: Callable[[str], str]) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(own_database("merge_race"))
    factory = make_sessionmaker(engine)
    with factory() as session:
        session.add(Brand(name="Lumen Home", home_country="IE", time_zone="Europe/Dublin"))
        session.commit()
    yield factory
    engine.dispose()


def _message(n: int, **customer: str) -> InteractionCreate:
    channel = "chat" if "visitor_id" in customer else "email"
    return InteractionCreate(
        channel=channel,
        external_id=f"<race-{n}@example.ie>",
        occurred_at=AT + dt.timedelta(seconds=n),
        direction="inbound",
        customer=customer,  # type: ignore[arg-type]
        text=f"message {n}",
    )


def _record(factory: sessionmaker[Session], n: int, **customer: str) -> Interaction:
    with factory() as session:
        interaction = record_interaction(session, interaction_create=_message(n, **customer)).interaction
        session.commit()
        return interaction


def _on(factory: sessionmaker[Session], customer_id: str) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).where(Interaction.customer_id == customer_id)) or 0)


def _sweep(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        registered_tasks()["customers.merge_sweep"](session, {})
        session.commit()


def test_messages_arriving_during_a_merge_end_on_the_survivor_and_go_back_on_unmerge(
    factory: sessionmaker[Session],
) -> None:
    alex = _record(factory, 0, visitor_id="v-alex", name="Alex Byrne").customer_id
    studio = _record(factory, 1, email="studio@byrne-design.ie").customer_id  # one open e-mail conversation
    halfway = threading.Event()
    failures: list[BaseException] = []

    def intake() -> None:
        try:
            for n in range(2, 2 + ARRIVALS):
                _record(factory, n, email="studio@byrne-design.ie")
                if n == 2 + ARRIVALS // 4:
                    halfway.set()
        except BaseException as exc:
            failures.append(exc)
            halfway.set()

    writer = threading.Thread(target=intake)
    writer.start()
    assert halfway.wait(120)
    with factory() as session:
        merge = merge_customers(session, survivor_id=alex, merged_id=studio, decided_by="manual", actor=None)
        session.commit()
    writer.join(120)
    assert not failures
    # the intake waited for the merge, or the merge for the intake: nothing was written to the merged customer
    assert _on(factory, studio) == 0
    _sweep(factory)
    assert _on(factory, alex) == ARRIVALS + 2
    with factory() as session:
        unmerge(session, merge_id=merge.id, actor=None, reason="two people")
        session.commit()
    assert _on(factory, studio) == ARRIVALS + 1  # including every message that arrived while merged
    assert _on(factory, alex) == 1


def test_a_batch_that_read_the_customer_before_the_merge_is_swept_to_the_survivor(
    factory: sessionmaker[Session], backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite: the batch holds the write lock from its first read, so no merge can come between")
    alex = _record(factory, 0, visitor_id="v-alex", name="Alex Byrne").customer_id
    studio = _record(factory, 1, email="studio@byrne-design.ie").customer_id
    batch = [(prepare(_message(n, email="studio@byrne-design.ie")), None) for n in range(2, 2 + ARRIVALS)]
    merged: list[CustomerMerge] = []
    with factory() as importing:
        connection = importing.connection()

        def merge_before_the_first_write(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if conn is connection and not merged and statement.lstrip().startswith(("INSERT", "UPDATE")):
                with factory() as other:  # the batch has read the customer; it holds no lock on it yet
                    merged.append(
                        merge_customers(other, survivor_id=alex, merged_id=studio, decided_by="manual", actor=None)
                    )
                    other.commit()

        engine = importing.get_bind()
        assert isinstance(engine, Engine)
        event.listen(engine, "before_cursor_execute", merge_before_the_first_write)
        try:
            record_interactions(importing, items=batch)
            importing.commit()
        finally:
            event.remove(engine, "before_cursor_execute", merge_before_the_first_write)
    (merge,) = merged
    assert _on(factory, studio) == ARRIVALS, "the batch wrote to the customer it had read"
    _sweep(factory)
    assert _on(factory, studio) == 0
    assert _on(factory, alex) == ARRIVALS + 2
    with factory() as session:
        recorded = session.get(CustomerMerge, merge.id)
        assert recorded is not None
        assert len(recorded.moved["interactions"]) == ARRIVALS + 1
        unmerge(session, merge_id=merge.id, actor=None, reason="two people")
        session.commit()
        conversations = session.scalars(select(Conversation.customer_id).where(Conversation.channel == "email"))
        assert set(conversations) == {studio}
    assert _on(factory, studio) == ARRIVALS + 1
    assert _on(factory, alex) == 1


def test_the_sweep_runs_every_thirty_seconds(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        ensure_periodic_schedules(session)
        session.commit()
        schedule = session.get(Schedule, "customers.merge_sweep")
        assert schedule is not None
        assert schedule.interval_seconds == 30
