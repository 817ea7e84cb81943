"""Journey tables: lifecycle stages, touchpoints, who serves each, and the rules that classify conversations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxhub.db import Base, UTCDateTime
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow


class LifecycleStage(Base):
    __tablename__ = "lifecycle_stages"
    __table_args__ = (UniqueConstraint("brand_id", "name", name="uq_lifecycle_stages_brand_name"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Touchpoint(Base):
    """A moment of the journey where the customer meets the brand, e.g. "order status" in "get help"."""

    __tablename__ = "touchpoints"
    __table_args__ = (UniqueConstraint("brand_id", "name", name="uq_touchpoints_brand_name"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    stage_id: Mapped[str] = mapped_column(ForeignKey("lifecycle_stages.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    touch: Mapped[str] = mapped_column(String(10), default="high_touch")  # high_touch | high_tech
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)  # where a conversation no rule matches goes
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TouchpointSourcing(Base):
    """Which organisation serves a touchpoint, from which location band, and its share of the volume."""

    __tablename__ = "touchpoint_sourcing"

    touchpoint_id: Mapped[str] = mapped_column(ForeignKey("touchpoints.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    location_band: Mapped[str] = mapped_column(String(20))  # onshore | nearshore | offshore
    share: Mapped[float] = mapped_column(Float)


class ClassificationRule(Base):
    """One ordered rule: every condition it sets must hold; the first rule that matches decides."""

    __tablename__ = "classification_rules"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    touchpoint_id: Mapped[str] = mapped_column(ForeignKey("touchpoints.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str | None] = mapped_column(String(20))
    pattern: Mapped[str | None] = mapped_column(String(500))  # a regular expression on subject and text
    kind: Mapped[str | None] = mapped_column(String(20))  # the interaction's kind: order, return, review ...
    field: Mapped[str | None] = mapped_column(String(100))  # a form field in the interaction's metadata
    field_value: Mapped[str | None] = mapped_column(String(200))  # None: the field is present at all
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
