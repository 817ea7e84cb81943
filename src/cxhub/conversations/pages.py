"""Conversation pages: the list, one conversation with its thread and tools, the customer timeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.auth.permissions import Permission
from cxhub.conversations import labels, profile, search, service
from cxhub.conversations.models import CannedResponse, Conversation, ConversationNote, Interaction
from cxhub.conversations.quoting import visible_text
from cxhub.conversations.repository import (
    attachments_of,
    interactions_page,
    readable_conversations,
)
from cxhub.conversations.schemas import AssignmentUpdate, ConversationUpdate, NoteCreate
from cxhub.customers.models import Customer
from cxhub.customers.service import customer_read
from cxhub.deps import SessionDep, csrf_protect, require
from cxhub.errors import CxhubError, NotFound
from cxhub.web import render
from cxhub.workforce.models import Agent, Organisation, Team
from cxhub.workforce.repository import readable_organisations

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
P = Permission
CanRead = Annotated[Actor, Depends(require(P.CONVERSATIONS_READ, pages=True))]
CanReply = Annotated[Actor, Depends(require(P.CONVERSATIONS_REPLY, pages=True))]
CanAssign = Annotated[Actor, Depends(require(P.CONVERSATIONS_ASSIGN, pages=True))]
STATUSES = ("new", "open", "pending_customer", "resolved", "closed")
CHANNELS = ("email", "chat", "voice", "voicemail", "sms", "social", "review", "commerce", "web_form", "api")
PAGE_SIZE = 50
TIMELINE_PAGE = 10


def _names(session: Session, model: Any, ids: set[str | None]) -> dict[str, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all())


@router.get("/conversations")
def conversations_page(
    request: Request,
    session: SessionDep,
    actor: CanRead,
    status: Annotated[str, Query(max_length=20)] = "",
    channel: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str, Query(max_length=26)] = "",
) -> Response:
    statement = readable_conversations(actor)
    if status:
        statement = statement.where(Conversation.status == status)
    if channel:
        statement = statement.where(Conversation.channel == channel)
    if cursor:
        statement = statement.where(Conversation.id < cursor)
    rows = session.scalars(statement.order_by(Conversation.id.desc()).limit(PAGE_SIZE + 1)).all()
    next_cursor = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE]
    customers = {
        c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_({r.customer_id for r in rows})))
    }
    names = {customer_id: _display_name(session, customer, actor) for customer_id, customer in customers.items()}
    organisations = _names(session, Organisation, {r.organisation_id for r in rows})
    response = render(
        request,
        "conversations/list.html",
        conversations=rows,
        customer_names=names,
        previews=_previews(session, [r.id for r in rows if not r.subject]),
        organisations=organisations,
        status=status,
        channel=channel,
        statuses=STATUSES,
        channels=CHANNELS,
        next_cursor=next_cursor,
    )
    response.headers["Vary"] = "HX-Request"
    return response


def _display_name(session: Session, customer: Customer, actor: Actor) -> str:
    """The name as the viewer may see it, else their first identifier, else "unknown"."""
    shown = customer_read(session, customer=customer, actor=actor)
    return shown.name or next((i.value for i in shown.identities if i.value), None) or "unknown"


def _previews(session: Session, conversation_ids: list[str]) -> dict[str, str]:
    """A title for conversations without a subject: the start of their first interaction's text."""
    previews: dict[str, str] = {}
    if not conversation_ids:
        return previews
    rows = session.execute(
        select(Interaction.conversation_id, Interaction.kind, Interaction.text, Interaction.order_ref)
        .where(Interaction.conversation_id.in_(conversation_ids))
        .order_by(Interaction.occurred_at)
    ).all()
    for conversation_id, kind, text, order_ref in rows:
        if conversation_id not in previews:
            words = (text or "").split()
            title = " ".join(words[:10]) + (" ..." if len(words) > 10 else "")
            previews[conversation_id] = title or (f"{kind} {order_ref}" if order_ref else kind)
    return previews


def _conversation(session: SessionDep, actor: CanRead, conversation_id: str) -> Conversation:
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    return conversation


ConversationInScope = Annotated[Conversation, Depends(_conversation)]


def conversation_page_response(
    request: Request,
    session: Session,
    actor: Actor,
    conversation: Conversation,
    *,
    status: int = 200,
    error: str | None = None,
    cursor: str | None = None,
    reply_text: str = "",
) -> Response:
    """The conversation page; after a refused form, with the error and the reply as it was typed."""
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None  # noqa: S101 - a foreign key
    interactions, next_cursor = interactions_page(
        session, conversation_id=conversation.id, cursor=cursor, limit=PAGE_SIZE
    )
    notes = session.scalars(
        select(ConversationNote)
        .where(ConversationNote.conversation_id == conversation.id)
        .order_by(ConversationNote.id)
    ).all()
    author_ids: set[str | None] = {*(n.author_user_id for n in notes), *(i.author_user_id for i in interactions)}
    authors = _names(session, User, author_ids)
    agents = dict(
        session.execute(
            select(Agent.id, User.name)
            .join(User, User.id == Agent.user_id)
            .where(
                Agent.id.in_(
                    {i.handled_by_agent_id for i in interactions if i.handled_by_agent_id}
                    | {conversation.agent_id or ""}
                )
            )
        ).all()
    )
    can_change = not actor.is_partner or conversation.organisation_id == actor.organisation_id
    assignable: list[Any] = []
    if actor.can(P.CONVERSATIONS_ASSIGN) and can_change:
        organisations = session.scalars(readable_organisations(actor).order_by(Organisation.name)).all()
        teams = session.scalars(select(Team).where(Team.organisation_id.in_([o.id for o in organisations]))).all()
        assignable = [(o, [t for t in teams if t.organisation_id == o.id]) for o in organisations]
    return render(
        request,
        "conversations/conversation.html",
        status_code=status,
        conversation=conversation,
        title=conversation.subject or _previews(session, [conversation.id]).get(conversation.id) or "Conversation",
        customer=customer_read(session, customer=customer, actor=actor),
        interactions=list(reversed(interactions)),  # oldest first on the page, as a thread reads
        visible_text=visible_text,
        files=attachments_of(session, [i.id for i in interactions]),
        older_cursor=next_cursor,
        notes=notes,
        authors=authors,
        agents=agents,
        organisation_names=_names(session, Organisation, {conversation.organisation_id}),
        touchpoint=labels.names(session, "touchpoint", {conversation.touchpoint_id or ""}).get(
            conversation.touchpoint_id or ""
        ),
        queue=labels.names(session, "queue", {conversation.queue_id or ""}).get(conversation.queue_id or ""),
        sla=labels.details(session, "sla", [conversation.id]).get(conversation.id, []),
        canned=_canned(
            session,
            conversation,
            customer_name=customer_read(session, customer=customer, actor=actor).name,
            actor=actor,
        ),
        team_names=_names(session, Team, {conversation.team_id}),
        can_reply=actor.can(P.CONVERSATIONS_REPLY) and can_change,
        assignable=assignable,
        statuses=STATUSES,
        error=error,
        reply_text=reply_text,
    )


def _canned(
    session: Session, conversation: Conversation, *, customer_name: str | None, actor: Actor
) -> list[tuple[str, str]]:
    """(title, text filled in) of the brand's canned responses, those in the conversation's language first."""
    if not actor.can(P.CONVERSATIONS_REPLY):
        return []
    rows = session.scalars(
        select(CannedResponse).where(CannedResponse.brand_id == conversation.brand_id).order_by(CannedResponse.title)
    ).all()
    rows = sorted(rows, key=lambda c: c.language != conversation.language)
    return [(c.title, service.fill_canned(c.text, customer_name=customer_name, agent_name=actor.name)) for c in rows]


@router.get("/conversations/{conversation_id}")
def conversation_page(
    request: Request,
    session: SessionDep,
    actor: CanRead,
    conversation: ConversationInScope,
    before: Annotated[str, Query(max_length=26)] = "",
) -> Response:
    return conversation_page_response(request, session, actor, conversation, cursor=before or None)


def _back(conversation: Conversation) -> Response:
    return RedirectResponse(f"/conversations/{conversation.id}", status_code=303)


def _failure(exc: ValidationError | CxhubError) -> tuple[int, str]:
    if isinstance(exc, CxhubError):
        return exc.status, exc.message
    first = exc.errors()[0]
    return 422, f"{'.'.join(str(p) for p in first['loc']) or 'form'}: {first['msg'].removeprefix('Value error, ')}"


@router.post("/conversations/{conversation_id}/status")
def change_status(
    request: Request,
    session: SessionDep,
    actor: CanReply,
    conversation: ConversationInScope,
    status: Annotated[str, Form(max_length=20)],
    priority: Annotated[int, Form(ge=1, le=5)],
    tags: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        with session.begin_nested():
            conversation_update = ConversationUpdate.model_validate(
                {"status": status, "priority": priority, "tags": [t for t in tags.split(",") if t.strip()]}
            )
            service.update_conversation(
                session, conversation=conversation, conversation_update=conversation_update, actor=actor
            )
    except (ValidationError, CxhubError) as exc:
        code, message = _failure(exc)
        return conversation_page_response(request, session, actor, conversation, status=code, error=message)
    return _back(conversation)


@router.post("/conversations/{conversation_id}/notes")
def add_note(
    request: Request,
    session: SessionDep,
    actor: CanReply,
    conversation: ConversationInScope,
    text: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    try:
        note_create = NoteCreate.model_validate({"text": text.strip()})
    except ValidationError as exc:
        code, message = _failure(exc)
        return conversation_page_response(request, session, actor, conversation, status=code, error=message)
    service.add_note(session, conversation=conversation, note_create=note_create, actor=actor)
    return _back(conversation)


@router.post("/conversations/{conversation_id}/assignment")
def assign(
    request: Request,
    session: SessionDep,
    actor: CanAssign,
    conversation: ConversationInScope,
    organisation_id: Annotated[str, Form(max_length=26)],
    team_id: Annotated[str, Form(max_length=26)] = "",
) -> Response:
    try:
        with session.begin_nested():
            service.assign(
                session,
                conversation=conversation,
                assignment_update=AssignmentUpdate(organisation_id=organisation_id, team_id=team_id or None),
                actor=actor,
            )
    except (ValidationError, CxhubError) as exc:
        code, message = _failure(exc)
        return conversation_page_response(request, session, actor, conversation, status=code, error=message)
    return _back(conversation)


@router.post("/conversations/{conversation_id}/attachments")
async def upload_attachment(
    request: Request,
    session: SessionDep,
    actor: CanReply,
    conversation: ConversationInScope,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Store a file for the next reply; the page answers with the hidden field that carries its id."""
    settings = request.app.state.settings
    data = await file.read(settings.attachment_max_bytes + 1)
    try:
        attachment = await run_in_threadpool(
            service.store_attachment,
            session,
            conversation=conversation,
            filename=file.filename or "file",
            content_type=file.content_type or "application/octet-stream",
            data=data,
            storage=settings.file_storage(),
            settings=settings,
        )
    except CxhubError as exc:
        return render(request, "conversations/_attachment.html", status_code=200, error=exc.message, attachment=None)
    return render(request, "conversations/_attachment.html", attachment=attachment, error=None)


@router.get("/customers/{customer_id}")
def customer_page(
    request: Request,
    session: SessionDep,
    actor: CanRead,
    customer_id: str,
    before: Annotated[str, Query(max_length=26)] = "",
) -> Response:
    """The single customer view; with `HX-Request` and `before`, the next timeline entries only."""
    found = profile.customer_in_scope(session, actor=actor, customer_id=customer_id)
    if found.survivor_id:
        suffix = f"?before={before}" if before else ""
        return RedirectResponse(
            f"/customers/{found.survivor_id}{suffix}", status_code=308, headers={"Cache-Control": "no-store"}
        )
    entries, next_cursor = profile.timeline(session, found=found, cursor=before or None, limit=TIMELINE_PAGE)
    if before and request.headers.get("hx-request") == "true":
        response = render(
            request,
            "conversations/_timeline_entries.html",
            entries=entries,
            next_cursor=next_cursor,
            customer_id=found.customer.id,
        )
    else:
        response = render(
            request,
            "conversations/customer.html",
            profile=profile.build_profile(session, found=found, actor=actor),
            entries=entries,
            next_cursor=next_cursor,
            customer_id=found.customer.id,
        )
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/search")
def search_page(
    request: Request,
    session: SessionDep,
    actor: CanRead,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(pattern="^(conversations|customers)$")] = "conversations",
    cursor: Annotated[str, Query(max_length=26)] = "",
) -> Response:
    """Search conversations or customers in scope; the matched words are marked."""
    query = search.parse_query(q) if q.strip() else None
    hits: list[Any] = []
    next_cursor = None
    if query is not None:
        find = search.search_customers if kind == "customers" else search.search_conversations
        hits, next_cursor = find(session, actor=actor, query=query, cursor=cursor or None, limit=PAGE_SIZE)
    return render(
        request,
        "conversations/search.html",
        q=q,
        kind=kind,
        hits=hits,
        next_cursor=next_cursor,
        searched=bool(q.strip()),
    )
