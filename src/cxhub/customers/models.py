"""Customer tables: a customer and the identifiers the brand knows them by."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxhub.db import Base, UTCDateTime
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str | None] = mapped_column(String(16))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # merged into another customer (the survivor); the row stays so that an un-merge can restore it
    merged_into_id: Mapped[str | None] = mapped_column(String(26), index=True)
    # personal data removed; the row and its anonymised facts stay for metrics
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CustomerIdentity(Base):
    """One normalised identifier: an e-mail, a phone, a social handle, a seller's customer ref, a visitor."""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("brand_id", "kind", "value", name="uq_customer_identities_brand_kind_value"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # email | phone | social | seller_ref | visitor | address
    value: Mapped[str] = mapped_column(String(400))
    source: Mapped[str] = mapped_column(String(40))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    undeliverable_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # e-mail bounced
    undeliverable_reason: Mapped[str | None] = mapped_column(String(500))


class CustomerGroup(Base):
    """Customers served by a named owner or account team: by rule (country, seller, lifetime orders) or a list.

    The first group (by position) a customer belongs to decides their owner.
    """

    __tablename__ = "customer_groups"
    __table_args__ = (UniqueConstraint("brand_id", "name", name="uq_customer_groups_brand_name"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    sellers: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_lifetime_orders: Mapped[int | None] = mapped_column(Integer)
    owner_agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))
    owner_team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerGroupMember(Base):
    """A customer listed in a group by name (a list group, or an exception to a rule group)."""

    __tablename__ = "customer_group_members"

    group_id: Mapped[str] = mapped_column(ForeignKey("customer_groups.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CustomerMerge(Base):
    """One merge of `merged_id` into `survivor_id`, with exactly what moved, so that it can be undone.

    `moved` maps a table to the ids of its rows that were re-pointed from the merged customer to the
    survivor (`{"customer_identities": [...], "conversations": [...], ...}`); `survivor_before` keeps
    the survivor's own fields as they were. An erased customer's merges can no longer be undone.
    """

    __tablename__ = "customer_merges"
    __table_args__ = (Index("ix_customer_merges_brand_at", "brand_id", "at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    survivor_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    decided_by: Mapped[str] = mapped_column(String(20))  # auto | review | manual
    match_probability: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_user_id: Mapped[str | None] = mapped_column(String(26))
    actor_email: Mapped[str | None] = mapped_column(String(320))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    moved: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    survivor_before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    undone_by_user_id: Mapped[str | None] = mapped_column(String(26))
    undo_reason: Mapped[str | None] = mapped_column(Text)


class MatchCandidate(Base):
    """A pair the resolution engine scored between the review and auto-merge thresholds, or above.

    `customer_id_l` < `customer_id_r`; `evidence` holds, per compared field, both values and the
    comparison level with its match weight. Status: pending -> accepted (merged, `merge_id`) | rejected
    (kept apart for good); stale when either customer changed (merged elsewhere, erased) before a decision.
    """

    __tablename__ = "match_candidates"
    __table_args__ = (
        UniqueConstraint("brand_id", "customer_id_l", "customer_id_r", name="uq_match_candidates_brand_pair"),
        Index("ix_match_candidates_brand_status_p", "brand_id", "status", "match_probability"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    customer_id_l: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    customer_id_r: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    source_l: Mapped[str | None] = mapped_column(String(40))
    source_r: Mapped[str | None] = mapped_column(String(40))
    match_probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model_version: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_user_id: Mapped[str | None] = mapped_column(String(26))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    merge_id: Mapped[str | None] = mapped_column(String(26))


class ResolutionModel(Base):
    """A trained linkage model (Splink's JSON: settings with m and u probabilities), by version."""

    __tablename__ = "resolution_models"
    __table_args__ = (UniqueConstraint("brand_id", "version", name="uq_resolution_models_brand_version"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    records: Mapped[int] = mapped_column(Integer)
    model: Mapped[dict[str, Any]] = mapped_column(JSON)


class MatchThreshold(Base):
    """Decision thresholds for pairs from two sources (`*` for any); the most specific row wins."""

    __tablename__ = "match_thresholds"
    __table_args__ = (UniqueConstraint("brand_id", "source_l", "source_r", name="uq_match_thresholds_brand_sources"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    source_l: Mapped[str] = mapped_column(String(40), default="*")
    source_r: Mapped[str] = mapped_column(String(40), default="*")
    auto_merge: Mapped[float] = mapped_column(Float)
    review: Mapped[float] = mapped_column(Float)


class CustomerConsent(Base):
    """A consent or opt-out as recorded, append-only: the latest row per customer and purpose holds."""

    __tablename__ = "customer_consents"
    __table_args__ = (Index("ix_customer_consents_customer_purpose_at", "customer_id", "purpose", "at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    purpose: Mapped[str] = mapped_column(String(20))  # surveys | coaching | marketing
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(40))  # where it was given: survey page, e-mail, agent, import
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[str | None] = mapped_column(String(26))


class RetentionRule(Base):
    """How long a record type is kept before the retention job removes or anonymises it."""

    __tablename__ = "retention_rules"
    __table_args__ = (UniqueConstraint("brand_id", "record_type", name="uq_retention_rules_brand_type"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    record_type: Mapped[str] = mapped_column(String(40))  # interactions | notes | attachments | inactive_customers
    days: Mapped[int] = mapped_column(Integer)
