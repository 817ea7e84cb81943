"""Accepted webhook signatures are forgotten by a periodic job once their timestamps are refused anyway."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import cxhub.tasks  # noqa: F401  every job handler and schedule registered
from cxhub.channels.models import WebhookReceipt
from cxhub.channels.schemas import ChannelSourceCreate
from cxhub.channels.service import create_source
from cxhub.jobs.models import Schedule
from cxhub.jobs.worker import run_worker
from cxhub.kit.time import utcnow


def test_a_worker_schedules_the_clean_up_and_it_keeps_fresh_receipts(
    world: Session, session_factory: sessionmaker[Session]
) -> None:
    source, _ = create_source(world, source_create=ChannelSourceCreate(name="phones", adapter="api"), actor=None)
    world.add_all(
        [
            WebhookReceipt(source_id=source.id, signature="a" * 64, received_at=utcnow() - dt.timedelta(hours=1)),
            WebhookReceipt(source_id=source.id, signature="b" * 64, received_at=utcnow()),
        ]
    )
    world.commit()
    run_worker(session_factory, worker_id="test", burst=True)
    schedule = world.get(Schedule, "channels.forget_webhook_receipts")
    assert schedule is not None
    assert schedule.next_run_at > utcnow() + dt.timedelta(minutes=9)  # not at once: one interval after
    assert len(world.scalars(select(WebhookReceipt)).all()) == 2
    schedule.next_run_at = utcnow()
    world.commit()
    run_worker(session_factory, worker_id="test", burst=True)
    kept = world.scalars(select(WebhookReceipt.signature)).all()
    assert kept == ["b" * 64]
