"""Conversation tables: the thread, its interactions, notes and attachments, and who handled it.

Statuses: new -> open -> pending_customer -> resolved -> closed; a new inbound reopens any but closed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxhub.db import Base, UTCDateTime
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_brand_thread", "brand_id", "channel", "thread_ref"),
        Index("ix_conversations_agent_status", "agent_id", "status"),
        Index("ix_conversations_brand_first_inbound", "brand_id", "first_inbound_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="new")
    priority: Mapped[int] = mapped_column(Integer, default=3)
    language: Mapped[str | None] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(500))
    thread_ref: Mapped[str | None] = mapped_column(String(500))
    needs_answer: Mapped[bool] = mapped_column(default=True)
    needs_public_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    touchpoint_id: Mapped[str | None] = mapped_column(String(26), index=True)  # set once classified
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))
    queue_id: Mapped[str | None] = mapped_column(String(26))  # the routing queue it waits or waited in
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # when the current agent took it
    routing_status: Mapped[str | None] = mapped_column(String(10), index=True)  # see ROUTING_STATUSES
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    first_inbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # a contact counts from here
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_outbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


ROUTING_STATUSES = (
    "pending",  # new work: to be classified and queued by routing
    "queued",  # waiting in a queue for an agent
    "assigned",  # an agent has it
    "unrouted",  # no queue matches: a team lead assigns it by hand
)


class ConversationHandler(Base):
    """Every organisation a conversation was ever queued for or assigned to (partner read access)."""

    __tablename__ = "conversation_handlers"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True, index=True)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


KINDS = ("message", "call", "voicemail", "review", "post", "order", "return", "event")
SYSTEM = "system"  # written by the hub itself (a survey's link in a chat): never an agent's reply, never intake


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("brand_id", "channel", "external_id", name="uq_interactions_brand_channel_external_id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="message")  # see KINDS, and SYSTEM
    direction: Mapped[str] = mapped_column(String(10))
    external_id: Mapped[str] = mapped_column(String(500))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    body_digest: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    subject: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    seller: Mapped[str | None] = mapped_column(String(200))
    order_ref: Mapped[str | None] = mapped_column(String(200))
    rating: Mapped[int | None] = mapped_column(Integer)
    voice: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    handled_by_agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))
    author_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    handle_seconds: Mapped[float | None] = mapped_column(Float)  # agent working time, or talk + hold + wrap
    platform: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(2000))
    public: Mapped[bool | None] = mapped_column(Boolean)
    delivery_status: Mapped[str | None] = mapped_column(String(20))  # outbound: queued | sent | failed | recorded
    delivery_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeadLetter(Base):
    """An inbound payload that could not be parsed: kept with its raw bytes and the reason, never dropped."""

    __tablename__ = "inbound_dead_letters"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(60), index=True)
    content_type: Mapped[str | None] = mapped_column(String(200))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    replayed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    replay_result: Mapped[str | None] = mapped_column(Text)


class ConversationEvent(Base):
    """A change of status (or another tracked field) with its time: resolutions and reopenings feed FCR."""

    __tablename__ = "conversation_events"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # status
    before: Mapped[str | None] = mapped_column(String(40))
    after: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ConversationNote(Base):
    """An internal note: seen by staff in scope, never sent to the customer."""

    __tablename__ = "conversation_notes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attachment(Base):
    """A file that came with an interaction or an agent's reply; the bytes live in the file storage."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    interaction_id: Mapped[str | None] = mapped_column(ForeignKey("interactions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class NoteMention(Base):
    """A colleague named in an internal note (`@their.email@example.com`): it reaches their inbox."""

    __tablename__ = "note_mentions"

    note_id: Mapped[str] = mapped_column(ForeignKey("conversation_notes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CannedResponse(Base):
    """A reply agents start from; `{customer_name}` and `{agent_name}` are filled in when it is used."""

    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("brand_id", "title", name="uq_canned_responses_brand_title"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
