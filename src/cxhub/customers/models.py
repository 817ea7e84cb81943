"""Customer tables: a customer and the identifiers the brand knows them by."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
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
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerIdentity(Base):
    """One normalised identifier: an e-mail, a phone, a social handle, a seller's customer ref, a visitor."""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("brand_id", "kind", "value", name="uq_customer_identities_brand_kind_value"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # email | phone | social | seller_ref | visitor
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
