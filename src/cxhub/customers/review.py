"""The review queue: pairs the engine was unsure of, decided by a person. Services flush, never commit.

Accepting a pair merges it (the older customer survives, decided by `review`); rejecting it keeps the
two apart for good: no later resolution run queues or merges them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.service import record_audit
from cxhub.customers import repository
from cxhub.customers.decisions import Thresholds
from cxhub.customers.merge import merge_customers
from cxhub.customers.models import Customer, CustomerIdentity, MatchCandidate, MatchThreshold
from cxhub.customers.schemas import (
    FieldEvidence,
    MatchCandidateRead,
    MatchSide,
    MatchThresholdItem,
    MatchThresholdsRead,
)
from cxhub.customers.service import identity_read, shown_name
from cxhub.errors import Conflict, CxhubError, Forbidden, NotFound
from cxhub.kit.time import utcnow
from cxhub.workforce.models import Brand

PENDING, ACCEPTED, REJECTED, STALE = "pending", "accepted", "rejected", "stale"
Agreement = Literal["agree", "partial", "disagree", "missing"]


def check_in_house(actor: Actor) -> None:
    if actor.is_partner:
        raise Forbidden("only the brand's in-house staff review customer matches")


def agreement(level: int | None, left: Any, right: Any) -> Agreement:
    """How two values of a field compare: the same, alike (a nickname, a typo, another domain), or not."""
    if left is None or right is None or level is None or level < 0:
        return "missing"
    if str(left).casefold() == str(right).casefold():
        return "agree"
    return "partial" if level > 0 else "disagree"


def _evidence(candidate: MatchCandidate) -> list[FieldEvidence]:
    found = []
    for item in (candidate.evidence or {}).get("fields", []):
        left, right, level = item.get("left"), item.get("right"), item.get("level")
        found.append(
            FieldEvidence(
                field=item["field"],
                left=None if left is None else str(left),
                right=None if right is None else str(right),
                level=level,
                agreement=agreement(level, left, right),
                weight=item.get("weight"),
            )
        )
    return found


def _side(
    session: Session, *, customer: Customer, identities: list[CustomerIdentity], source: str | None, actor: Actor
) -> MatchSide:
    return MatchSide(
        id=customer.id,
        name=shown_name(session, customer=customer, actor=actor),
        source=source,
        country=customer.country,
        created_at=customer.created_at,
        merged_into_id=customer.merged_into_id,
        erased=customer.erased_at is not None,
        identities=[identity_read(session, identity=identity, actor=actor) for identity in identities],
    )


def candidate_reads(
    session: Session, *, candidates: Sequence[MatchCandidate], actor: Actor
) -> list[MatchCandidateRead]:
    """Each pair with both customers side by side and the evidence per field (three queries for a page)."""
    ids = {c.customer_id_l for c in candidates} | {c.customer_id_r for c in candidates}
    customers = repository.customers_by_id(session, ids)
    identities = repository.identities_of(session, ids)
    return [
        MatchCandidateRead(
            id=c.id,
            status=c.status,
            match_probability=c.match_probability,
            match_weight=c.match_weight,
            model_version=c.model_version,
            created_at=c.created_at,
            decided_at=c.decided_at,
            decided_by_user_id=c.decided_by_user_id,
            decision_reason=c.decision_reason,
            merge_id=c.merge_id,
            left=_side(
                session,
                customer=customers[c.customer_id_l],
                identities=identities[c.customer_id_l],
                source=c.source_l,
                actor=actor,
            ),
            right=_side(
                session,
                customer=customers[c.customer_id_r],
                identities=identities[c.customer_id_r],
                source=c.source_r,
                actor=actor,
            ),
            evidence=_evidence(c),
        )
        for c in candidates
    ]


def _pending(session: Session, *, actor: Actor, candidate_id: str) -> MatchCandidate:
    check_in_house(actor)
    candidate = repository.candidate_for_decision(session, actor=actor, candidate_id=candidate_id)
    if candidate is None:
        raise NotFound("match candidate")
    if candidate.status == STALE:
        raise Conflict("one of the two customers was merged with another or erased since this pair was scored")
    if candidate.status != PENDING:
        raise Conflict(f"this pair was already decided: {candidate.status}")
    customers = repository.customers_by_id(session, {candidate.customer_id_l, candidate.customer_id_r})
    for customer in customers.values():
        if customer.erased_at is not None:
            raise Conflict(f"customer {customer.id} was erased since this pair was scored")
        if customer.merged_into_id is not None:
            raise Conflict(
                f"customer {customer.id} was merged into {customer.merged_into_id} since this pair was scored"
            )
    return candidate


def accept_candidate(session: Session, *, candidate_id: str, actor: Actor, reason: str | None) -> MatchCandidate:
    """Merge the pair: the older customer survives; the merge says who decided, and why."""
    candidate = _pending(session, actor=actor, candidate_id=candidate_id)
    customers = repository.customers_by_id(session, {candidate.customer_id_l, candidate.customer_id_r})
    survivor, merged = sorted(customers.values(), key=lambda c: (c.created_at, c.id))
    why = reason or f"accepted in review (match probability {candidate.match_probability:.4f})"
    merge = merge_customers(
        session,
        survivor_id=survivor.id,
        merged_id=merged.id,
        decided_by="review",
        actor=actor,
        reason=why,
        match_probability=candidate.match_probability,
    )
    _decided(candidate, status=ACCEPTED, actor=actor, reason=why)
    candidate.merge_id = merge.id
    session.flush()
    return candidate


def reject_candidate(session: Session, *, candidate_id: str, actor: Actor, reason: str | None) -> MatchCandidate:
    """Keep the two apart: later resolution runs neither queue nor merge this pair again."""
    candidate = _pending(session, actor=actor, candidate_id=candidate_id)
    _decided(candidate, status=REJECTED, actor=actor, reason=reason or "rejected in review")
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="customers.match_rejected",
        target_type="match_candidate",
        target_id=candidate.id,
        detail={
            "customer_ids": [candidate.customer_id_l, candidate.customer_id_r],
            "reason": candidate.decision_reason,
        },
    )
    return candidate


def _decided(candidate: MatchCandidate, *, status: str, actor: Actor, reason: str) -> None:
    candidate.status = status
    candidate.decided_at = utcnow()
    candidate.decided_by_user_id = actor.user_id
    candidate.decision_reason = reason


def brand_for(session: Session, *, actor: Actor, brand_id: str | None) -> str:
    """The brand named, or the only one the actor serves; unknown and out of scope are both 404."""
    if brand_id is None:
        query = select(Brand.id).order_by(Brand.id).limit(2)
        if actor.brand_ids is not None:
            query = query.where(Brand.id.in_(actor.brand_ids))
        brands = session.scalars(query).all()
        if len(brands) != 1:
            raise CxhubError("name the brand: this hub serves several (or none yet)", status=422, field="brand_id")
        return brands[0]
    if session.get(Brand, brand_id) is None or (actor.brand_ids is not None and brand_id not in actor.brand_ids):
        raise NotFound("brand")
    return brand_id


def thresholds_read(session: Session, *, brand_id: str, default: Thresholds) -> MatchThresholdsRead:
    rows = repository.thresholds_of(session, brand_id=brand_id)
    return MatchThresholdsRead(
        brand_id=brand_id,
        default=MatchThresholdItem(auto_merge=default.auto_merge, review=default.review),
        items=[
            MatchThresholdItem(source_l=r.source_l, source_r=r.source_r, auto_merge=r.auto_merge, review=r.review)
            for r in rows
        ],
    )


def replace_thresholds(session: Session, *, brand_id: str, items: Sequence[MatchThresholdItem], actor: Actor) -> None:
    """The brand's thresholds per pair of sources become exactly these (audited, before and after)."""
    check_in_house(actor)
    seen: set[frozenset[str]] = set()
    for n, item in enumerate(items):
        pair = frozenset((item.source_l, item.source_r))
        if pair in seen:
            raise CxhubError(
                f"the sources {item.source_l!r} and {item.source_r!r} are listed twice (in either order)",
                status=422,
                field=f"{n}",
            )
        seen.add(pair)
    rows = repository.thresholds_of(session, brand_id=brand_id)
    before = [_plain(r) for r in rows]
    for row in rows:
        session.delete(row)
    session.flush()
    session.add_all(MatchThreshold(brand_id=brand_id, **item.model_dump()) for item in items)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="customers.match_thresholds",
        target_type="brand",
        target_id=brand_id,
        detail={"before": before, "after": [item.model_dump() for item in items]},
    )


def _plain(row: MatchThreshold) -> dict[str, Any]:
    return {"source_l": row.source_l, "source_r": row.source_r, "auto_merge": row.auto_merge, "review": row.review}
