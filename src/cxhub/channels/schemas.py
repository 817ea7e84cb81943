"""Pydantic shapes for webhook sources, webhook answers, replies and dead-letter replays."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cxhub.auth.schemas import StrictModel
from cxhub.conversations.schemas import BatchItemError, InteractionResult

AdapterName = Literal["api", "voice", "social", "review", "commerce"]


class ChannelSourceCreate(StrictModel):
    name: str = Field(min_length=2, max_length=60, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    adapter: AdapterName
    brand: str | None = Field(None, max_length=200, description="Brand id or name; default: the only brand.")


class ChannelSourceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    brand_id: str
    name: str
    adapter: str
    created_at: dt.datetime
    disabled_at: dt.datetime | None


class ChannelSourceCreated(ChannelSourceRead):
    secret: str = Field(description="The signing secret, shown once.")


class WebhookResult(BaseModel):
    items: list[InteractionResult | BatchItemError]


class ReplyCreate(StrictModel):
    text: str = Field(min_length=1, max_length=50_000)
    html: str | None = Field(None, max_length=150_000)  # a violating body stays under the 1 MiB limit
    status: Literal["open", "pending_customer", "resolved"] | None = Field(
        None, description="The conversation's status after the reply; default: unchanged (new becomes open)."
    )
    public_url: str | None = Field(
        None, max_length=2000, description="Social posts and reviews: where the public answer was posted."
    )
    handle_seconds: float | None = Field(None, ge=0, le=86_400, description="Time the agent worked on this reply.")
    attachment_ids: list[str] = Field(default_factory=list, max_length=20)


class ReplayResult(BaseModel):
    dead_letter_id: str
    replayed_at: dt.datetime
    result: str
