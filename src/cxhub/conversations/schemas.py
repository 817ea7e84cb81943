"""Pydantic shapes for interactions coming in and conversations going out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cxhub.auth.schemas import StrictModel
from cxhub.customers.schemas import CustomerRead
from cxhub.kit.time import AwareTimestamp

InteractionChannel = Literal[
    "email", "chat", "voice", "voicemail", "sms", "social", "review", "commerce", "web_form", "api"
]
Direction = Literal["inbound", "outbound"]
InteractionKind = Literal["message", "call", "voicemail", "review", "post", "order", "return", "event"]


class CustomerIn(StrictModel):
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=40)
    platform: str | None = Field(None, max_length=40)
    handle: str | None = Field(None, max_length=200)
    seller: str | None = Field(None, max_length=200)
    customer_ref: str | None = Field(None, max_length=200)
    visitor_id: str | None = Field(None, max_length=200)
    name: str | None = Field(None, max_length=200)
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    language: str | None = Field(None, max_length=16)
    address: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _one_identifier(self) -> CustomerIn:
        pairs_ok = (self.platform and self.handle) or (self.seller and self.customer_ref)
        if not (self.email or self.phone or self.visitor_id or pairs_ok):
            raise ValueError("needs one of email, phone, platform+handle, seller+customer_ref, visitor_id")
        return self


class VoiceIn(StrictModel):
    queue_seconds: float = Field(0, ge=0, le=86_400)
    talk_seconds: float = Field(0, ge=0, le=86_400)
    hold_seconds: float = Field(0, ge=0, le=86_400)
    wrap_seconds: float = Field(0, ge=0, le=86_400)
    abandoned: bool = False


class InteractionCreate(StrictModel):
    channel: InteractionChannel
    external_id: str = Field(min_length=1, max_length=500)
    occurred_at: AwareTimestamp
    direction: Direction
    customer: CustomerIn
    brand: str | None = Field(None, max_length=200, description="Brand id or name; default: the only brand.")
    thread_ref: str | None = Field(None, max_length=500)
    subject: str | None = Field(None, max_length=500)
    text: str | None = Field(None, max_length=200_000)
    html: str | None = Field(None, max_length=500_000)
    seller: str | None = Field(None, max_length=200)
    order_ref: str | None = Field(None, max_length=200)
    rating: int | None = Field(None, ge=1, le=5)
    voice: VoiceIn | None = None
    handled_by: str | None = Field(None, max_length=320, description="Agent e-mail, for imported history.")
    kind: InteractionKind | None = Field(
        None, description="Default: from the channel (voice: call, review: review ...)."
    )
    url: str | None = Field(None, max_length=2000, description="Where the post, review or recording lives.")
    public: bool | None = Field(None, description="A public post or review: flagged as needing a public answer.")
    handle_seconds: float | None = Field(
        None, ge=0, le=86_400, description="Agent working time; for voice, default talk + hold + wrap."
    )
    needs_answer: bool | None = Field(
        None, description="Default: yes, except commerce events (orders and returns sit on the timeline)."
    )
    metadata: dict[str, Any] = Field(default_factory=dict)


class InteractionResult(BaseModel):
    interaction_id: str
    conversation_id: str
    customer_id: str
    duplicate: bool


class BatchItemError(BaseModel):
    error: dict[str, Any]


class BatchResult(BaseModel):
    items: list[InteractionResult | BatchItemError]


class Ref(BaseModel):
    id: str
    name: str


class AssignmentRead(BaseModel):
    queue: Ref | None
    organisation: Ref | None = Field(description="Set as soon as the conversation is queued at a team.")
    team: Ref | None
    agent: Ref | None = Field(description="Set when an agent takes it.")
    since: dt.datetime | None = Field(description="When the agent took it.")


class SlaClockRead(BaseModel):
    clock: str = Field(description="first_response or resolution")
    policy_id: str
    status: str = Field(description="running, paused, at_risk, met or breached")
    target_seconds: int
    due_at: dt.datetime | None = Field(
        description="When the target is reached if nothing pauses it; null while paused."
    )
    met_at: dt.datetime | None


class ConversationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    brand_id: str
    customer_id: str
    channel: str
    status: str
    priority: int
    language: str | None
    subject: str | None
    needs_answer: bool
    tags: list[str]
    touchpoint_id: str | None
    needs_public_answer: bool
    organisation_id: str | None
    team_id: str | None
    agent_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    first_inbound_at: dt.datetime | None
    last_inbound_at: dt.datetime | None
    first_response_at: dt.datetime | None
    last_outbound_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    queue_id: str | None
    routing_status: str | None = Field(description="pending, queued, assigned, unrouted, or null (not routed).")
    touchpoint: Ref | None
    assignment: AssignmentRead
    sla: list[SlaClockRead] = Field(description="Its clocks against the SLA policy that applies (none: no policy).")


class AssignmentUpdate(StrictModel):
    organisation_id: str = Field(min_length=1, max_length=26)
    team_id: str | None = Field(None, min_length=1, max_length=26)
    agent_id: str | None = Field(None, min_length=1, max_length=26)


class DeadLetterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    source: str
    content_type: str | None
    reason: str
    received_at: dt.datetime
    size: int = Field(description="Bytes kept.")


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    interaction_id: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime


class InteractionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    channel: str
    kind: str
    direction: str
    external_id: str
    occurred_at: dt.datetime
    subject: str | None
    text: str | None
    visible_text: str | None = Field(description="The text without quoted history and signature, for display.")
    html: str | None
    seller: str | None
    order_ref: str | None
    rating: int | None
    voice: dict[str, Any] | None
    handle_seconds: float | None
    platform: str | None
    url: str | None
    public: bool | None
    handled_by_agent_id: str | None
    author_user_id: str | None
    delivery_status: str | None
    delivery_error: str | None
    delivered_at: dt.datetime | None
    metadata: dict[str, Any]
    attachments: list[AttachmentRead]


class NoteCreate(StrictModel):
    text: str = Field(min_length=1, max_length=20_000)


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    author_user_id: str
    text: str
    created_at: dt.datetime


class CannedResponseCreate(StrictModel):
    brand_id: str | None = Field(None, max_length=26, description="Default: the only brand.")
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=20_000, description="May use {customer_name} and {agent_name}.")
    language: str | None = Field(None, max_length=16)


class CannedResponseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    brand_id: str
    title: str
    text: str
    language: str | None


ConversationStatus = Literal["new", "open", "pending_customer", "resolved", "closed"]


class ConversationUpdate(StrictModel):
    status: ConversationStatus | None = None
    priority: int | None = Field(None, ge=1, le=5, description="1 is the most urgent.")
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(None, max_length=30)
    language: str | None = Field(None, max_length=16)


class ConversationDetail(ConversationRead):
    customer: CustomerRead
    interactions: list[InteractionRead] = Field(description="The latest 50, newest first.")
    interactions_next_cursor: str | None = Field(description="Older ones: /conversations/{id}/interactions?cursor=")
    notes: list[NoteRead]


class ConversationHit(BaseModel):
    """A conversation that matches a search, with the matching words in `<mark>` inside an escaped snippet."""

    kind: Literal["conversation"] = "conversation"
    id: str
    subject: str | None
    channel: str
    status: str
    customer_id: str
    snippet: str | None = Field(description="HTML-escaped text around the match, the matched words in <mark>.")
    updated_at: dt.datetime


class IdentifierHit(BaseModel):
    kind: str
    value: str | None  # as the viewer's data policy allows


class CustomerHit(BaseModel):
    """A customer whose name or identifier matches, each shown as the viewer's data policy allows."""

    kind: Literal["customer"] = "customer"
    id: str
    name: str | None
    identifier: IdentifierHit | None = Field(description="The identifier that matched; null when the name did.")
