"""JSON routes: the generic interaction intake and the conversations it builds."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.conversations import bulk, service
from cxhub.conversations.models import Conversation, DeadLetter
from cxhub.conversations.repository import readable_conversations
from cxhub.conversations.schemas import (
    AssignmentUpdate,
    BatchResult,
    ConversationRead,
    DeadLetterRead,
    InteractionCreate,
    InteractionResult,
)
from cxhub.deps import ApiActor, Cursor, Limit, SessionDep, require
from cxhub.errors import CxhubError, NotFound
from cxhub.kit.pagination import Page, paginate
from cxhub.web import error_responses, problem

router = APIRouter()
CanCreateInteractions = Annotated[Actor, Depends(require(Permission.INTERACTIONS_CREATE))]
CanReadConversations = Annotated[Actor, Depends(require(Permission.CONVERSATIONS_READ))]
CanAssignConversations = Annotated[Actor, Depends(require(Permission.CONVERSATIONS_ASSIGN))]
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
        recorded = await run_in_threadpool(
            service.record_interaction, session, interaction_create=interaction_create, idempotency_key=idempotency_key
        )
        result = _result(recorded)
        return JSONResponse(result.model_dump(), status_code=200 if recorded.duplicate else 201)
    return JSONResponse({"items": await run_in_threadpool(_record_batch, session, items, idempotency_key)})


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
    outcomes = bulk.record_interactions(session, items=[(ic, key) for _, ic, key in valid])
    for (position, _, _), outcome in zip(valid, outcomes, strict=True):
        results[position] = (
            {"error": _problem(outcome)}
            if isinstance(outcome, CxhubError)
            else InteractionResult(**dataclasses.asdict(outcome)).model_dump()
        )
    return results


def _validated(item: Any) -> InteractionCreate:
    return _one.validate_python(item)


def _result(recorded: service.Recorded) -> InteractionResult:
    interaction = recorded.interaction
    return InteractionResult(
        interaction_id=interaction.id,
        conversation_id=interaction.conversation_id,
        customer_id=interaction.customer_id,
        duplicate=recorded.duplicate,
    )


@router.get(
    "/conversations", tags=["conversations"], response_model=Page[ConversationRead], responses=error_responses(403)
)
def list_conversations(
    session: SessionDep,
    actor: CanReadConversations,
    status: Annotated[str | None, Query(max_length=20)] = None,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    customer_id: Annotated[str | None, Query(max_length=26)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ConversationRead]:
    """Conversations in scope, newest first."""
    statement = readable_conversations(actor)
    if status:
        statement = statement.where(Conversation.status == status)
    if channel:
        statement = statement.where(Conversation.channel == channel)
    if customer_id:
        statement = statement.where(Conversation.customer_id == customer_id)
    rows, next_cursor = paginate(session, statement, Conversation.id, cursor=cursor, limit=limit, newest_first=True)
    return Page[ConversationRead](items=[ConversationRead.model_validate(r) for r in rows], next_cursor=next_cursor)


def _conversation(session: SessionDep, actor: ApiActor, conversation_id: str) -> Conversation:
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    return conversation


ConversationInScope = Annotated[Conversation, Depends(_conversation)]


@router.get(
    "/conversations/{conversation_id}",
    tags=["conversations"],
    response_model=ConversationRead,
    responses=error_responses(403, 404),
)
def read_conversation(conversation: ConversationInScope, actor: CanReadConversations) -> ConversationRead:
    """One conversation in scope."""
    return ConversationRead.model_validate(conversation)


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
    return ConversationRead.model_validate(conversation)


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
