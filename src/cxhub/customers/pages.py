"""The review page: pending pairs one at a time, side by side, decided by key or button."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.customers import repository, review
from cxhub.customers.models import MatchCandidate
from cxhub.deps import Cursor, SessionDep, csrf_protect, require
from cxhub.web import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
CanMerge = Annotated[Actor, Depends(require(Permission.CUSTOMERS_MERGE, pages=True))]
SHOWN = 50
Reason = Annotated[str | None, Form(max_length=2000)]


@router.get("/customers/review")
def review_page(request: Request, session: SessionDep, actor: CanMerge, cursor: Cursor = None) -> Response:
    review.check_in_house(actor)
    rows, next_cursor = repository.candidates_page(session, actor=actor, status="pending", cursor=cursor, limit=SHOWN)
    pairs = review.candidate_reads(session, candidates=rows, actor=actor)
    return render(request, "customers/review.html", pairs=pairs, next_cursor=next_cursor)


def _decided(request: Request, session: SessionDep, actor: Actor, candidate: MatchCandidate) -> Response:
    if request.headers.get("hx-request") != "true":
        return RedirectResponse("/customers/review", status_code=303)
    (pair,) = review.candidate_reads(session, candidates=[candidate], actor=actor)
    return render(request, "customers/_pair.html", pair=pair, shown=True)


@router.post("/customers/review/{candidate_id}/accept")
def accept_pair(
    request: Request, session: SessionDep, actor: CanMerge, candidate_id: str, reason: Reason = None
) -> Response:
    """Merge the pair (the older customer survives)."""
    candidate = review.accept_candidate(session, candidate_id=candidate_id, actor=actor, reason=reason or None)
    return _decided(request, session, actor, candidate)


@router.post("/customers/review/{candidate_id}/reject")
def reject_pair(
    request: Request, session: SessionDep, actor: CanMerge, candidate_id: str, reason: Reason = None
) -> Response:
    """Keep the two apart for good."""
    candidate = review.reject_candidate(session, candidate_id=candidate_id, actor=actor, reason=reason or None)
    return _decided(request, session, actor, candidate)
