"""JSON routes of the single customer view: the customer, their profile and their timeline.

A customer merged into another answers 308 Permanent Redirect to the same route of the survivor
(the customer that holds their records now), with `{"merged_into": id}` in the body; the answer is
not cached, since an un-merge brings the old id back.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.conversations import profile
from cxhub.customers.schemas import CustomerRead
from cxhub.customers.service import customer_read
from cxhub.deps import Cursor, Limit, SessionDep, require
from cxhub.kit.pagination import Page
from cxhub.web import error_responses

router = APIRouter(tags=["customers"])
CanRead = Annotated[Actor, Depends(require(Permission.CONVERSATIONS_READ))]


class MergedInto(BaseModel):
    merged_into: str


READ: dict[int | str, dict[str, Any]] = {
    **error_responses(403, 404),
    308: {"model": MergedInto, "description": "Merged into another customer: the same route of the survivor."},
}


def _found(session: SessionDep, actor: CanRead, customer_id: str) -> profile.Found:
    return profile.customer_in_scope(session, actor=actor, customer_id=customer_id)


FoundCustomer = Annotated[profile.Found, Depends(_found)]


def _to_survivor(request: Request, found: profile.Found) -> JSONResponse:
    assert found.survivor_id is not None  # noqa: S101 - only called for a merged-away customer
    path = request.url.path.replace(f"/customers/{found.customer.id}", f"/customers/{found.survivor_id}", 1)
    location = f"{path}?{request.url.query}" if request.url.query else path
    return JSONResponse(
        {"merged_into": found.survivor_id},
        status_code=308,
        headers={"Location": location, "Cache-Control": "no-store"},
    )


@router.get("/customers/{customer_id}", response_model=CustomerRead, responses=READ)
def read_customer(request: Request, session: SessionDep, actor: CanRead, found: FoundCustomer) -> Any:
    """One customer with every identifier (each masked per your organisation's data policy)."""
    if found.survivor_id:
        return _to_survivor(request, found)
    return customer_read(session, customer=found.customer, actor=actor)


@router.get("/customers/{customer_id}/profile", response_model=profile.CustomerProfile, responses=READ)
def read_profile(request: Request, session: SessionDep, actor: CanRead, found: FoundCustomer) -> Any:
    """The single customer view: best name, identities, channel and seller mix, lifetime orders and contacts,
    open conversations, named owner, merges, possible duplicates and surveys."""
    if found.survivor_id:
        return _to_survivor(request, found)
    return profile.build_profile(session, found=found, actor=actor)


@router.get("/customers/{customer_id}/timeline", response_model=Page[profile.TimelineEntry], responses=READ)
def read_timeline(
    request: Request,
    session: SessionDep,
    found: FoundCustomer,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """Every interaction of the customer across channels, sellers and providers, newest first (another
    provider's work as a summary without content for a partner)."""
    if found.survivor_id:
        return _to_survivor(request, found)
    entries, next_cursor = profile.timeline(session, found=found, cursor=cursor, limit=limit)
    return Page[profile.TimelineEntry](items=entries, next_cursor=next_cursor)
