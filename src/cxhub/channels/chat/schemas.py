"""Pydantic shapes the widget sends and receives, and the events of the live streams."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from cxhub.auth.schemas import StrictModel

CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class ChatSessionCreate(StrictModel):
    brand: str = Field(min_length=1, max_length=200, description="Brand id or name, from the tag's data-brand.")
    token: str | None = Field(None, max_length=1000, description="The visitor pass kept from an earlier visit.")


class ChatSessionRead(BaseModel):
    token: str = Field(description="The visitor pass to keep and send back.")
    visitor_id: str
    session_id: str
    returning: bool = Field(description="The pass was valid: the same visitor, their open conversation.")
    email: str | None = Field(description="The e-mail the visitor left for a follow-up, if any.")


class ChatMessageCreate(StrictModel):
    token: str = Field(min_length=1, max_length=1000)
    id: str = Field(pattern=CLIENT_ID_PATTERN, description="Made by the widget; a retry with the same id is a no-op.")
    text: str = Field(min_length=1, max_length=5000)


class ChatMessagePosted(BaseModel):
    interaction_id: str
    duplicate: bool


class ChatEmailCreate(StrictModel):
    token: str = Field(min_length=1, max_length=1000)
    email: str = Field(min_length=3, max_length=320)


class ChatEmailRead(BaseModel):
    email: str


class ChatEvent(BaseModel):
    """One message of a chat as the widget shows it."""

    id: str = Field(description="The interaction id; also the event id to resume after.")
    client_id: str | None = Field(description="The widget's own id of a message the visitor sent.")
    direction: Literal["inbound", "outbound", "system"] = Field(description="`system`: written by the hub itself.")
    text: str
    occurred_at: dt.datetime
    url: str | None = Field(None, description="A link the message offers (a survey's), shown as a link.")
    link_text: str | None = Field(None, description="What the link says.")


class LiveInteraction(BaseModel):
    """One interaction of a conversation as the staff live feed shows it."""

    id: str
    conversation_id: str
    channel: str
    kind: str
    direction: str
    text: str | None
    occurred_at: dt.datetime
    author_user_id: str | None
    delivery_status: str | None
