"""Channel pages: sending a reply from the conversation page, webhook sources and dead letters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.channels import service
from cxhub.channels.models import ChannelSource
from cxhub.channels.schemas import ChannelSourceCreate, ReplyCreate
from cxhub.conversations.models import Conversation, DeadLetter
from cxhub.conversations.pages import conversation_page_response
from cxhub.conversations.repository import readable_conversations
from cxhub.deps import SessionDep, csrf_protect, require
from cxhub.errors import CxhubError, Forbidden, NotFound
from cxhub.web import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
P = Permission
CanReply = Annotated[Actor, Depends(require(P.CONVERSATIONS_REPLY, pages=True))]
CanReadDeadLetters = Annotated[Actor, Depends(require(P.DEAD_LETTERS_READ, pages=True))]
CanManageChannels = Annotated[Actor, Depends(require(P.CHANNELS_MANAGE, pages=True))]
CanReplay = Annotated[Actor, Depends(require(P.DEAD_LETTERS_REPLAY, pages=True))]
SHOWN = 100


@router.post("/conversations/{conversation_id}/reply")
async def send_reply(request: Request, session: SessionDep, actor: CanReply, conversation_id: str) -> Response:
    form = await request.form()
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    minutes = str(form.get("handle_minutes") or "").strip()
    try:
        reply_create = ReplyCreate.model_validate(
            {
                "text": str(form.get("text") or "").strip(),
                "status": form.get("status") or None,
                "public_url": form.get("public_url") or None,
                "handle_seconds": float(minutes) * 60 if minutes else None,
                "attachment_ids": [str(v) for v in form.getlist("attachment_ids")],
            }
        )
        with session.begin_nested():
            service.reply(session, conversation=conversation, reply_create=reply_create, actor=actor)
    except (ValidationError, CxhubError, ValueError) as exc:
        return _reply_refused(request, session, actor, conversation, exc, str(form.get("text") or ""))
    return RedirectResponse(f"/conversations/{conversation.id}", status_code=303)


def _reply_refused(
    request: Request, session: Session, actor: Actor, conversation: Conversation, exc: Exception, text: str
) -> Response:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        message, status = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}", 422
    elif isinstance(exc, CxhubError):
        message, status = exc.message, exc.status
    else:
        message, status = "minutes must be a number", 422
    return conversation_page_response(
        request,
        session,
        actor,
        conversation,
        status=status,
        error=f"The reply was not sent: {message}",
        reply_text=text,
    )


def _channels_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    created: tuple[ChannelSource, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    if not (actor.can(P.CHANNELS_MANAGE) or actor.can(P.DEAD_LETTERS_READ)):
        raise Forbidden("this needs the permission channels.manage or dead_letters.read")
    sources = (
        session.scalars(select(ChannelSource).order_by(ChannelSource.name)).all()
        if actor.can(P.CHANNELS_MANAGE)
        else []
    )
    letters = (
        session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(SHOWN)).all()
        if actor.can(P.DEAD_LETTERS_READ)
        else []
    )
    response = render(
        request,
        "channels/channels.html",
        status_code=status,
        sources=sources,
        letters=letters,
        created=created,
        error=error,
        base_url=str(request.base_url).rstrip("/"),
    )
    if created:
        response.headers["Cache-Control"] = "no-store"  # the secret is shown once
    return response


@router.get("/channels")
def channels_page(
    request: Request, session: SessionDep, actor: Annotated[Actor, Depends(require(P.CONVERSATIONS_READ, pages=True))]
) -> Response:
    return _channels_page(request, session, actor)


@router.post("/channels/sources")
def create_source(
    request: Request,
    session: SessionDep,
    actor: CanManageChannels,
    name: Annotated[str, Form(max_length=60)],
    adapter: Annotated[str, Form(max_length=20)],
) -> Response:
    try:
        with session.begin_nested():
            created = service.create_source(
                session,
                source_create=ChannelSourceCreate.model_validate({"name": name, "adapter": adapter}),
                actor=actor,
            )
    except (ValidationError, CxhubError) as exc:
        message = exc.message if isinstance(exc, CxhubError) else exc.errors()[0]["msg"]
        return _channels_page(request, session, actor, error=message, status=422)
    return _channels_page(request, session, actor, created=created, status=201)


@router.post("/channels/dead-letters/{dead_letter_id}/replay")
def replay(request: Request, session: SessionDep, actor: CanReplay, dead_letter_id: str) -> Response:
    service.replay_dead_letter(session, dead_letter_id=dead_letter_id, actor=actor)
    return RedirectResponse(f"/channels#letter-{dead_letter_id}", status_code=303)
