"""JSON routes for merging customers and undoing a merge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.customers import merge as merging
from cxhub.customers.models import Customer
from cxhub.customers.schemas import MergeCreate, MergeRead, MergeUndo
from cxhub.deps import SessionDep, require
from cxhub.errors import Forbidden, NotFound
from cxhub.web import error_responses

router = APIRouter(tags=["customers"])
CanMerge = Annotated[Actor, Depends(require(Permission.CUSTOMERS_MERGE))]
WRITE = error_responses(403, 404, 409)


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


@router.get("/customers/{customer_id}/merges", response_model=list[MergeRead], responses=error_responses(403, 404))
def list_merges(session: SessionDep, actor: CanMerge, customer_id: str) -> list[MergeRead]:
    """The merges this customer took part in, as survivor or as merged, oldest first."""
    if actor.is_partner:
        raise Forbidden("only the brand's in-house staff see merges")
    customer = session.get(Customer, customer_id)
    if customer is None or (actor.brand_ids is not None and customer.brand_id not in actor.brand_ids):
        raise NotFound("customer")
    return [MergeRead.model_validate(m) for m in merging.merges_of(session, customer_id=customer_id)]
