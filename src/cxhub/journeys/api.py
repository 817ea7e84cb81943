"""JSON routes for the touchpoint map: stages, touchpoints with their sourcing, classification rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.conversations.models import Conversation
from cxhub.conversations.repository import readable_conversations
from cxhub.deps import ApiActor, Cursor, Limit, SessionDep, require
from cxhub.errors import NotFound
from cxhub.journeys import repository, service
from cxhub.journeys.models import ClassificationRule, LifecycleStage, Touchpoint
from cxhub.journeys.schemas import (
    ConversationTouchpoint,
    RuleCreate,
    RuleRead,
    StageCreate,
    StageRead,
    StageUpdate,
    TouchpointCreate,
    TouchpointRead,
    TouchpointUpdate,
)
from cxhub.kit.pagination import Page, paginate
from cxhub.web import error_responses

router = APIRouter(tags=["journeys"])
P = Permission
CanRead = Annotated[Actor, Depends(require(P.JOURNEYS_READ))]
CanManage = Annotated[Actor, Depends(require(P.JOURNEYS_MANAGE))]
CanClassify = Annotated[Actor, Depends(require(P.CONVERSATIONS_CLASSIFY))]
LIST = error_responses(403)
ITEM = error_responses(403, 404)
WRITE = error_responses(403, 404, 409)


def _stage(session: SessionDep, actor: ApiActor, stage_id: str) -> LifecycleStage:
    return service.get_stage(session, actor=actor, stage_id=stage_id)


def _touchpoint(session: SessionDep, actor: ApiActor, touchpoint_id: str) -> Touchpoint:
    return service.get_touchpoint(session, actor=actor, touchpoint_id=touchpoint_id)


def _rule(session: SessionDep, actor: ApiActor, rule_id: str) -> ClassificationRule:
    return service.get_rule(session, actor=actor, rule_id=rule_id)


StageInScope = Annotated[LifecycleStage, Depends(_stage)]
TouchpointInScope = Annotated[Touchpoint, Depends(_touchpoint)]
RuleInScope = Annotated[ClassificationRule, Depends(_rule)]


@router.get("/lifecycle-stages", response_model=Page[StageRead], responses=LIST)
def list_stages(session: SessionDep, actor: CanRead, limit: Limit = 50, cursor: Cursor = None) -> Page[StageRead]:
    """The brand's lifecycle stages (discover, buy, use, get help, return, renew, advocate ...)."""
    rows, next_cursor = paginate(
        session, repository.readable_stages(actor), LifecycleStage.id, cursor=cursor, limit=limit
    )
    return Page[StageRead](items=[StageRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/lifecycle-stages", status_code=201, response_model=StageRead, responses=WRITE)
def create_stage(session: SessionDep, actor: CanManage, stage_create: StageCreate) -> StageRead:
    """Add a lifecycle stage."""
    return StageRead.model_validate(service.create_stage(session, stage_create=stage_create, actor=actor))


@router.patch("/lifecycle-stages/{stage_id}", response_model=StageRead, responses=WRITE)
def update_stage(session: SessionDep, stage: StageInScope, actor: CanManage, stage_update: StageUpdate) -> StageRead:
    """Rename or reorder a stage."""
    return StageRead.model_validate(service.update_stage(session, stage=stage, stage_update=stage_update, actor=actor))


@router.delete("/lifecycle-stages/{stage_id}", status_code=204, response_class=Response, responses=WRITE)
def delete_stage(session: SessionDep, stage: StageInScope, actor: CanManage) -> Response:
    """Delete a stage that has no touchpoints."""
    service.delete_stage(session, stage=stage, actor=actor)
    return Response(status_code=204)


@router.get("/touchpoints", response_model=Page[TouchpointRead], responses=LIST)
def list_touchpoints(
    session: SessionDep, actor: CanRead, limit: Limit = 50, cursor: Cursor = None
) -> Page[TouchpointRead]:
    """Touchpoints with their sourcing (a partner sees its own share only)."""
    rows, next_cursor = paginate(
        session, repository.readable_touchpoints(actor), Touchpoint.id, cursor=cursor, limit=limit
    )
    return Page[TouchpointRead](
        items=service.touchpoint_reads(session, touchpoints=rows, actor=actor), next_cursor=next_cursor
    )


@router.post("/touchpoints", status_code=201, response_model=TouchpointRead, responses=WRITE)
def create_touchpoint(session: SessionDep, actor: CanManage, touchpoint_create: TouchpointCreate) -> TouchpointRead:
    """Add a touchpoint to a stage, with who serves it, from where, and each one's share."""
    touchpoint = service.create_touchpoint(session, touchpoint_create=touchpoint_create, actor=actor)
    return service.touchpoint_reads(session, touchpoints=[touchpoint], actor=actor)[0]


@router.get("/touchpoints/{touchpoint_id}", response_model=TouchpointRead, responses=ITEM)
def read_touchpoint(session: SessionDep, touchpoint: TouchpointInScope, actor: CanRead) -> TouchpointRead:
    """One touchpoint with its sourcing."""
    return service.touchpoint_reads(session, touchpoints=[touchpoint], actor=actor)[0]


@router.patch("/touchpoints/{touchpoint_id}", response_model=TouchpointRead, responses=WRITE)
def update_touchpoint(
    session: SessionDep, touchpoint: TouchpointInScope, actor: CanManage, touchpoint_update: TouchpointUpdate
) -> TouchpointRead:
    """Change a touchpoint; `sourcing`, when given, replaces the whole list."""
    service.update_touchpoint(session, touchpoint=touchpoint, touchpoint_update=touchpoint_update, actor=actor)
    return service.touchpoint_reads(session, touchpoints=[touchpoint], actor=actor)[0]


@router.delete("/touchpoints/{touchpoint_id}", status_code=204, response_class=Response, responses=WRITE)
def delete_touchpoint(session: SessionDep, touchpoint: TouchpointInScope, actor: CanManage) -> Response:
    """Delete a touchpoint no queue serves; its conversations become unclassified."""
    service.delete_touchpoint(session, touchpoint=touchpoint, actor=actor)
    return Response(status_code=204)


@router.get("/classification-rules", response_model=Page[RuleRead], responses=LIST)
def list_rules(session: SessionDep, actor: CanRead, limit: Limit = 50, cursor: Cursor = None) -> Page[RuleRead]:
    """The rules that classify conversations to touchpoints."""
    rows, next_cursor = paginate(
        session, repository.readable_rules(actor), ClassificationRule.id, cursor=cursor, limit=limit
    )
    return Page[RuleRead](items=[RuleRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/classification-rules", status_code=201, response_model=RuleRead, responses=WRITE)
def create_rule(session: SessionDep, actor: CanManage, rule_create: RuleCreate) -> RuleRead:
    """Add a rule: the first rule (by position) whose every condition holds classifies the conversation."""
    return RuleRead.model_validate(service.create_rule(session, rule_create=rule_create, actor=actor))


@router.delete("/classification-rules/{rule_id}", status_code=204, response_class=Response, responses=WRITE)
def delete_rule(session: SessionDep, rule: RuleInScope, actor: CanManage) -> Response:
    """Delete a rule."""
    service.delete_rule(session, rule=rule, actor=actor)
    return Response(status_code=204)


@router.put("/conversations/{conversation_id}/touchpoint", tags=["conversations"], responses=WRITE)
def reclassify(
    session: SessionDep, actor: CanClassify, conversation_id: str, conversation_touchpoint: ConversationTouchpoint
) -> dict[str, str]:
    """Put a conversation on another touchpoint."""
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    service.reclassify(
        session, conversation=conversation, touchpoint_id=conversation_touchpoint.touchpoint_id, actor=actor
    )
    return {"conversation_id": conversation.id, "touchpoint_id": conversation_touchpoint.touchpoint_id}
