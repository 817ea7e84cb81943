"""Journey pages: putting a conversation on another touchpoint from its page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.conversations.models import Conversation
from cxhub.conversations.repository import readable_conversations
from cxhub.deps import SessionDep, csrf_protect, require
from cxhub.errors import NotFound
from cxhub.journeys import repository, service
from cxhub.journeys.models import Touchpoint
from cxhub.web import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
CanClassify = Annotated[Actor, Depends(require(Permission.CONVERSATIONS_CLASSIFY, pages=True))]


def _conversation(session: SessionDep, actor: Actor, conversation_id: str) -> Conversation:
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    return conversation


@router.get("/conversations/{conversation_id}/_touchpoint")
def touchpoint_form(request: Request, session: SessionDep, actor: CanClassify, conversation_id: str) -> Response:
    conversation = _conversation(session, actor, conversation_id)
    touchpoints = session.scalars(
        repository.readable_touchpoints(actor)
        .where(Touchpoint.brand_id == conversation.brand_id)
        .order_by(Touchpoint.name)
    ).all()
    return render(request, "journeys/_touchpoint.html", conversation=conversation, touchpoints=touchpoints)


@router.post("/conversations/{conversation_id}/touchpoint")
def reclassify(
    request: Request,
    session: SessionDep,
    actor: CanClassify,
    conversation_id: str,
    touchpoint_id: Annotated[str, Form(max_length=26)],
) -> Response:
    conversation = _conversation(session, actor, conversation_id)
    service.reclassify(session, conversation=conversation, touchpoint_id=touchpoint_id, actor=actor)
    return RedirectResponse(f"/conversations/{conversation.id}", status_code=303)
