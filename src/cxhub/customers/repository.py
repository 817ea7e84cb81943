"""Customer queries for the review queue and its thresholds; each scoped to the brands the actor serves."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.customers.models import Customer, CustomerIdentity, MatchCandidate, MatchThreshold
from cxhub.kit.pagination import paginate


def readable_candidates(actor: Actor) -> Select[MatchCandidate]:
    """Candidate pairs of the brands the actor serves (partners never see the queue: the route says 403)."""
    query = select(MatchCandidate)
    if actor.brand_ids is not None:
        query = query.where(MatchCandidate.brand_id.in_(actor.brand_ids))
    return query


def candidates_page(
    session: Session, *, actor: Actor, status: str, cursor: str | None, limit: int
) -> tuple[Sequence[MatchCandidate], str | None]:
    """Candidates with this status, oldest first (the queue's order), a page at a time."""
    query = readable_candidates(actor).where(MatchCandidate.status == status)
    return paginate(session, query, MatchCandidate.id, cursor=cursor, limit=limit)


def candidate_for_decision(session: Session, *, actor: Actor, candidate_id: str) -> MatchCandidate | None:
    """The candidate, row-locked on PostgreSQL so that two reviewers cannot both decide it."""
    query = readable_candidates(actor).where(MatchCandidate.id == candidate_id)
    query = query.execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def customers_by_id(session: Session, customer_ids: set[str]) -> dict[str, Customer]:
    if not customer_ids:
        return {}
    return {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}


def identities_of(session: Session, customer_ids: set[str]) -> dict[str, list[CustomerIdentity]]:
    found: dict[str, list[CustomerIdentity]] = {c: [] for c in customer_ids}
    if customer_ids:
        query = select(CustomerIdentity).where(CustomerIdentity.customer_id.in_(customer_ids))
        for identity in session.scalars(query.order_by(CustomerIdentity.first_seen_at, CustomerIdentity.id)):
            found[identity.customer_id].append(identity)
    return found


def thresholds_of(session: Session, *, brand_id: str) -> list[MatchThreshold]:
    query = select(MatchThreshold).where(MatchThreshold.brand_id == brand_id)
    return list(session.scalars(query.order_by(MatchThreshold.source_l, MatchThreshold.source_r)))
