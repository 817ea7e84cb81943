"""Evaluation queues: a sample of a period's conversations put in a QA analyst's queue.

The frame is what the analyst may evaluate (a partner's analyst: their organisation's conversations),
less what is evaluated or queued already. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.auth.permissions import Permission
from cxhub.conversations.service import resolve_brand
from cxhub.errors import CxhubError, Forbidden
from cxhub.quality import repository, sampling
from cxhub.quality.models import EvaluationSample, QueuedEvaluation
from cxhub.quality.schemas import QueueItemRead, SampleCreate, SampleRead
from cxhub.workforce.service import actor_for_user


def period_bounds(first: dt.date, last: dt.date, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which the first local day starts and the day after the last one starts."""
    zone = ZoneInfo(time_zone)
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return start, end


def _analyst(session: Session, *, actor: Actor, user_id: str | None) -> Actor:
    if user_id is None or user_id == actor.user_id:
        return actor
    if not actor.can(Permission.QA_MANAGE):
        raise Forbidden("filling another analyst's queue needs the permission qa.manage")
    user = session.get(User, user_id)
    analyst = actor_for_user(session, user=user) if user is not None and user.is_active else None
    if analyst is None or (actor.is_partner and analyst.organisation_id != actor.organisation_id):
        raise CxhubError("no such user", status=422, field="analyst_user_id")
    if not analyst.can(Permission.QA_EVALUATE):
        raise CxhubError("this user does not evaluate (qa.evaluate)", status=422, field="analyst_user_id")
    return analyst


@dataclass(frozen=True)
class Drawn:
    sample: EvaluationSample
    conversation_ids: list[str]  # queued for the analyst, in order
    replayed: bool  # the same Idempotency-Key again: nothing new was drawn


def create_sample(
    session: Session, *, sample_create: SampleCreate, actor: Actor, idempotency_key: str | None = None
) -> Drawn:
    """Draw the sample and queue its conversations for the analyst; the same Idempotency-Key again is a no-op."""
    if idempotency_key:
        existing = session.scalar(select(EvaluationSample).where(EvaluationSample.idempotency_key == idempotency_key))
        if existing is not None:
            return Drawn(existing, queued_ids(session, existing.id), replayed=True)
    brand = resolve_brand(session, sample_create.brand_id)
    if actor.brand_ids is not None and brand.id not in actor.brand_ids:
        raise CxhubError("unknown brand", status=422, field="brand_id")
    analyst = _analyst(session, actor=actor, user_id=sample_create.analyst_user_id)
    start, end = period_bounds(sample_create.first_day, sample_create.last_day, brand.time_zone)
    frame = repository.sampling_frame(session, actor=analyst, brand_id=brand.id, start=start, end=end)
    seed = sample_create.seed or secrets.token_hex(8)
    if sample_create.method == "targeted":
        assert sample_create.filters is not None  # noqa: S101 - the schema requires filters for a targeted sample
        target = sampling.Target(**sample_create.filters.model_dump())
        picked = sampling.targeted(frame, target=target, size=sample_create.size, seed=seed)
    else:
        picked = sampling.stratified(frame, size=sample_create.size, allocation=sample_create.allocation, seed=seed)
    sample = EvaluationSample(
        brand_id=brand.id,
        analyst_user_id=analyst.user_id,
        created_by_user_id=actor.user_id,
        first_day=sample_create.first_day,
        last_day=sample_create.last_day,
        method=sample_create.method,
        allocation=sample_create.allocation if sample_create.method == "random" else None,
        size=sample_create.size,
        seed=seed,
        filters=sample_create.filters.model_dump(exclude_defaults=True) if sample_create.filters else {},
        frame_size=len(frame),
        idempotency_key=idempotency_key or None,
    )
    session.add(sample)
    session.flush()
    session.add_all(
        QueuedEvaluation(
            sample_id=sample.id,
            analyst_user_id=analyst.user_id,
            conversation_id=contact.conversation_id,
            position=position,
        )
        for position, contact in enumerate(picked)
    )
    session.flush()
    return Drawn(sample, [c.conversation_id for c in picked], replayed=False)


def queued_ids(session: Session, sample_id: str) -> list[str]:
    return list(
        session.scalars(
            select(QueuedEvaluation.conversation_id)
            .where(QueuedEvaluation.sample_id == sample_id)
            .order_by(QueuedEvaluation.position)
        )
    )


def sample_read(sample: EvaluationSample, conversation_ids: list[str]) -> SampleRead:
    return SampleRead(
        id=sample.id,
        analyst_user_id=sample.analyst_user_id,
        first_day=sample.first_day,
        last_day=sample.last_day,
        method=sample.method,
        allocation=sample.allocation,
        size=sample.size,
        seed=sample.seed,
        filters=dict(sample.filters),
        frame_size=sample.frame_size,
        conversation_ids=conversation_ids,
        created_at=sample.created_at,
    )


def queue_reads(session: Session, *, actor: Actor, pending_only: bool = False) -> list[QueueItemRead]:
    """The actor's queue: waiting items first (in sample order), then those evaluated."""
    items = [
        QueueItemRead(
            conversation_id=item.conversation_id,
            sample_id=item.sample_id,
            queued_at=item.created_at,
            evaluation_id=evaluation.id if evaluation else None,
            evaluation_status=evaluation.status if evaluation else None,
        )
        for item, evaluation in repository.queue_of(session, analyst_user_id=actor.user_id)
    ]
    waiting = [i for i in items if i.evaluation_status in (None, "draft")]
    return waiting if pending_only else waiting + [i for i in items if i not in waiting]
