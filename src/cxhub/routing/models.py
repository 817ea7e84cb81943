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
