"""JSON routes: the generic interaction intake and the conversations it builds."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.conversations import service
from cxhub.conversations.models import Conversation
from cxhub.conversations.repository import readable_conversations
from cxhub.conversations.schemas import BatchResult, ConversationRead, InteractionCreate, InteractionResult
from cxhub.deps import Cursor, Limit, SessionDep, require
from cxhub.errors import CxhubError, NotFound
from cxhub.kit.pagination import Page, paginate
from cxhub.web import error_responses

router = APIRouter()
CanCreateInteractions = Annotated[Actor, Depends(require(Permission.INTERACTIONS_CREATE))]
CanReadConversations = Annotated[Actor, Depends(require(Permission.CONVERSATIONS_READ))]
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
    single, items = _parse(await request.body(), content_type)
    if len(items) > MAX_BATCH:
        raise CxhubError(f"a batch holds at most {MAX_BATCH} interactions", status=422, field="body")
    if single:
        try:
            interaction_create = _validated(items[0])
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        recorded = service.record_interaction(
            session, interaction_create=interaction_create, idempotency_key=idempotency_key
        )
        result = _result(recorded)
        return JSONResponse(result.model_dump(), status_code=200 if recorded.duplicate else 201)
    results: list[Any] = []
    for position, item in enumerate(items):
        key = f"{idempotency_key}:{position}" if idempotency_key else None
        try:
            with session.begin_nested():
                results.append(
                    _result(
                        service.record_interaction(session, interaction_create=_validated(item), idempotency_key=key)
                    ).model_dump()
                )
        except (CxhubError, ValidationError) as exc:
            results.append({"error": _problem(exc)})
    return JSONResponse({"items": results}, status_code=200)


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


@router.get(
    "/conversations/{conversation_id}",
    tags=["conversations"],
    response_model=ConversationRead,
    responses=error_responses(403, 404),
)
def read_conversation(session: SessionDep, actor: CanReadConversations, conversation_id: str) -> ConversationRead:
    """One conversation in scope."""
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    return ConversationRead.model_validate(conversation)
