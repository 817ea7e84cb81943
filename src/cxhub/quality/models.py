"""Quality tables: survey answers, policies and invitations, customers' coaching feedback; QA scorecards
and their versions, evaluations with their history and disputes, evaluation samples and queues, calibration.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
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
SCALES = ("yes_no", "points")
EVALUATION_STATUSES = ("draft", "submitted", "disputed", "upheld", "revised")
COUNTED_STATUSES = ("submitted", "disputed", "upheld", "revised")  # a draft counts nowhere
CHANGES = ("submitted", "disputed", "upheld", "revised")


class Scorecard(Base):
    """One version of a scorecard; editing a version that has evaluations makes the next version of its lineage."""

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("lineage_id", "version", name="uq_scorecards_lineage_version"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    lineage_id: Mapped[str] = mapped_column(String(26), index=True)  # the id of the first version
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # offered for new evaluations
    created_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # None: the current version


class ScorecardSection(Base):
    __tablename__ = "scorecard_sections"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    scorecard_id: Mapped[str] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))


class ScorecardCriterion(Base):
    """What an evaluator judges; a yes/no criterion has max_points 1."""

    __tablename__ = "scorecard_criteria"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    scorecard_id: Mapped[str] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[str] = mapped_column(ForeignKey("scorecard_sections.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
    guidance: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(Float)
    scale: Mapped[str] = mapped_column(String(10))  # see SCALES
    max_points: Mapped[int] = mapped_column(Integer, default=1)
    pass_points: Mapped[int] = mapped_column(Integer, default=1)  # below it the criterion fails
    error_class: Mapped[str | None] = mapped_column(String(12))  # customer | business | compliance
    auto_fail: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)


class CalibrationSession(Base):
    """Several evaluators score the same conversations blind; their scores are then compared."""

    __tablename__ = "calibration_sessions"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    scorecard_id: Mapped[str] = mapped_column(ForeignKey("scorecards.id"))
    title: Mapped[str] = mapped_column(String(200))
    created_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalibrationConversation(Base):
    __tablename__ = "calibration_conversations"

    session_id: Mapped[str] = mapped_column(ForeignKey("calibration_sessions.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class CalibrationEvaluator(Base):
    __tablename__ = "calibration_evaluators"

    session_id: Mapped[str] = mapped_column(ForeignKey("calibration_sessions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class Evaluation(Base):
    """A conversation scored against one scorecard version, attributed to the conversation's agent and organisation.

    Errors are per COPC class: True an error, False checked and free of errors, None not checked. A
    calibration evaluation (calibration_session_id set) never counts in an agent's QA score.
    """

    __tablename__ = "evaluations"
    __table_args__ = (
        Index(
            "ix_evaluations_one_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("calibration_session_id IS NULL"),
            postgresql_where=text("calibration_session_id IS NULL"),
        ),
        UniqueConstraint(
            "calibration_session_id",
            "conversation_id",
            "evaluator_user_id",
            name="uq_evaluations_calibration_session_id",
        ),
        Index("ix_evaluations_organisation_status", "organisation_id", "status"),
        Index("ix_evaluations_agent_status", "agent_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    scorecard_id: Mapped[str] = mapped_column(ForeignKey("scorecards.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    evaluator_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    calibration_session_id: Mapped[str | None] = mapped_column(
        ForeignKey("calibration_sessions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="draft")  # see EVALUATION_STATUSES
    score: Mapped[float | None] = mapped_column(Float)  # 0-100, set on submission
    customer_error: Mapped[bool | None] = mapped_column(Boolean)
    business_error: Mapped[bool | None] = mapped_column(Boolean)
    compliance_error: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class EvaluationAnswer(Base):
    __tablename__ = "evaluation_answers"

    evaluation_id: Mapped[str] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[str] = mapped_column(ForeignKey("scorecard_criteria.id"), primary_key=True)
    points: Mapped[int | None] = mapped_column(Integer)  # None: not applicable
    note: Mapped[str] = mapped_column(Text, default="")


class EvaluationChange(Base):
    """The history of an evaluation: submitted, disputed (with the agent's reason), upheld or revised.

    `answers` and `score` are the evaluation as it stood after the change, so a revision keeps what it replaced.
    """

    __tablename__ = "evaluation_changes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    evaluation_id: Mapped[str] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # see CHANGES
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None] = mapped_column(Float)
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvaluationSample(Base):
    """A sample drawn for a QA analyst over a period; its seed draws the same sample again."""

    __tablename__ = "evaluation_samples"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    analyst_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(10))  # random | targeted
    allocation: Mapped[str | None] = mapped_column(String(12))  # equal | proportional (random samples)
    size: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(64))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    frame_size: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueuedEvaluation(Base):
    """A conversation waiting in a QA analyst's queue; done once an evaluation of it is submitted."""

    __tablename__ = "evaluation_queue"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    sample_id: Mapped[str] = mapped_column(ForeignKey("evaluation_samples.id", ondelete="CASCADE"), index=True)
    analyst_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
