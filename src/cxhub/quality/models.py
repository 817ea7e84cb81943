"""Quality tables: survey answers (collected by the hub or imported), survey policies and invitations, and the
feedback customers leave for the person who served them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxhub.db import Base, UTCDateTime
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow


class SurveyAnswer(Base):
    """One answer to one question, tied to the conversation it rates (and through it to agent and provider)."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint(
            "conversation_id", "question", "source_ref", name="uq_survey_answers_conversation_question_ref"
        ),
        Index("ix_survey_answers_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(10))  # see scales.SCALES
    score: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(20), default="hub")  # hub | import
    source_ref: Mapped[str] = mapped_column(String(200), default="")  # a re-import of the same answer is a no-op
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyPolicy(Base):
    """How a brand surveys the customers of one channel; a channel without a row has the defaults."""

    __tablename__ = "survey_policies"

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    delay_seconds: Mapped[int] = mapped_column(Integer)  # after the resolution
    sampling_rate: Mapped[float] = mapped_column(Float)
    questions: Mapped[list[str]] = mapped_column(JSON)
    link_valid_days: Mapped[int] = mapped_column(Integer)
    once_per_customer_days: Mapped[int] = mapped_column(Integer)  # at most one survey per customer in this time
    default_language: Mapped[str] = mapped_column(String(8))  # for customers in none of the survey's languages
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyInvitation(Base):
    """The decision taken once per resolved conversation: a survey sent (and perhaps answered), or why not.

    `outcome`: invited | answered | skipped (with `skip_reason`). A skipped conversation is never looked at
    again, so the sampling draw, the opt-out and the once-per-customer rule are each applied exactly once.
    """

    __tablename__ = "survey_invitations"
    __table_args__ = (Index("ix_survey_invitations_customer_created", "customer_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(10))
    skip_reason: Mapped[str | None] = mapped_column(String(20))  # not_sampled | opted_out | recently_asked | no_address
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))  # who served the customer
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    email: Mapped[str | None] = mapped_column(String(320))  # where an e-mail invitation went
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivery_status: Mapped[str | None] = mapped_column(String(20))  # queued | retrying | sent | failed
    delivery_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    interaction_id: Mapped[str | None] = mapped_column(ForeignKey("interactions.id"))  # the chat's system message
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoachingFeedback(Base):
    """Advice, feedback or encouragement a customer left for the person who served them, and what came of it."""

    __tablename__ = "coaching_feedback"
    __table_args__ = (Index("ix_coaching_feedback_agent_created", "agent_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[str] = mapped_column(ForeignKey("survey_invitations.id", ondelete="CASCADE"), unique=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # advice | feedback | encouragement
    text: Mapped[str] = mapped_column(Text)  # the customer's own words
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    action_note: Mapped[str | None] = mapped_column(Text)  # what was done with it
    action_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
