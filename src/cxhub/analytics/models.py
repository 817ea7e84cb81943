"""Analytics tables: daily rollups of sufficient statistics, their refresh state, service-level thresholds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cxhub.analytics.definitions import FLOAT_FIELDS, STAT_FIELDS
from cxhub.db import Base, UTCDateTime
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow

DIMENSIONS = (
    "touchpoint_id",
    "channel",
    "organisation_id",
    "site_id",
    "team_id",
    "agent_id",
    "seller",
    "customer_group_id",
)


class MetricRollup(Base):
    """The counts and sums of one brand-local day for one combination of the dimensions (None: not set)."""

    __tablename__ = "metric_rollups"
    __table_args__ = (Index("ix_metric_rollups_brand_day", "brand_id", "day"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    touchpoint_id: Mapped[str | None] = mapped_column(String(26))
    channel: Mapped[str | None] = mapped_column(String(20))
    organisation_id: Mapped[str | None] = mapped_column(String(26))
    site_id: Mapped[str | None] = mapped_column(String(26))
    team_id: Mapped[str | None] = mapped_column(String(26))
    agent_id: Mapped[str | None] = mapped_column(String(26))
    seller: Mapped[str | None] = mapped_column(String(200))
    customer_group_id: Mapped[str | None] = mapped_column(String(26))  # the group that owns the customer, as rebuilt


for _name in STAT_FIELDS:
    _type = Float if _name in FLOAT_FIELDS else Integer
    setattr(MetricRollup, _name, mapped_column(_name, _type, nullable=False, default=0))


class RollupRefresh(Base):
    """How far a brand's rollups have caught up: changes after `through` are not in them yet."""

    __tablename__ = "metric_rollup_refresh"

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True)
    through: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    refreshed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceLevelThreshold(Base):
    """A channel's answer threshold for service level; business hours count only the calendar's open time."""

    __tablename__ = "service_level_thresholds"

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    seconds: Mapped[float] = mapped_column(Float)
    business_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    time_zone: Mapped[str | None] = mapped_column(String(64))  # None: the brand's
    opening_hours: Mapped[dict[str, list[list[str]]] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class GapMargin(Base):
    """The difference between a partner and in-house that matters for a metric, in the metric's own unit."""

    __tablename__ = "consistency_gap_margins"

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    margin: Mapped[float] = mapped_column(Float)


class GapAlert(Base):
    """A partner worse than in-house beyond the margin on a metric: open until the gap closes again."""

    __tablename__ = "consistency_gap_alerts"
    __table_args__ = (Index("ix_consistency_gap_alerts_open", "brand_id", "organisation_id", "metric", "closed_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(40))
    difference: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(String(300))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
