"""Web chat routes: the widget's script and endpoints (public, cross-origin, a visitor pass instead of a
login), the staff live feed of a conversation, and a minimal agent view to answer chats."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.channels import service as channels
from cxhub.channels.chat import service
from cxhub.channels.chat.schemas import (
    ChatEmailCreate,
    ChatEmailRead,
    ChatEvent,
    ChatMessagePosted,
    ChatSessionCreate,
    ChatSessionRead,
    LiveInteraction,
)
from cxhub.channels.chat.stream import event_stream
from cxhub.channels.schemas import ReplyCreate
from cxhub.conversations.models import Conversation
from cxhub.conversations.repository import readable_conversations
from cxhub.customers.models import Customer
from cxhub.customers.service import customer_read
from cxhub.db import unit_of_work
from cxhub.deps import SessionDep, csrf_protect, page_actor, page_user, require
from cxhub.errors import CxhubError, Forbidden, NotFound
from cxhub.web import STATIC_DIR, problem, render

public = APIRouter(include_in_schema=False)
staff = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
router = APIRouter(include_in_schema=False)
CanRead = Annotated[Actor, Depends(require(Permission.CONVERSATIONS_READ, pages=True))]
CanReply = Annotated[Actor, Depends(require(Permission.CONVERSATIONS_REPLY, pages=True))]
EventId = Annotated[str | None, Query(pattern=r"^[0-9a-hjkmnp-tv-z]{26}$", description="Resume after this event id.")]
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
AGENT_LIST_SIZE = 50


def _refusal(session: Session | None, exc: CxhubError) -> Response:
    """The widget's errors as problem+json, never a login redirect: visitors have no login."""
    if session is not None:
        session.rollback()
    errors = [{"field": exc.field, "reason": exc.message}] if exc.field else None
    return problem(exc.status, "Refused", exc.message, errors)


def _resume_point(request: Request, after: str | None) -> str | None:
    """The browser's Last-Event-ID on its own reconnection wins over the URL's `after`."""
    header = request.headers.get("last-event-id", "").strip().lower()
    if header and len(header) == 26 and service.resume_floor(header) is not None:
        return header
    return after


@public.get("/chat/widget.js")
def widget_script() -> Response:
    """The embeddable widget: one script tag on the brand's site."""
    return FileResponse(
        STATIC_DIR / "chat" / "widget.js",
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=300"},
    )


@public.post("/chat/session", response_model=ChatSessionRead)
def start_session(request: Request, session: SessionDep, chat_session_create: ChatSessionCreate) -> Response:
    """The visitor's pass and chat session (the same visitor when the kept pass is valid)."""
    try:
        started = service.start_session(
            session, chat_session_create=chat_session_create, secret_key=request.app.state.settings.secret_key
        )
    except CxhubError as exc:
        return _refusal(session, exc)
    return Response(started.model_dump_json(), media_type="application/json")


@public.post("/chat/messages", response_model=ChatMessagePosted)
async def post_message(request: Request, session: SessionDep) -> Response:
    """A visitor's message; a retry with the same id is a no-op."""
    raw = await request.body()
    try:
        outcome = await run_in_threadpool(
            service.post_message, session, raw=raw, secret_key=request.app.state.settings.secret_key
        )
    except CxhubError as exc:
        return _refusal(session, exc)
    if isinstance(outcome, ChatMessagePosted):
        return Response(outcome.model_dump_json(), status_code=200 if outcome.duplicate else 201)
    return problem(  # kept, not dropped: the bytes wait for a replay
        422,
        "Invalid input",
        f"{outcome.reason} (kept as dead letter {outcome.id})",
        [{"field": "body", "reason": outcome.reason}],
    )


@public.post("/chat/email", response_model=ChatEmailRead)
def leave_email(request: Request, session: SessionDep, chat_email_create: ChatEmailCreate) -> Response:
    """The visitor's e-mail for a follow-up, kept as an identity of their customer profile."""
    try:
        left = service.leave_email(
            session, chat_email_create=chat_email_create, secret_key=request.app.state.settings.secret_key
        )
    except CxhubError as exc:
        return _refusal(session, exc)
    return Response(left.model_dump_json(), media_type="application/json")


@public.get("/chat/stream")
async def chat_stream(
    request: Request, token: Annotated[str, Query(max_length=1000)], after: EventId = None
) -> Response:
    """The visitor's chat as server-sent events (`chat`), each with the interaction id as its event id."""
    settings = request.app.state.settings
    try:
        visitor_pass = service.check_pass(token, secret_key=settings.secret_key)
    except CxhubError as exc:
        return _refusal(None, exc)
    factory = request.app.state.sessionmaker

    def fetch(floor: str | None) -> list[ChatEvent]:
        with unit_of_work(factory) as session:
            return service.chat_events(session, visitor_pass=visitor_pass, floor=floor)

    stream = event_stream(
        request,
        fetch=fetch,
        after=_resume_point(request, after),
        name="chat",
        poll_seconds=settings.chat_poll_seconds,
        lifetime_seconds=settings.chat_stream_seconds,
    )
    return StreamingResponse(stream, media_type="text/event-stream", headers=STREAM_HEADERS)


@staff.get("/live/conversations/{conversation_id}")
async def live_conversation(request: Request, conversation_id: str, after: EventId = None) -> Response:
    """A conversation's interactions as server-sent events (`interaction`), for staff in scope."""
    factory = request.app.state.sessionmaker

    def authorise() -> None:
        with unit_of_work(factory) as session:
            actor = page_actor(request, session, page_user(request, session))
            if session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id)) is None:
                raise NotFound("conversation")
            if not actor.can(Permission.CONVERSATIONS_READ):
                raise Forbidden(f"this needs the permission {Permission.CONVERSATIONS_READ.value}")

    await run_in_threadpool(authorise)  # then the stream holds no session between its polls

    def fetch(floor: str | None) -> list[LiveInteraction]:
        with unit_of_work(factory) as session:
            return service.live_interactions(session, conversation_id=conversation_id, floor=floor)

    settings = request.app.state.settings
    stream = event_stream(
        request,
        fetch=fetch,
        after=_resume_point(request, after),
        name="interaction",
        poll_seconds=settings.chat_poll_seconds,
        lifetime_seconds=settings.chat_stream_seconds,
    )
    return StreamingResponse(stream, media_type="text/event-stream", headers=STREAM_HEADERS)


def _conversation(session: Session, actor: Actor, conversation_id: str) -> Conversation:
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    return conversation


@staff.get("/chat/agent")
def agent_chats(request: Request, session: SessionDep, actor: CanRead) -> Response:
    chats = session.scalars(
        readable_conversations(actor)
        .where(Conversation.channel == service.CHANNEL, Conversation.status.in_(("new", "open", "pending_customer")))
        .order_by(Conversation.updated_at.desc())
        .limit(AGENT_LIST_SIZE)
    ).all()
    return render(request, "channels/chat_list.html", chats=chats)


@staff.get("/chat/agent/{conversation_id}")
def agent_chat(request: Request, session: SessionDep, actor: CanRead, conversation_id: str) -> Response:
    conversation = _conversation(session, actor, conversation_id)
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None  # noqa: S101 - a foreign key
    return render(
        request,
        "channels/chat_agent.html",
        conversation=conversation,
        customer=customer_read(session, customer=customer, actor=actor),
        can_reply=actor.can(Permission.CONVERSATIONS_REPLY),
    )


@staff.post("/chat/agent/{conversation_id}/replies")
def agent_reply(
    request: Request,
    session: SessionDep,
    actor: CanReply,
    conversation_id: str,
    text: Annotated[str, Form(min_length=1, max_length=100_000)],
) -> Response:
    """Answer the visitor; the live feeds on both sides show the reply once recorded."""
    conversation = _conversation(session, actor, conversation_id)
    if not text.strip():
        raise CxhubError("write a reply first", status=422, field="text")
    channels.reply(session, conversation=conversation, reply_create=ReplyCreate(text=text), actor=actor)
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204)
    return RedirectResponse(f"/chat/agent/{conversation_id}", status_code=303)


router.include_router(public)
router.include_router(staff)
