"""JSON routes: the generic interaction intake and the conversations it builds."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.conversations import bulk, labels, search, service
from cxhub.conversations.models import (
    Attachment,
    CannedResponse,
    Conversation,
    ConversationNote,
    DeadLetter,
    Interaction,
)
from cxhub.conversations.prepared import prepare
from cxhub.conversations.quoting import visible_text
from cxhub.conversations.repository import (
    assignment_names,
    attachments_of,
    interactions_page,
    readable_conversations,
)
from cxhub.conversations.schemas import (
    AssignmentRead,
    AssignmentUpdate,
    AttachmentRead,
    BatchResult,
    CannedResponseCreate,
    CannedResponseRead,
    ConversationDetail,
    ConversationHit,
    ConversationRead,
    ConversationUpdate,
    CustomerHit,
    DeadLetterRead,
    InteractionCreate,
    InteractionRead,
    InteractionResult,
    NoteCreate,
    NoteRead,
    Ref,
)
from cxhub.customers.models import Customer
from cxhub.customers.service import customer_read
from cxhub.deps import ApiActor, Cursor, Limit, SessionDep, require
from cxhub.errors import CxhubError, NotFound
from cxhub.kit.pagination import Page, paginate
from cxhub.kit.time import parse_aware
from cxhub.web import error_responses, problem

router = APIRouter()
CanCreateInteractions = Annotated[Actor, Depends(require(Permission.INTERACTIONS_CREATE))]
CanReadConversations = Annotated[Actor, Depends(require(Permission.CONVERSATIONS_READ))]
CanAssignConversations = Annotated[Actor, Depends(require(Permission.CONVERSATIONS_ASSIGN))]
CanReply = Annotated[Actor, Depends(require(Permission.CONVERSATIONS_REPLY))]
CanReadDeadLetters = Annotated[Actor, Depends(require(Permission.DEAD_LETTERS_READ))]
MAX_BATCH = 1000
_one = TypeAdapter(InteractionCreate)
_BODY_SCHEMA = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"$ref": "#/components/schemas/InteractionCreate"},
                    {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/InteractionCreate"},
                        "maxItems": MAX_BATCH,
                    },
                ]
            }
        },
    },
}


def _problem(exc: CxhubError | ValidationError) -> dict[str, Any]:
    if isinstance(exc, ValidationError):
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        return {"status": 422, "title": "Invalid input", "detail": errors[0]["reason"], "errors": errors}
    errors = [{"field": exc.field, "reason": exc.message}] if exc.field else []
    return {"status": exc.status, "title": "Refused", "detail": exc.message, "errors": errors}


def _parse(raw: bytes, content_type: str) -> tuple[bool, list[Any]]:
    """(single, items) from a JSON object, a JSON array or an NDJSON stream."""
    try:
        text = raw.decode()
        if content_type.startswith("application/x-ndjson"):
            return False, [json.loads(line) for line in text.splitlines() if line.strip()]
        body = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CxhubError(f"the body is not valid JSON: {exc}", status=422, field="body") from exc
    if not isinstance(body, list | dict):
        raise CxhubError("the body must be an object or an array of objects", status=422, field="body")
    if isinstance(body, list):
        return False, body
    return True, [body]


@router.post(
    "/interactions",
    tags=["interactions"],
    status_code=201,
    response_model=InteractionResult | BatchResult,
    openapi_extra={"requestBody": _BODY_SCHEMA},
    responses={
        200: {
            "description": "A duplicate of an earlier interaction, or a batch's results in order",
            "model": BatchResult,
        },
        **error_responses(403, 409, 415),
    },
)
async def create_interactions(
    request: Request,
    session: SessionDep,
    actor: CanCreateInteractions,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Any:
    """Record one interaction, a JSON array of up to 1,000, or an NDJSON stream; retries are no-ops.

    An NDJSON stream (`Content-Type: application/x-ndjson`, one InteractionCreate per line) answers like a batch.
    """
    content_type = request.headers.get("content-type", "application/json")
    if not content_type.startswith(("application/json", "application/x-ndjson")):
        raise CxhubError("send application/json or application/x-ndjson", status=415)
    raw = await request.body()
    try:
        single, items = _parse(raw, content_type)
    except CxhubError as exc:  # kept, not dropped: the answer is 422 and the bytes wait for a replay
        dead_letter = service.keep_dead_letter(
            session, source="api.interactions", content_type=content_type, raw=raw, reason=exc.message
        )
        return problem(
            422,
            "Invalid input",
            f"{exc.message} (kept as dead letter {dead_letter.id})",
            [{"field": "body", "reason": exc.message}],
        )
    if len(items) > MAX_BATCH:
        raise CxhubError(f"a batch holds at most {MAX_BATCH} interactions", status=422, field="body")
    if single:
        try:
            interaction_create = _validated(items[0])
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        # the database work runs in a thread: a request waiting for a row lock must not stop the event
        # loop, or the request of this process that holds the lock could never finish
        outcome = await run_in_threadpool(_record_single, session, interaction_create, idempotency_key)
        if isinstance(outcome, CxhubError):
            raise outcome
        result = InteractionResult(**dataclasses.asdict(outcome))
        return JSONResponse(result.model_dump(), status_code=200 if outcome.duplicate else 201)
    return JSONResponse({"items": await run_in_threadpool(_record_batch, session, items, idempotency_key)})


def _record_single(
    session: Session, interaction_create: InteractionCreate, idempotency_key: str | None
) -> bulk.Outcome:
    """One interaction by the bulk path's plain statements (a dozen round trips, no ORM objects)."""
    return bulk.record_interactions(session, items=[(prepare(interaction_create), idempotency_key)])[0]


def _record_batch(session: Session, items: list[Any], idempotency_key: str | None) -> list[Any]:
    """Each item's result in order; a key of the batch becomes `key:position` per item."""
    results: list[Any] = [None] * len(items)
    valid: list[tuple[int, InteractionCreate, str | None]] = []
    for position, item in enumerate(items):
        try:
            interaction_create = _validated(item)
        except ValidationError as exc:
            results[position] = {"error": _problem(exc)}
            continue
        valid.append((position, interaction_create, f"{idempotency_key}:{position}" if idempotency_key else None))
    outcomes = bulk.record_interactions(session, items=[(prepare(ic), key) for _, ic, key in valid])
    for (position, _, _), outcome in zip(valid, outcomes, strict=True):
        results[position] = (
            {"error": _problem(outcome)}
            if isinstance(outcome, CxhubError)
            else InteractionResult(**dataclasses.asdict(outcome)).model_dump()
        )
    return results


def _validated(item: Any) -> InteractionCreate:
    return _one.validate_python(item)


@router.get(
    "/conversations", tags=["conversations"], response_model=Page[ConversationRead], responses=error_responses(403)
)
def list_conversations(
    session: SessionDep,
    actor: CanReadConversations,
    status: Annotated[str | None, Query(max_length=20)] = None,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    customer_id: Annotated[str | None, Query(max_length=26)] = None,
    touchpoint_id: Annotated[str | None, Query(max_length=26)] = None,
    organisation_id: Annotated[str | None, Query(max_length=26)] = None,
    updated_since: Annotated[str | None, Query(max_length=40, description="ISO-8601 with offset.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ConversationRead]:
    """Conversations in scope, newest first; filter by status, channel, customer, touchpoint, organisation, time."""
    statement = readable_conversations(actor)
    if status:
        statement = statement.where(Conversation.status == status)
    if channel:
        statement = statement.where(Conversation.channel == channel)
    if customer_id:
        statement = statement.where(Conversation.customer_id == customer_id)
    if touchpoint_id:
        statement = statement.where(Conversation.touchpoint_id == touchpoint_id)
    if organisation_id:
        statement = statement.where(Conversation.organisation_id == organisation_id)
    if updated_since:
        try:
            since = parse_aware(updated_since)
        except ValueError as exc:
            raise CxhubError(str(exc), status=422, field="updated_since") from exc
        statement = statement.where(Conversation.updated_at >= since)
    rows, next_cursor = paginate(session, statement, Conversation.id, cursor=cursor, limit=limit, newest_first=True)
    return Page[ConversationRead](items=conversation_reads(session, rows), next_cursor=next_cursor)


@router.get(
    "/search",
    tags=["conversations"],
    response_model=Page[ConversationHit] | Page[CustomerHit],
    responses=error_responses(403),
)
def search_in_scope(
    session: SessionDep,
    actor: CanReadConversations,
    q: Annotated[str, Query(min_length=1, max_length=200, description='Words, "a phrase", `or`, `-word`.')],
    kind: Annotated[Literal["conversations", "customers"], Query()] = "conversations",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ConversationHit] | Page[CustomerHit]:
    """Full-text search over conversations or customers in scope, newest first (a partner: only what they read)."""
    query = search.parse_query(q)
    if kind == "customers":
        customers, next_cursor = (
            search.search_customers(session, actor=actor, query=query, cursor=cursor, limit=limit)
            if query
            else ([], None)
        )
        return Page[CustomerHit](items=customers, next_cursor=next_cursor)
    conversations, next_cursor = (
        search.search_conversations(session, actor=actor, query=query, cursor=cursor, limit=limit)
        if query
        else ([], None)
    )
    return Page[ConversationHit](items=conversations, next_cursor=next_cursor)


def _conversation(session: SessionDep, actor: ApiActor, conversation_id: str) -> Conversation:
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    return conversation


ConversationInScope = Annotated[Conversation, Depends(_conversation)]


def conversation_reads(session: Session, conversations: Sequence[Conversation]) -> list[ConversationRead]:
    """Conversations with their touchpoint and assignment named: a few queries however many there are."""
    session.flush()
    names = assignment_names(session, conversations)
    touchpoints = labels.names(session, "touchpoint", {c.touchpoint_id for c in conversations if c.touchpoint_id})
    queues = labels.names(session, "queue", {c.queue_id for c in conversations if c.queue_id})
    clocks = labels.details(session, "sla", [c.id for c in conversations])

    def ref(table: dict[str, str], key: str | None) -> Ref | None:
        return Ref(id=key, name=table[key]) if key and key in table else None

    return [
        ConversationRead.model_validate(
            {
                **{
                    k: getattr(c, k)
                    for k in ConversationRead.model_fields
                    if k not in ("touchpoint", "assignment", "sla")
                },
                "sla": clocks.get(c.id, []),
                "touchpoint": ref(touchpoints, c.touchpoint_id),
                "assignment": AssignmentRead(
                    queue=ref(queues, c.queue_id),
                    organisation=ref(names, c.organisation_id),
                    team=ref(names, c.team_id),
                    agent=ref(names, c.agent_id),
                    since=c.assigned_at if c.agent_id else None,
                ),
            }
        )
        for c in conversations
    ]


def interaction_reads(session: Session, interactions: Sequence[Interaction]) -> list[InteractionRead]:
    files = attachments_of(session, [i.id for i in interactions])
    return [
        InteractionRead.model_validate(
            {
                **{
                    key: getattr(i, key)
                    for key in InteractionRead.model_fields
                    if hasattr(i, key) and key != "metadata"
                },
                "metadata": i.extra,
                "visible_text": visible_text(i.text),
                "attachments": [AttachmentRead.model_validate(a) for a in files.get(i.id, [])],
            }
        )
        for i in interactions
    ]


def interaction_read(session: Session, interaction: Interaction, actor: Actor) -> InteractionRead:
    return interaction_reads(session, [interaction])[0]


@router.get(
    "/conversations/{conversation_id}",
    tags=["conversations"],
    response_model=ConversationDetail,
    responses=error_responses(403, 404),
)
def read_conversation(
    session: SessionDep, conversation: ConversationInScope, actor: CanReadConversations
) -> ConversationDetail:
    """One conversation in scope: its customer (masked per your organisation), latest 50 interactions, notes."""
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None  # noqa: S101 - a foreign key
    interactions, next_cursor = interactions_page(session, conversation_id=conversation.id, cursor=None, limit=50)
    notes = session.scalars(
        select(ConversationNote)
        .where(ConversationNote.conversation_id == conversation.id)
        .order_by(ConversationNote.id)
    ).all()
    return ConversationDetail(
        **conversation_reads(session, [conversation])[0].model_dump(),
        customer=customer_read(session, customer=customer, actor=actor),
        interactions=interaction_reads(session, interactions),
        interactions_next_cursor=next_cursor,
        notes=[NoteRead.model_validate(n) for n in notes],
    )


@router.get(
    "/conversations/{conversation_id}/interactions",
    tags=["conversations"],
    response_model=Page[InteractionRead],
    responses=error_responses(403, 404),
)
def list_interactions(
    session: SessionDep,
    conversation: ConversationInScope,
    actor: CanReadConversations,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[InteractionRead]:
    """A conversation's interactions, newest first by when they happened."""
    rows, next_cursor = interactions_page(session, conversation_id=conversation.id, cursor=cursor, limit=limit)
    return Page[InteractionRead](items=interaction_reads(session, rows), next_cursor=next_cursor)


@router.patch(
    "/conversations/{conversation_id}",
    tags=["conversations"],
    response_model=ConversationRead,
    responses=error_responses(403, 404),
)
def update_conversation(
    session: SessionDep, conversation: ConversationInScope, actor: CanReply, conversation_update: ConversationUpdate
) -> ConversationRead:
    """Change status (resolve, close, reopen), priority, tags or language."""
    service.update_conversation(
        session, conversation=conversation, conversation_update=conversation_update, actor=actor
    )
    return conversation_reads(session, [conversation])[0]


@router.post(
    "/conversations/{conversation_id}/notes",
    tags=["conversations"],
    status_code=201,
    response_model=NoteRead,
    responses=error_responses(403, 404),
)
def create_note(
    session: SessionDep, conversation: ConversationInScope, actor: CanReply, note_create: NoteCreate
) -> NoteRead:
    """Add an internal note (never sent to the customer)."""
    return NoteRead.model_validate(
        service.add_note(session, conversation=conversation, note_create=note_create, actor=actor)
    )


@router.post(
    "/conversations/{conversation_id}/attachments",
    tags=["conversations"],
    status_code=201,
    response_model=AttachmentRead,
    responses=error_responses(400, 403, 404, 415),
)
async def upload_attachment(
    request: Request,
    session: SessionDep,
    conversation: ConversationInScope,
    actor: CanReply,
    file: Annotated[UploadFile, File(description="The file; its size and type are checked.")],
) -> AttachmentRead:
    """Upload a file to send with the next reply (name its id in the reply's `attachment_ids`)."""
    settings = request.app.state.settings
    data = await file.read(settings.attachment_max_bytes + 1)
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
    return AttachmentRead.model_validate(attachment)


@router.get(
    "/attachments/{attachment_id}",
    tags=["conversations"],
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **error_responses(403, 404)},
)
def download_attachment(
    request: Request, session: SessionDep, actor: CanReadConversations, attachment_id: str
) -> Response:
    """The file, if its conversation is in scope."""
    attachment = session.get(Attachment, attachment_id)
    in_scope = attachment is not None and session.scalar(
        readable_conversations(actor).where(Conversation.id == attachment.conversation_id)
    )
    if attachment is None or in_scope is None:
        raise NotFound("attachment")
    data = request.app.state.settings.file_storage().read(attachment.storage_key)
    disposition = f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
    return Response(data, media_type=attachment.content_type, headers={"Content-Disposition": disposition})


@router.put(
    "/conversations/{conversation_id}/assignment",
    tags=["conversations"],
    response_model=ConversationRead,
    responses=error_responses(403, 404),
)
def assign_conversation(
    session: SessionDep,
    conversation: ConversationInScope,
    actor: CanAssignConversations,
    assignment_update: AssignmentUpdate,
) -> ConversationRead:
    """Queue a conversation for an organisation, optionally a team and an agent (by hand, until routing)."""
    service.assign(session, conversation=conversation, assignment_update=assignment_update, actor=actor)
    return conversation_reads(session, [conversation])[0]


@router.get("/dead-letters", tags=["interactions"], response_model=Page[DeadLetterRead], responses=error_responses(403))
def list_dead_letters(
    session: SessionDep, actor: CanReadDeadLetters, limit: Limit = 50, cursor: Cursor = None
) -> Page[DeadLetterRead]:
    """Inbound payloads that could not be parsed, newest first, with the reason."""
    rows, next_cursor = paginate(
        session, select(DeadLetter), DeadLetter.id, cursor=cursor, limit=limit, newest_first=True
    )
    items = [
        DeadLetterRead(
            id=r.id,
            source=r.source,
            content_type=r.content_type,
            reason=r.reason,
            received_at=r.received_at,
            size=len(r.raw),
        )
        for r in rows
    ]
    return Page[DeadLetterRead](items=items, next_cursor=next_cursor)


CanManageCanned = Annotated[Actor, Depends(require(Permission.CANNED_RESPONSES_MANAGE))]


def canned_in_scope(actor: Actor) -> Any:
    statement = select(CannedResponse)
    if actor.brand_ids is not None:
        statement = statement.where(CannedResponse.brand_id.in_(actor.brand_ids))
    return statement


@router.get(
    "/canned-responses", tags=["conversations"], response_model=Page[CannedResponseRead], responses=error_responses(403)
)
def list_canned_responses(
    session: SessionDep, actor: CanReply, limit: Limit = 50, cursor: Cursor = None
) -> Page[CannedResponseRead]:
    """The replies agents start from."""
    rows, next_cursor = paginate(session, canned_in_scope(actor), CannedResponse.id, cursor=cursor, limit=limit)
    return Page[CannedResponseRead](items=[CannedResponseRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/canned-responses",
    tags=["conversations"],
    status_code=201,
    response_model=CannedResponseRead,
    responses=error_responses(403, 409),
)
def create_canned_response(
    session: SessionDep, actor: CanManageCanned, canned_response_create: CannedResponseCreate
) -> CannedResponseRead:
    """Write a canned response ({customer_name} and {agent_name} are filled in when it is used)."""
    canned = service.create_canned_response(session, canned_response_create=canned_response_create, actor=actor)
    return CannedResponseRead.model_validate(canned)


@router.delete(
    "/canned-responses/{canned_response_id}",
    tags=["conversations"],
    status_code=204,
    response_class=Response,
    responses=error_responses(403, 404),
)
def delete_canned_response(session: SessionDep, actor: CanManageCanned, canned_response_id: str) -> Response:
    """Delete a canned response."""
    canned = session.scalar(canned_in_scope(actor).where(CannedResponse.id == canned_response_id))
    if canned is None:
        raise NotFound("canned response")
    service.delete_canned_response(session, canned=canned, actor=actor)
    return Response(status_code=204)
