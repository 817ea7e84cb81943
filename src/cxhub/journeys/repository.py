"""Journey queries scoped by the actor's brands."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.conversations import labels
from cxhub.journeys.models import ClassificationRule, LifecycleStage, Touchpoint, TouchpointSourcing


def readable_stages(actor: Actor) -> Select[LifecycleStage]:
    statement = select(LifecycleStage)
    if actor.brand_ids is not None:
        statement = statement.where(LifecycleStage.brand_id.in_(actor.brand_ids))
    return statement


def readable_touchpoints(actor: Actor) -> Select[Touchpoint]:
    statement = select(Touchpoint)
    if actor.brand_ids is not None:
        statement = statement.where(Touchpoint.brand_id.in_(actor.brand_ids))
    return statement


def readable_rules(actor: Actor) -> Select[ClassificationRule]:
    statement = select(ClassificationRule)
    if actor.brand_ids is not None:
        statement = statement.where(ClassificationRule.brand_id.in_(actor.brand_ids))
    return statement


def sourcing_of(
    session: Session, touchpoint_ids: Collection[str], *, organisation_id: str | None = None
) -> dict[str, list[TouchpointSourcing]]:
    """Each touchpoint's sourcing, largest share first; with `organisation_id`, that organisation's only."""
    found: dict[str, list[TouchpointSourcing]] = {tid: [] for tid in touchpoint_ids}
    if not touchpoint_ids:
        return found
    statement = select(TouchpointSourcing).where(TouchpointSourcing.touchpoint_id.in_(list(touchpoint_ids)))
    if organisation_id is not None:
        statement = statement.where(TouchpointSourcing.organisation_id == organisation_id)
    for row in session.scalars(statement.order_by(TouchpointSourcing.share.desc())):
        found[row.touchpoint_id].append(row)
    return found


def brand_rules(session: Session, brand_id: str) -> list[ClassificationRule]:
    return list(
        session.scalars(
            select(ClassificationRule)
            .where(ClassificationRule.brand_id == brand_id)
            .order_by(ClassificationRule.position, ClassificationRule.id)
        )
    )


def fallback_touchpoint(session: Session, brand_id: str) -> str | None:
    return session.scalar(select(Touchpoint.id).where(Touchpoint.brand_id == brand_id, Touchpoint.fallback.is_(True)))


def touchpoint_names(session: Session, ids: Collection[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Touchpoint.id, Touchpoint.name).where(Touchpoint.id.in_(list(ids)))).all())


labels.register("touchpoint", touchpoint_names)
