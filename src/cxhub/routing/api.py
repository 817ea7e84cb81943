"""JSON routes for queues, presence and taking the next conversation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.conversations.models import Conversation
from cxhub.conversations.repository import readable_conversations
from cxhub.customers.models import CustomerGroup
from cxhub.customers.schemas import CustomerGroupCreate, CustomerGroupRead
from cxhub.customers.service import create_group, delete_group, group_reads
from cxhub.deps import ApiActor, Cursor, Limit, SessionDep, require
from cxhub.errors import NotFound
from cxhub.kit.pagination import Page, paginate
from cxhub.routing import handover, repository, service
from cxhub.routing.models import Queue, SlaPolicy
from cxhub.routing.schemas import (
    NextResult,
    PresenceRead,
    PresenceUpdate,
    QueueCreate,
    QueueRead,
    QueueUpdate,
    SlaPolicyCreate,
    SlaPolicyFields,
    SlaPolicyRead,
    TransferCreate,
    TransferResult,
)
from cxhub.web import error_responses

router = APIRouter(tags=["routing"])
P = Permission
CanRead = Annotated[Actor, Depends(require(P.ROUTING_READ))]
CanManage = Annotated[Actor, Depends(require(P.ROUTING_MANAGE))]
CanWork = Annotated[Actor, Depends(require(P.ROUTING_WORK))]
LIST = error_responses(403)
ITEM = error_responses(403, 404)
WRITE = error_responses(403, 404, 409)


def _queue(session: SessionDep, actor: ApiActor, queue_id: str) -> Queue:
    return service.get_queue(session, actor=actor, queue_id=queue_id)


QueueInScope = Annotated[Queue, Depends(_queue)]


@router.get("/queues", response_model=Page[QueueRead], responses=LIST)
def list_queues(session: SessionDep, actor: CanRead, limit: Limit = 50, cursor: Cursor = None) -> Page[QueueRead]:
    """Queues with their teams and what waits in each (a partner: the queues its teams serve)."""
    rows, next_cursor = paginate(session, repository.readable_queues(actor), Queue.id, cursor=cursor, limit=limit)
    return Page[QueueRead](items=service.queue_reads(session, queues=rows, actor=actor), next_cursor=next_cursor)


@router.post("/queues", status_code=201, response_model=QueueRead, responses=WRITE)
def create_queue(session: SessionDep, actor: CanManage, queue_create: QueueCreate) -> QueueRead:
    """Create a queue for a touchpoint and channel, with its teams in order of preference and their shares."""
    queue = service.create_queue(session, queue_create=queue_create, actor=actor)
    return service.queue_reads(session, queues=[queue], actor=actor)[0]


@router.get("/queues/{queue_id}", response_model=QueueRead, responses=ITEM)
def read_queue(session: SessionDep, queue: QueueInScope, actor: CanRead) -> QueueRead:
    """One queue."""
    return service.queue_reads(session, queues=[queue], actor=actor)[0]


@router.put("/queues/{queue_id}", response_model=QueueRead, responses=WRITE)
def update_queue(session: SessionDep, queue: QueueInScope, actor: CanManage, queue_update: QueueUpdate) -> QueueRead:
    """Replace a queue's configuration."""
    service.update_queue(session, queue=queue, queue_update=queue_update, actor=actor)
    return service.queue_reads(session, queues=[queue], actor=actor)[0]


@router.delete("/queues/{queue_id}", status_code=204, response_class=Response, responses=WRITE)
def delete_queue(session: SessionDep, queue: QueueInScope, actor: CanManage) -> Response:
    """Delete a queue; what waited in it is routed again."""
    service.delete_queue(session, queue=queue, actor=actor)
    return Response(status_code=204)


@router.put("/me/presence", response_model=PresenceRead, responses=error_responses(403, 409))
def set_presence(session: SessionDep, actor: CanWork, presence_update: PresenceUpdate) -> PresenceRead:
    """Set your presence: available agents are offered work; every change is kept for occupancy."""
    agent = service.agent_of_user(session, actor=actor)
    return PresenceRead.model_validate(service.set_presence(session, agent=agent, presence=presence_update.presence))


@router.post("/me/next", response_model=NextResult, responses=error_responses(403, 409))
def take_next(session: SessionDep, actor: CanWork) -> NextResult:
    """Take the oldest most urgent conversation waiting in your queues that you may serve."""
    agent = service.agent_of_user(session, actor=actor)
    conversation = handover.next_for_agent(session, agent=agent)
    if conversation is None:
        return NextResult(conversation_id=None, queue_id=None)
    return NextResult(conversation_id=conversation.id, queue_id=conversation.queue_id)


@router.get("/customer-groups", response_model=Page[CustomerGroupRead], responses=LIST)
def list_groups(
    session: SessionDep, actor: CanRead, limit: Limit = 50, cursor: Cursor = None
) -> Page[CustomerGroupRead]:
    """Customer groups and their named owners."""
    statement = repository.readable_groups(actor)
    rows, next_cursor = paginate(session, statement, CustomerGroup.id, cursor=cursor, limit=limit)
    return Page[CustomerGroupRead](items=group_reads(session, groups=rows), next_cursor=next_cursor)


@router.post("/customer-groups", status_code=201, response_model=CustomerGroupRead, responses=WRITE)
def create_customer_group(
    session: SessionDep, actor: CanManage, customer_group_create: CustomerGroupCreate
) -> CustomerGroupRead:
    """Name an owner (agent or account team) for customers by rule or by list."""
    group = create_group(session, group_create=customer_group_create, actor=actor)
    return group_reads(session, groups=[group])[0]


@router.delete("/customer-groups/{group_id}", status_code=204, response_class=Response, responses=WRITE)
def delete_customer_group(session: SessionDep, actor: CanManage, group_id: str) -> Response:
    """Delete a customer group."""
    group = session.scalar(repository.readable_groups(actor).where(CustomerGroup.id == group_id))
    if group is None:
        raise NotFound("customer group")
    delete_group(session, group=group, actor=actor)
    return Response(status_code=204)


def _policy(session: SessionDep, actor: ApiActor, policy_id: str) -> SlaPolicy:
    return service.get_policy(session, actor=actor, policy_id=policy_id)


PolicyInScope = Annotated[SlaPolicy, Depends(_policy)]


@router.get("/sla-policies", response_model=Page[SlaPolicyRead], responses=LIST)
def list_policies(session: SessionDep, actor: CanRead, limit: Limit = 50, cursor: Cursor = None) -> Page[SlaPolicyRead]:
    """SLA policies: first-response and resolution targets per touchpoint, channel and priority."""
    statement = select(SlaPolicy)
    if actor.brand_ids is not None:
        statement = statement.where(SlaPolicy.brand_id.in_(actor.brand_ids))
    rows, next_cursor = paginate(session, statement, SlaPolicy.id, cursor=cursor, limit=limit)
    return Page[SlaPolicyRead](items=[SlaPolicyRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/sla-policies", status_code=201, response_model=SlaPolicyRead, responses=WRITE)
def create_policy(session: SessionDep, actor: CanManage, sla_policy_create: SlaPolicyCreate) -> SlaPolicyRead:
    """Create a policy; its clocks start for conversations queued from now on."""
    return SlaPolicyRead.model_validate(service.create_policy(session, policy_create=sla_policy_create, actor=actor))


@router.put("/sla-policies/{policy_id}", response_model=SlaPolicyRead, responses=WRITE)
def update_policy(
    session: SessionDep, policy: PolicyInScope, actor: CanManage, sla_policy_fields: SlaPolicyFields
) -> SlaPolicyRead:
    """Replace a policy (clocks already running keep their target)."""
    service.update_policy(session, policy=policy, policy_update=sla_policy_fields, actor=actor)
    return SlaPolicyRead.model_validate(policy)


@router.delete("/sla-policies/{policy_id}", status_code=204, response_class=Response, responses=WRITE)
def delete_policy(session: SessionDep, policy: PolicyInScope, actor: CanManage) -> Response:
    """Delete a policy and its clocks."""
    service.delete_policy(session, policy=policy, actor=actor)
    return Response(status_code=204)


CanReply = Annotated[Actor, Depends(require(P.CONVERSATIONS_REPLY))]


@router.post(
    "/conversations/{conversation_id}/transfer", tags=["conversations"], response_model=TransferResult, responses=WRITE
)
def transfer(
    session: SessionDep, actor: CanReply, conversation_id: str, transfer_create: TransferCreate
) -> TransferResult:
    """Hand a conversation to a queue (routed afresh), a team (it waits for them) or an agent (theirs at once)."""
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    service.check_transfer(
        session,
        conversation=conversation,
        actor=actor,
        team_id=transfer_create.team_id,
        agent_id=transfer_create.agent_id,
    )
    status = handover.transfer(
        session, conversation=conversation, actor_user_id=actor.user_id, **transfer_create.model_dump()
    )
    return TransferResult(conversation_id=conversation.id, routing_status=status)
