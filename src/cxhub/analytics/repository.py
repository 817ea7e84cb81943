"""The queries behind the metrics: contacts and their answers read from the hub's tables, rollups summed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from cxhub.analytics.definitions import STAT_FIELDS
from cxhub.analytics.models import MetricRollup
from cxhub.conversations.models import Conversation, ConversationEvent, Interaction
from cxhub.kit.bulkload import one_of
from cxhub.quality.models import COUNTED_STATUSES, Evaluation, SurveyAnswer
from cxhub.routing.models import PresenceInterval
from cxhub.workforce.models import Agent, Team

NOT_CONTACTS = ("commerce",)  # order and return feeds: on the timeline, not contacts anyone answers
CHUNK = 2_000
_rollups = MetricRollup.metadata.tables[MetricRollup.__tablename__]


@dataclass(frozen=True)
class ContactRow:
    """One contact as read: its dimensions and what the metrics need to know about it."""

    conversation_id: str
    customer_id: str
    dimensions: tuple[str | None, ...]  # in the order of DIMENSIONS
    channel: str
    status: str
    first_inbound_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    reopened: bool
    handle_seconds: float | None
    call: dict[str, Any] | None


def _contacts(brand_id: str, start: dt.datetime, end: dt.datetime) -> Select[Any]:
    c = Conversation
    seller = (
        select(func.min(Interaction.seller))
        .where(Interaction.conversation_id == c.id, Interaction.seller.is_not(None))
        .scalar_subquery()
    )
    handled = select(func.sum(Interaction.handle_seconds)).where(Interaction.conversation_id == c.id).scalar_subquery()
    call = (
        select(Interaction.voice)
        .where(Interaction.conversation_id == c.id, Interaction.direction == "inbound", Interaction.voice.is_not(None))
        .order_by(Interaction.occurred_at)
        .limit(1)
        .scalar_subquery()
    )
    reopened = exists().where(
        ConversationEvent.conversation_id == c.id,
        ConversationEvent.kind == "status",
        ConversationEvent.before.in_(("resolved", "closed")),
        ConversationEvent.after != "closed",
    )
    return (
        select(
            c.id,
            c.customer_id,
            c.touchpoint_id,
            c.channel,
            c.organisation_id,
            Team.site_id,
            c.team_id,
            c.agent_id,
            seller.label("seller"),
            c.status,
            c.first_inbound_at,
            c.first_response_at,
            func.coalesce(c.resolved_at, c.closed_at).label("resolved_at"),
            reopened.label("reopened"),
            handled.label("handle_seconds"),
            call.label("call"),
        )
        .outerjoin(Team, Team.id == c.team_id)
        .where(
            c.brand_id == brand_id,
            c.first_inbound_at >= start,
            c.first_inbound_at < end,
            c.channel.not_in(NOT_CONTACTS),
        )
    )


def contacts(session: Session, *, brand_id: str, start: dt.datetime, end: dt.datetime) -> list[ContactRow]:
    """Every contact whose first inbound interaction falls in [start, end)."""
    return [
        ContactRow(
            conversation_id=row.id,
            customer_id=row.customer_id,
            dimensions=(
                row.touchpoint_id,
                row.channel,
                row.organisation_id,
                row.site_id,
                row.team_id,
                row.agent_id,
                row.seller,
            ),
            channel=row.channel,
            status=row.status,
            first_inbound_at=row.first_inbound_at,
            first_response_at=row.first_response_at,
            resolved_at=row.resolved_at,
            reopened=bool(row.reopened),
            handle_seconds=row.handle_seconds,
            call=row.call,
        )
        for row in session.execute(_contacts(brand_id, start, end))
    ]


def later_contacts(
    session: Session, *, brand_id: str, customer_ids: Sequence[str], after: dt.datetime
) -> Iterator[tuple[str, str | None, dt.datetime]]:
    """(customer, touchpoint, first inbound) of the customers' contacts from `after` on: the repeats."""
    unique = sorted(set(customer_ids))
    for offset in range(0, len(unique), CHUNK):
        part = unique[offset : offset + CHUNK]
        statement = select(Conversation.customer_id, Conversation.touchpoint_id, Conversation.first_inbound_at).where(
            one_of(session, Conversation.customer_id, part),
            Conversation.brand_id == brand_id,
            Conversation.first_inbound_at >= after,
            Conversation.channel.not_in(NOT_CONTACTS),
        )
        for row in session.execute(statement):
            yield row.customer_id, row.touchpoint_id, row.first_inbound_at


def answers(session: Session, *, conversation_ids: Sequence[str]) -> Iterator[tuple[str, str, int]]:
    """(conversation, question, score) of every survey answer on the conversations."""
    for offset in range(0, len(conversation_ids), CHUNK):
        part = list(conversation_ids[offset : offset + CHUNK])
        statement = select(SurveyAnswer.conversation_id, SurveyAnswer.question, SurveyAnswer.score).where(
            one_of(session, SurveyAnswer.conversation_id, part)
        )
        for row in session.execute(statement):
            yield row.conversation_id, row.question, row.score


STAFFED_PRESENCES = ("available", "busy")  # signed in for work: idle or handling


def staffed_seconds(
    session: Session, *, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[str, tuple[tuple[str | None, ...], float]]:
    """Per agent, its (organisation, site, team) and the seconds it was signed in for work in [start, end)."""
    statement = (
        select(
            PresenceInterval.agent_id,
            PresenceInterval.started_at,
            PresenceInterval.ended_at,
            Agent.organisation_id,
            Team.site_id,
            Agent.team_id,
        )
        .join(Agent, Agent.id == PresenceInterval.agent_id)
        .join(Team, Team.id == Agent.team_id)
        .where(
            PresenceInterval.presence.in_(STAFFED_PRESENCES),
            PresenceInterval.started_at < end,
            (PresenceInterval.ended_at.is_(None)) | (PresenceInterval.ended_at > start),
        )
    )
    found: dict[str, tuple[tuple[str | None, ...], float]] = {}
    for row in session.execute(statement):
        stop = min(row.ended_at or now, end)
        seconds = max(0.0, (stop - max(row.started_at, start)).total_seconds())
        where, before = found.get(row.agent_id, ((row.organisation_id, row.site_id, row.team_id), 0.0))
        found[row.agent_id] = (where, before + seconds)
    return found


def worked_seconds(session: Session, *, start: dt.datetime, end: dt.datetime) -> dict[tuple[str, str], float]:
    """Per (agent, brand), the handle time recorded on interactions in [start, end)."""
    statement = (
        select(Interaction.handled_by_agent_id, Interaction.brand_id, func.sum(Interaction.handle_seconds))
        .where(
            Interaction.occurred_at >= start,
            Interaction.occurred_at < end,
            Interaction.handled_by_agent_id.is_not(None),
            Interaction.handle_seconds.is_not(None),
        )
        .group_by(Interaction.handled_by_agent_id, Interaction.brand_id)
    )
    return {(str(agent), brand): float(seconds or 0) for agent, brand, seconds in session.execute(statement)}


def evaluations(
    session: Session, *, conversation_ids: Sequence[str]
) -> Iterator[tuple[str, float, dict[str, bool | None]]]:
    """(conversation, score, error per class) of the evaluations that count: submitted, never calibration."""
    for offset in range(0, len(conversation_ids), CHUNK):
        part = list(conversation_ids[offset : offset + CHUNK])
        statement = select(
            Evaluation.conversation_id,
            Evaluation.score,
            Evaluation.customer_error,
            Evaluation.business_error,
            Evaluation.compliance_error,
        ).where(
            one_of(session, Evaluation.conversation_id, part),
            Evaluation.calibration_session_id.is_(None),
            Evaluation.status.in_(COUNTED_STATUSES),
            Evaluation.score.is_not(None),
        )
        for row in session.execute(statement):
            errors = {
                "customer": row.customer_error,
                "business": row.business_error,
                "compliance": row.compliance_error,
            }
            yield row.conversation_id, row.score, errors


def days_changed(session: Session, *, brand_id: str, since: dt.datetime, until: dt.datetime) -> set[dt.datetime]:
    """The first inbound times of contacts that changed, or whose answers or evaluations arrived, in [since, until)."""
    changed = select(Conversation.first_inbound_at).where(
        Conversation.brand_id == brand_id,
        Conversation.updated_at >= since,
        Conversation.updated_at < until,
        Conversation.first_inbound_at.is_not(None),
    )
    answered = (
        select(Conversation.first_inbound_at)
        .join(SurveyAnswer, SurveyAnswer.conversation_id == Conversation.id)
        .where(
            SurveyAnswer.brand_id == brand_id,
            SurveyAnswer.created_at >= since,
            SurveyAnswer.created_at < until,
            Conversation.first_inbound_at.is_not(None),
        )
    )
    evaluated = (
        select(Conversation.first_inbound_at)
        .join(Evaluation, Evaluation.conversation_id == Conversation.id)
        .where(
            Evaluation.brand_id == brand_id,
            Evaluation.updated_at >= since,
            Evaluation.updated_at < until,
            Conversation.first_inbound_at.is_not(None),
        )
    )
    return {at for (at,) in session.execute(changed.union(answered, evaluated)) if at is not None}


def replace_rollups(session: Session, *, brand_id: str, day: dt.date, rows: list[dict[str, Any]]) -> None:
    session.execute(_rollups.delete().where(_rollups.c.brand_id == brand_id, _rollups.c.day == day))
    if rows:
        session.execute(_rollups.insert(), rows)


def summed_rollups(
    *,
    brand_ids: Sequence[str],
    first: dt.date,
    last: dt.date,
    by: Sequence[str],
    organisation_id: str | None = None,
) -> Select[Any]:
    """Rollup sums over the days [first, last], grouped by the day and the named dimensions."""
    keys = [_rollups.c[name] for name in by]
    statement = (
        select(_rollups.c.day, *keys, *(func.sum(_rollups.c[name]).label(name) for name in STAT_FIELDS))
        .where(_rollups.c.brand_id.in_(brand_ids), _rollups.c.day >= first, _rollups.c.day <= last)
        .group_by(_rollups.c.day, *keys)
    )
    if organisation_id is not None:
        statement = statement.where(_rollups.c.organisation_id == organisation_id)
    return statement
