"""JSON routes: signed webhooks, webhook sources, agents' replies and dead-letter replays."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.channels import service
from cxhub.channels.models import ChannelSource
from cxhub.channels.schemas import (
    ChannelSourceCreate,
    ChannelSourceCreated,
    ChannelSourceRead,
    ReplayResult,
    ReplyCreate,
    WebhookResult,
)
from cxhub.conversations.api import ConversationInScope, interaction_read
from cxhub.conversations.models import DeadLetter
from cxhub.conversations.schemas import InteractionRead
from cxhub.deps import Cursor, Limit, SessionDep, require
from cxhub.kit.pagination import Page, paginate
from cxhub.web import error_responses, problem

router = APIRouter()
CanManageChannels = Annotated[Actor, Depends(require(Permission.CHANNELS_MANAGE))]
CanReply = Annotated[Actor, Depends(require(Permission.CONVERSATIONS_REPLY))]
CanReplay = Annotated[Actor, Depends(require(Permission.DEAD_LETTERS_REPLAY))]


@router.post(
    "/webhooks/{source_name}",
    tags=["webhooks"],
    response_model=WebhookResult,
    responses=error_responses(404, 409),
)
async def receive_webhook(
    source_name: str,
    request: Request,
    session: SessionDep,
    x_cxhub_timestamp: Annotated[str | None, Header(max_length=20)] = None,
    x_cxhub_signature: Annotated[str | None, Header(max_length=100)] = None,
) -> JSONResponse:
    """Receive a signed payload from a registered source (call records, posts, reviews, orders ...).

    Sign `<timestamp>.<body>` with HMAC-SHA256 and the source's secret; send the Unix timestamp in
    `X-Cxhub-Timestamp` and `sha256=<hex>` in `X-Cxhub-Signature`. No bearer token is needed.
    """
    raw = await request.body()
    source = service.authenticate_webhook(
        session, source_name=source_name, timestamp=x_cxhub_timestamp, signature=x_cxhub_signature, raw=raw
    )
    outcome = service.receive(
        session,
        source_key=f"webhook.{source.name}",
        adapter_name=source.adapter,
        brand_id=source.brand_id,
        raw=raw,
        content_type=request.headers.get("content-type"),
    )
    if isinstance(outcome, DeadLetter):
        return problem(
            422,
            "Invalid input",
            f"{outcome.reason} (kept as dead letter {outcome.id})",
            [{"field": "body", "reason": outcome.reason}],
        )
    items = [
        {
            "interaction_id": r.interaction.id,
            "conversation_id": r.interaction.conversation_id,
            "customer_id": r.interaction.customer_id,
            "duplicate": r.duplicate,
        }
        for r in outcome
    ]
    return JSONResponse({"items": items})


@router.get(
    "/channel-sources", tags=["webhooks"], response_model=Page[ChannelSourceRead], responses=error_responses(403)
)
def list_sources(
    session: SessionDep, actor: CanManageChannels, limit: Limit = 50, cursor: Cursor = None
) -> Page[ChannelSourceRead]:
    """Registered webhook sources (their secrets are never shown again)."""
    rows, next_cursor = paginate(session, select(ChannelSource), ChannelSource.id, cursor=cursor, limit=limit)
    return Page[ChannelSourceRead](items=[ChannelSourceRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/channel-sources",
    tags=["webhooks"],
    status_code=201,
    response_model=ChannelSourceCreated,
    responses=error_responses(403, 409),
)
def create_source(
    session: SessionDep, actor: CanManageChannels, channel_source_create: ChannelSourceCreate
) -> ChannelSourceCreated:
    """Register a webhook source; the answer holds its signing secret, shown once."""
    source, secret = service.create_source(session, source_create=channel_source_create, actor=actor)
    return ChannelSourceCreated(**ChannelSourceRead.model_validate(source).model_dump(), secret=secret)


@router.post(
    "/conversations/{conversation_id}/replies",
    tags=["conversations"],
    status_code=201,
    response_model=InteractionRead,
    responses=error_responses(403, 404),
)
def create_reply(
    session: SessionDep, conversation: ConversationInScope, actor: CanReply, reply_create: ReplyCreate
) -> InteractionRead:
    """Answer the customer: recorded now, delivered through the conversation's channel by a job."""
    interaction = service.reply(session, conversation=conversation, reply_create=reply_create, actor=actor)
    return interaction_read(session, interaction, actor)


@router.post(
    "/dead-letters/{dead_letter_id}/replay",
    tags=["interactions"],
    response_model=ReplayResult,
    responses=error_responses(403, 404),
)
def replay_dead_letter(session: SessionDep, actor: CanReplay, dead_letter_id: str) -> ReplayResult:
    """Parse a kept payload again (after a fix) and record what it holds."""
    dead_letter = service.replay_dead_letter(session, dead_letter_id=dead_letter_id, actor=actor)
    assert dead_letter.replayed_at is not None  # noqa: S101 - just set
    return ReplayResult(
        dead_letter_id=dead_letter.id, replayed_at=dead_letter.replayed_at, result=dead_letter.replay_result or ""
    )
