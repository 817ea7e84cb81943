"""JSON routes for merging customers, undoing a merge, and the review queue with its thresholds."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.customers import merge as merging
from cxhub.customers import repository, review
from cxhub.customers.decisions import Thresholds
from cxhub.customers.models import Customer
from cxhub.customers.schemas import (
    MatchCandidateRead,
    MatchDecision,
    MatchThresholdItem,
    MatchThresholdsRead,
    MergeCreate,
    MergeRead,
    MergeUndo,
)
from cxhub.deps import Cursor, Limit, SessionDep, require
from cxhub.errors import Forbidden, NotFound
from cxhub.kit.pagination import Page
from cxhub.web import error_responses

router = APIRouter(tags=["customers"])
CanMerge = Annotated[Actor, Depends(require(Permission.CUSTOMERS_MERGE))]
WRITE = error_responses(403, 404, 409)
BrandQuery = Annotated[str | None, Query(min_length=1, max_length=26, description="Default: the only brand you serve.")]


@router.post("/customers/merges", response_model=MergeRead, status_code=201, responses=WRITE)
def create_merge(session: SessionDep, actor: CanMerge, body: MergeCreate) -> MergeRead:
    """Merge one customer into another by hand: every identity, conversation and record moves, and is kept."""
    merge = merging.merge_customers(
        session,
        survivor_id=body.survivor_id,
        merged_id=body.merged_id,
        decided_by="manual",
        actor=actor,
        reason=body.reason,
    )
    return MergeRead.model_validate(merge)


@router.post("/customers/merges/{merge_id}/undo", response_model=MergeRead, responses=WRITE)
def undo_merge(session: SessionDep, actor: CanMerge, merge_id: str, body: MergeUndo) -> MergeRead:
    """Un-merge: exactly the rows the merge moved go back, and the survivor's own fields are restored."""
    return MergeRead.model_validate(merging.unmerge(session, merge_id=merge_id, actor=actor, reason=body.reason))


@router.get("/customers/{customer_id}/merges", response_model=Page[MergeRead], responses=error_responses(403, 404))
def list_merges(
    session: SessionDep, actor: CanMerge, customer_id: str, limit: Limit = 50, cursor: Cursor = None
) -> Page[MergeRead]:
    """The merges this customer took part in, as survivor or as merged, newest first."""
    if actor.is_partner:
        raise Forbidden("only the brand's in-house staff see merges")
    customer = session.get(Customer, customer_id)
    if customer is None or (actor.brand_ids is not None and customer.brand_id not in actor.brand_ids):
        raise NotFound("customer")
    rows, next_cursor = merging.merges_of(session, customer_id=customer_id, cursor=cursor, limit=limit)
    return Page[MergeRead](items=[MergeRead.model_validate(m) for m in rows], next_cursor=next_cursor)


@router.get("/customers/match-candidates", response_model=Page[MatchCandidateRead], responses=error_responses(403))
def list_match_candidates(
    session: SessionDep,
    actor: CanMerge,
    status: Annotated[Literal["pending", "accepted", "rejected"], Query()] = "pending",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[MatchCandidateRead]:
    """The review queue: pairs side by side with the evidence per field, oldest first."""
    review.check_in_house(actor)
    rows, next_cursor = repository.candidates_page(session, actor=actor, status=status, cursor=cursor, limit=limit)
    items = review.candidate_reads(session, candidates=rows, actor=actor)
    return Page[MatchCandidateRead](items=items, next_cursor=next_cursor)


@router.post("/customers/match-candidates/{candidate_id}/accept", response_model=MatchCandidateRead, responses=WRITE)
def accept_match_candidate(
    session: SessionDep, actor: CanMerge, candidate_id: str, body: Annotated[MatchDecision | None, Body()] = None
) -> MatchCandidateRead:
    """Accept a pair: the two become one customer (the older survives); the merge can be undone."""
    reason = body.reason if body else None
    candidate = review.accept_candidate(session, candidate_id=candidate_id, actor=actor, reason=reason)
    return review.candidate_reads(session, candidates=[candidate], actor=actor)[0]


@router.post("/customers/match-candidates/{candidate_id}/reject", response_model=MatchCandidateRead, responses=WRITE)
def reject_match_candidate(
    session: SessionDep, actor: CanMerge, candidate_id: str, body: Annotated[MatchDecision | None, Body()] = None
) -> MatchCandidateRead:
    """Reject a pair: the two stay apart, and resolution never queues or merges them again."""
    reason = body.reason if body else None
    candidate = review.reject_candidate(session, candidate_id=candidate_id, actor=actor, reason=reason)
    return review.candidate_reads(session, candidates=[candidate], actor=actor)[0]


def _default(request: Request) -> Thresholds:
    settings = request.app.state.settings
    return Thresholds(auto_merge=settings.match_auto_merge, review=settings.match_review)


@router.get("/customers/match-thresholds", response_model=MatchThresholdsRead, responses=error_responses(403, 404))
def get_match_thresholds(
    request: Request, session: SessionDep, actor: CanMerge, brand_id: BrandQuery = None
) -> MatchThresholdsRead:
    """The decision thresholds per pair of sources (`*` for any), and the defaults from the settings."""
    review.check_in_house(actor)
    brand = review.brand_for(session, actor=actor, brand_id=brand_id)
    return review.thresholds_read(session, brand_id=brand, default=_default(request))


@router.put("/customers/match-thresholds", response_model=MatchThresholdsRead, responses=error_responses(403, 404))
def put_match_thresholds(
    request: Request,
    session: SessionDep,
    actor: CanMerge,
    items: Annotated[list[MatchThresholdItem], Body(max_length=200)],
    brand_id: BrandQuery = None,
) -> MatchThresholdsRead:
    """Replace the thresholds per pair of sources; each needs 0 <= review <= auto_merge <= 1 (audited)."""
    review.check_in_house(actor)
    brand = review.brand_for(session, actor=actor, brand_id=brand_id)
    review.replace_thresholds(session, brand_id=brand, items=items, actor=actor)
    return review.thresholds_read(session, brand_id=brand, default=_default(request))
