"""SLA clocks at work: start them when a conversation is queued, re-evaluate them, warn and escalate.

Each conversation gets a first-response and a resolution clock against the most specific policy for
its touchpoint, channel and priority. The clock runs from the customer's first message; it pauses
while the conversation is pending the customer (and, for resolution, while it is resolved until a
reopening); business-hours targets count only the policy's calendar. A periodic job re-evaluates the
clocks whose conversation changed or whose warning or due time has come, and sends the warning and
the breach as jobs of their own (e-mail to whom the policy names; a breach can raise the priority).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cxhub.conversations import labels
from cxhub.conversations.models import Conversation, ConversationEvent
from cxhub.conversations.service import record_event
from cxhub.jobs.service import enqueue
from cxhub.kit.hours import BusinessHours
from cxhub.kit.sla import Pause, SlaTarget, sla_state
from cxhub.routing.models import CLOCKS, SlaClock, SlaPolicy

BATCH = 500
PAUSED_IN = {"first_response": ("pending_customer",), "resolution": ("pending_customer", "resolved")}


def policy_for(
    policies: Sequence[SlaPolicy], *, touchpoint_id: str | None, channel: str, priority: int
) -> SlaPolicy | None:
    """The most specific policy: the more of touchpoint, channel and priority it names, the better."""

    def specificity(policy: SlaPolicy) -> tuple[int, dt.datetime]:
        named = (
            (policy.touchpoint_id is not None) * 4 + (policy.channel is not None) * 2 + (policy.priority is not None)
        )
        return named, policy.created_at

    matching = [
        p
        for p in policies
        if p.touchpoint_id in (None, touchpoint_id) and p.channel in (None, channel) and p.priority in (None, priority)
    ]
    return max(matching, key=specificity, default=None)


def start_clocks(session: Session, *, conversations: Sequence[Conversation], now: dt.datetime) -> None:
    """Clocks for conversations that have none yet (evaluated at once by the next watch)."""
    if not conversations:
        return
    ids = [c.id for c in conversations]
    started = set(session.scalars(select(SlaClock.conversation_id).where(SlaClock.conversation_id.in_(ids))))
    by_brand: dict[str, Sequence[SlaPolicy]] = {}
    for conversation in conversations:
        if conversation.id in started:
            continue
        if conversation.brand_id not in by_brand:
            by_brand[conversation.brand_id] = session.scalars(
                select(SlaPolicy).where(SlaPolicy.brand_id == conversation.brand_id)
            ).all()
        policy = policy_for(
            by_brand[conversation.brand_id],
            touchpoint_id=conversation.touchpoint_id,
            channel=conversation.channel,
            priority=conversation.priority,
        )
        if policy is None:
            continue
        targets = {"first_response": policy.first_response_seconds, "resolution": policy.resolution_seconds}
        for clock in CLOCKS:
            if targets[clock] is not None:
                session.add(
                    SlaClock(
                        conversation_id=conversation.id,
                        clock=clock,
                        policy_id=policy.id,
                        target_seconds=targets[clock],
                        started_at=conversation.created_at,
                        evaluated_at=now,
                        next_check_at=now,
                    )
                )
    session.flush()


def pauses_of(session: Session, conversation_ids: Collection[str]) -> dict[str, list[tuple[str, dt.datetime]]]:
    """Each conversation's status changes, oldest first: (status entered, when)."""
    found: dict[str, list[tuple[str, dt.datetime]]] = {c: [] for c in conversation_ids}
    if conversation_ids:
        for conversation_id, after, at in session.execute(
            select(ConversationEvent.conversation_id, ConversationEvent.after, ConversationEvent.at)
            .where(ConversationEvent.conversation_id.in_(list(conversation_ids)), ConversationEvent.kind == "status")
            .order_by(ConversationEvent.at, ConversationEvent.id)
        ).all():
            found[conversation_id].append((after, at))
    return found


def paused_intervals(changes: Sequence[tuple[str, dt.datetime]], pausing: Collection[str]) -> list[Pause]:
    """The stretches spent in a pausing status, from the status changes; the last may still be open."""
    intervals: list[Pause] = []
    began: dt.datetime | None = None
    for status, at in changes:
        if status in pausing and began is None:
            began = at
        elif status not in pausing and began is not None:
            intervals.append((began, at))
            began = None
    if began is not None:
        intervals.append((began, None))
    return intervals


def _calendar(policy: SlaPolicy) -> BusinessHours:
    if not policy.business_hours:
        return BusinessHours.always()
    return BusinessHours(policy.time_zone, policy.opening_hours, policy.holidays)


def _met_at(conversation: Conversation, clock: str) -> dt.datetime | None:
    if clock == "first_response":
        return conversation.first_response_at
    return conversation.resolved_at if conversation.status in ("resolved", "closed") else None


def watch(session: Session, *, now: dt.datetime, batch: int = BATCH) -> int:
    """Re-evaluate the clocks that are due for it; returns how many were evaluated."""
    statement = (
        select(SlaClock, Conversation, SlaPolicy)
        .join(Conversation, Conversation.id == SlaClock.conversation_id)
        .join(SlaPolicy, SlaPolicy.id == SlaClock.policy_id)
        .where(
            SlaClock.final.is_(False),
            or_(SlaClock.next_check_at <= now, Conversation.updated_at > SlaClock.evaluated_at),
        )
        .order_by(SlaClock.next_check_at)
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True, of=SlaClock)
    rows = session.execute(statement).all()
    changes = pauses_of(session, {clock.conversation_id for clock, _, _ in rows})
    for clock, conversation, policy in rows:
        _evaluate(session, clock=clock, conversation=conversation, policy=policy, changes=changes, now=now)
    session.flush()
    return len(rows)


def _evaluate(
    session: Session,
    *,
    clock: SlaClock,
    conversation: Conversation,
    policy: SlaPolicy,
    changes: dict[str, list[tuple[str, dt.datetime]]],
    now: dt.datetime,
) -> None:
    met_at = _met_at(conversation, clock.clock)
    state = sla_state(
        started_at=clock.started_at,
        target=SlaTarget(clock.target_seconds, policy.business_hours),
        calendar=_calendar(policy),
        paused=paused_intervals(changes[conversation.id], PAUSED_IN[clock.clock]),
        met_at=met_at,
        now=now,
        warn_fraction=policy.warn_fraction,
    )
    clock.status, clock.due_at, clock.warning_at = state.status, state.due_at, state.warning_at
    clock.met_at, clock.elapsed_seconds, clock.evaluated_at = met_at, state.elapsed_seconds, now
    clock.final = met_at is not None and (clock.clock == "first_response" or conversation.status == "closed")
    upcoming = [at for at in (state.warning_at, state.due_at) if at is not None and at > now]
    clock.next_check_at = None if clock.final or not upcoming else min(upcoming)
    if state.status == "at_risk" and clock.warned_at is None:
        clock.warned_at = now
        _announce(session, clock=clock, conversation=conversation, kind="sla_warning", now=now)
    breached = state.breached_at is not None and (met_at is None or met_at > state.breached_at)
    if breached and clock.breach_noticed_at is None:
        clock.breach_noticed_at = now
        if policy.escalate_priority is not None and conversation.priority > policy.escalate_priority:
            conversation.priority = policy.escalate_priority
        _announce(session, clock=clock, conversation=conversation, kind="sla_breach", now=now)


def _announce(session: Session, *, clock: SlaClock, conversation: Conversation, kind: str, now: dt.datetime) -> None:
    record_event(session, conversation=conversation, kind=kind, after=clock.clock, at=now)
    enqueue(
        session,
        name=f"routing.{kind}",
        payload={"conversation_id": conversation.id, "clock": clock.clock, "policy_id": clock.policy_id},
    )


@dataclass(frozen=True)
class ClockView:
    clock: str
    policy_id: str
    status: str
    target_seconds: int
    due_at: dt.datetime | None
    met_at: dt.datetime | None


def clock_views(session: Session, conversation_ids: Collection[str]) -> dict[str, list[ClockView]]:
    """The clocks as the last watch left them (at most one watch interval old)."""
    found: dict[str, list[ClockView]] = {}
    if not conversation_ids:
        return found
    for clock in session.scalars(
        select(SlaClock).where(SlaClock.conversation_id.in_(list(conversation_ids))).order_by(SlaClock.clock)
    ):
        found.setdefault(clock.conversation_id, []).append(
            ClockView(clock.clock, clock.policy_id, clock.status, clock.target_seconds, clock.due_at, clock.met_at)
        )
    return found


def clock_details(session: Session, conversation_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """The clocks of a conversation's JSON."""
    views = clock_views(session, conversation_ids)
    return {k: [vars(v) for v in items] for k, items in views.items()}


labels.register_details("sla", clock_details)
