"""Quality tables: survey answers (collected by the hub or imported from another survey tool)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
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
