"""The agent workspace: the inbox with presence and "take next", live; the team lead's view of queues and agents."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.conversations.models import Conversation
from cxhub.conversations.repository import readable_conversations
from cxhub.db import unit_of_work
from cxhub.deps import SessionDep, csrf_protect, page_actor, page_user, require
from cxhub.errors import CxhubError, Forbidden, NotFound
from cxhub.kit.time import utcnow
from cxhub.routing import dispatch, handover, service, workspace
from cxhub.routing.engine import Decision
from cxhub.routing.models import PRESENCES, WaitingItem
from cxhub.web import render
from cxhub.workforce.models import Agent

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
P = Permission
CanWork = Annotated[Actor, Depends(require(P.ROUTING_WORK, pages=True))]
CanSeeQueues = Annotated[Actor, Depends(require(P.ROUTING_READ, pages=True))]
CanAssign = Annotated[Actor, Depends(require(P.CONVERSATIONS_ASSIGN, pages=True))]
CanReply = Annotated[Actor, Depends(require(P.CONVERSATIONS_REPLY, pages=True))]
CHANNELS = ("email", "chat", "voice", "voicemail", "sms", "social", "review", "web_form", "api")
STREAM_POLL_SECONDS = 1.0  # a change shows within about a second, from any server process
STREAM_LIFETIME_SECONDS = 300.0  # then the browser reconnects (EventSource does it by itself)
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def _inbox_context(session: SessionDep, actor: Actor, agent: Agent, status: str, channel: str) -> dict[str, Any]:
    mine = workspace.my_conversations(session, actor=actor, agent=agent, status=status, channel=channel)
    waiting = workspace.my_queue_items(session, actor=actor, agent=agent, channel=channel)
    names = workspace.customer_names(
        session, {c.customer_id for c in mine} | {r[0].customer_id for r in waiting}, actor
    )
    presence = service.presence_of(session, agent_ids=[agent.id]).get(agent.id)
    shown = [c.id for c in mine] + [r[0].id for r in waiting]
    return {
        "mentions": workspace.my_mentions(session, actor=actor),
        "sla": workspace.sla_badges(session, shown),
        "mine": mine,
        "waiting": waiting,
        "names": names,
        "presence": presence.presence if presence else "offline",
        "presences": PRESENCES,
        "status": status,
        "channel": channel,
        "statuses": workspace.MINE,
        "channels": CHANNELS,
        "now": utcnow(),
    }


Status = Annotated[str, Query(max_length=20)]
Channel = Annotated[str, Query(max_length=20)]


@router.get("/inbox")
def inbox_page(
    request: Request, session: SessionDep, actor: CanWork, status: Status = "", channel: Channel = ""
) -> Response:
    agent = service.agent_of_user(session, actor=actor)
    response = render(
        request, "routing/inbox.html", **_inbox_context(session, actor, agent, status, channel), message=""
    )
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/inbox/_lists")
def inbox_lists(
    request: Request, session: SessionDep, actor: CanWork, status: Status = "", channel: Channel = ""
) -> Response:
    """The inbox's two lists, fetched again when the live stream says something changed."""
    agent = service.agent_of_user(session, actor=actor)
    return render(request, "routing/_inbox_lists.html", **_inbox_context(session, actor, agent, status, channel))


@router.get("/inbox/stream")
async def inbox_stream(request: Request) -> Response:
    """`changed` events whenever the inbox would show something else; the page then fetches its lists again."""
    factory = request.app.state.sessionmaker

    def authorise() -> tuple[Actor, str]:
        with unit_of_work(factory) as session:
            actor = page_actor(request, session, page_user(request, session))
            if not actor.can(P.ROUTING_WORK):
                raise Forbidden(f"this needs the permission {P.ROUTING_WORK.value}")
            return actor, service.agent_of_user(session, actor=actor).id

    actor, agent_id = await run_in_threadpool(authorise)  # then the stream holds no session between its polls

    def fingerprint() -> tuple[object, ...]:
        with unit_of_work(factory) as session:
            return workspace.inbox_fingerprint(session, actor=actor, agent_id=agent_id)

    async def events() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        seen = await run_in_threadpool(fingerprint)
        started = time.monotonic()
        while time.monotonic() - started < STREAM_LIFETIME_SECONDS and not await request.is_disconnected():
            await anyio.sleep(STREAM_POLL_SECONDS)
            now = await run_in_threadpool(fingerprint)
            if now != seen:
                seen = now
                yield "event: changed\ndata: {}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers=STREAM_HEADERS)


@router.post("/inbox/presence")
def change_presence(
    request: Request, session: SessionDep, actor: CanWork, presence: Annotated[str, Form(max_length=10)]
) -> Response:
    if presence not in PRESENCES:
        raise CxhubError(f"presence is one of {', '.join(PRESENCES)}", status=422, field="presence")
    service.set_presence(session, agent=service.agent_of_user(session, actor=actor), presence=presence)
    return RedirectResponse("/inbox", status_code=303)


@router.post("/inbox/next")
def take_next(request: Request, session: SessionDep, actor: CanWork) -> Response:
    agent = service.agent_of_user(session, actor=actor)
    conversation = handover.next_for_agent(session, agent=agent)
    if conversation is None:
        context = _inbox_context(session, actor, agent, "", "")
        return render(request, "routing/inbox.html", **context, message="Nothing is waiting that you can take.")
    return RedirectResponse(f"/conversations/{conversation.id}", status_code=303)


@router.get("/queues")
def queues_page(request: Request, session: SessionDep, actor: CanSeeQueues) -> Response:
    """Queues with what waits and for how long; agents with their presence and load; hand an item to an agent."""
    states = workspace.queue_states(session, actor=actor)
    conversations = [c for state in states for c, _ in state.items]
    return render(
        request,
        "routing/queues.html",
        states=states,
        agents=workspace.agent_states(session, actor=actor),
        names=workspace.customer_names(session, {c.customer_id for c in conversations}, actor),
        assignable=workspace.team_agents(session, actor=actor) if actor.can(P.CONVERSATIONS_ASSIGN) else [],
        now=utcnow(),
    )


@router.post("/queues/assign")
def assign_waiting(
    request: Request,
    session: SessionDep,
    actor: CanAssign,
    conversation_id: Annotated[str, Form(max_length=26)],
    agent_id: Annotated[str, Form(max_length=26)],
) -> Response:
    """A team lead hands a waiting conversation to an agent of theirs, whatever the queue would decide."""
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    waiting = session.get(WaitingItem, conversation_id)
    if conversation is None or waiting is None:
        raise NotFound("waiting conversation")
    agent = session.get(Agent, agent_id)
    if agent is None or (actor.is_partner and agent.organisation_id != actor.organisation_id):
        raise CxhubError("no such agent", status=422, field="agent_id")
    if actor.is_partner and conversation.organisation_id != actor.organisation_id:
        raise Forbidden("this conversation is queued at another organisation")
    decision = Decision(conversation.id, agent.id, agent.team_id, agent.organisation_id, None, "manual")
    outcome = dispatch.take(
        session,
        conversation=conversation,
        decision=decision,
        queue_id=waiting.queue_id,
        now=utcnow(),
        rule="manual",
        by_user_id=actor.user_id,
        check_room=False,
    )
    if outcome == dispatch.GONE:
        raise CxhubError("another agent took it meanwhile", status=409)
    return RedirectResponse("/queues", status_code=303)


@router.get("/conversations/{conversation_id}/_transfer")
def transfer_form(request: Request, session: SessionDep, actor: CanReply, conversation_id: str) -> Response:
    """The conversation page's transfer form: queues of the brand, teams and agents the actor may hand to."""
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    queues, teams, agents = workspace.transfer_targets(session, actor=actor, brand_id=conversation.brand_id)
    return render(
        request, "routing/_transfer.html", conversation=conversation, queues=queues, teams=teams, agents=agents
    )


@router.post("/conversations/{conversation_id}/transfer")
def transfer(
    request: Request,
    session: SessionDep,
    actor: CanReply,
    conversation_id: str,
    target: Annotated[str, Form(max_length=40, pattern=r"^(queue|team|agent):[0-9a-z]{26}$")],
) -> Response:
    conversation = session.scalar(readable_conversations(actor).where(Conversation.id == conversation_id))
    if conversation is None:
        raise NotFound("conversation")
    kind, target_id = target.split(":", 1)
    queue_id, team_id, agent_id = (target_id if kind == k else None for k in ("queue", "team", "agent"))
    service.check_transfer(session, conversation=conversation, actor=actor, team_id=team_id, agent_id=agent_id)
    handover.transfer(
        session,
        conversation=conversation,
        actor_user_id=actor.user_id,
        queue_id=queue_id,
        team_id=team_id,
        agent_id=agent_id,
    )
    return RedirectResponse(f"/conversations/{conversation.id}", status_code=303)
