"""Routing tables: queues and their teams, agents' presence, the items waiting and every assignment made."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxhub.db import Base, UTCDateTime
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow

PRESENCES = ("available", "busy", "away", "offline")


class Queue(Base):
    """Where conversations of a touchpoint and channel wait; None in either matches any."""

    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("brand_id", "name", name="uq_queues_brand_name"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    touchpoint_id: Mapped[str | None] = mapped_column(ForeignKey("touchpoints.id"))
    channel: Mapped[str | None] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10), default="push")  # push | pull
    priority: Mapped[int] = mapped_column(Integer, default=3)
    language_required: Mapped[bool] = mapped_column(Boolean, default=True)
    drop_language_after_seconds: Mapped[int | None] = mapped_column(Integer)
    required_skills: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    drop_local_after_seconds: Mapped[int | None] = mapped_column(Integer, default=300)
    owner_wait_seconds: Mapped[int] = mapped_column(Integer, default=0)
    sticky_seconds: Mapped[int] = mapped_column(Integer, default=86_400)
    overflow_after_seconds: Mapped[list[int]] = mapped_column(JSON, default=list)
    overflow_when_unavailable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueTeam(Base):
    """A team eligible for a queue: its stage (0 preferred, then overflow) and its share of the volume."""

    __tablename__ = "queue_teams"

    queue_id: Mapped[str] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), primary_key=True, index=True)
    stage: Mapped[int] = mapped_column(Integer, default=0)
    share: Mapped[float] = mapped_column(Float, default=1.0)


class AgentPresence(Base):
    """An agent's presence now; the row is also what assignments to the agent lock."""

    __tablename__ = "agent_presence"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    presence: Mapped[str] = mapped_column(String(10), default="offline")  # see PRESENCES
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    free_since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)  # idle longest goes first


class PresenceInterval(Base):
    """One stretch of one presence, kept for occupancy."""

    __tablename__ = "presence_intervals"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    presence: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WaitingItem(Base):
    """A conversation queued and not yet taken by an agent."""

    __tablename__ = "routing_waiting"
    __table_args__ = (Index("ix_routing_waiting_order", "brand_id", "priority", "waiting_since"),)

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    queue_id: Mapped[str] = mapped_column(ForeignKey("queues.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer)
    waiting_since: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    customer_id: Mapped[str] = mapped_column(String(26))
    language: Mapped[str | None] = mapped_column(String(16))
    customer_country: Mapped[str | None] = mapped_column(String(2))
    wants_local: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_agent_id: Mapped[str | None] = mapped_column(String(26))
    owner_team_id: Mapped[str | None] = mapped_column(String(26))


class Assignment(Base):
    """Who took a conversation, how and when; ended when it is transferred or released."""

    __tablename__ = "conversation_assignments"
    __table_args__ = (Index("ix_conversation_assignments_queue_at", "queue_id", "assigned_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str] = mapped_column(String(26), index=True)
    queue_id: Mapped[str | None] = mapped_column(String(26))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"))
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    rule: Mapped[str] = mapped_column(String(20))  # the engine's rule, or pull, transfer, manual
    by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SlaPolicy(Base):
    """Targets for first response and resolution, for a touchpoint, channel and priority (None: any)."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("brand_id", "name", name="uq_sla_policies_brand_name"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    touchpoint_id: Mapped[str | None] = mapped_column(ForeignKey("touchpoints.id", ondelete="CASCADE"))
    channel: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[int | None] = mapped_column(Integer)
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)
    resolution_seconds: Mapped[int | None] = mapped_column(Integer)
    business_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    opening_hours: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON, default=dict)
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)
    warn_fraction: Mapped[float] = mapped_column(Float, default=0.75)
    escalate_priority: Mapped[int | None] = mapped_column(Integer)  # a breach raises the conversation to it
    notify_emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


CLOCKS = ("first_response", "resolution")


class SlaClock(Base):
    """A conversation's clock against one target, as last evaluated; `next_check_at` says when to look again."""

    __tablename__ = "sla_clocks"
    __table_args__ = (Index("ix_sla_clocks_open_check", "final", "next_check_at"),)

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    clock: Mapped[str] = mapped_column(String(20), primary_key=True)  # see CLOCKS
    policy_id: Mapped[str] = mapped_column(ForeignKey("sla_policies.id", ondelete="CASCADE"), index=True)
    target_seconds: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="running")  # running | paused | at_risk | met | breached
    final: Mapped[bool] = mapped_column(Boolean, default=False)  # met, or breached and then met: never changes again
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    warning_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    met_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    elapsed_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    warned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # when the warning went out
    breach_noticed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # when the breach went out
    evaluated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
