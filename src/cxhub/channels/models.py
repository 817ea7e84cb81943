"""Channel tables: the sources allowed to call the webhooks, and the signatures already seen."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxhub.db import Base, UTCDateTime
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow


class ChannelSource(Base):
    """A system that posts to `/api/v1/webhooks/{name}`: a phone platform, a review site, a retailer feed."""

    __tablename__ = "channel_sources"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    adapter: Mapped[str] = mapped_column(String(20))  # the ChannelAdapter that reads its payloads
    secret: Mapped[str] = mapped_column(String(128))  # HMAC-SHA256 key shared with the source
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WebhookReceipt(Base):
    """A signature accepted within the replay window; the same signature again is a replay."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("source_id", "signature", name="uq_webhook_receipts_source_signature"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    source_id: Mapped[str] = mapped_column(ForeignKey("channel_sources.id", ondelete="CASCADE"))
    signature: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
