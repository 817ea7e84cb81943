"""Quality in/out: survey answers imported from another tool, survey policies, customers' coaching feedback."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from cxhub.quality.scales import SCALES


class SurveyAnswerImport(BaseModel):
    """One answer: the conversation it rates (by id, or by the channel and external id of one of its interactions)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    conversation_id: str | None = Field(None, max_length=26)
    channel: str | None = Field(None, max_length=20)
    external_id: str | None = Field(None, max_length=500)
    brand: str | None = Field(None, max_length=200, description="Brand id or name; default: the only brand.")
    question: Literal["csat", "nps", "ces", "fcr"]
    score: int
    answered_at: AwareDatetime
    id: str | None = Field(None, max_length=200, description="The survey tool's answer id: a re-import is a no-op.")

    @model_validator(mode="after")
    def _check(self) -> SurveyAnswerImport:
        if self.conversation_id is None and (self.channel is None or self.external_id is None):
            raise ValueError("give conversation_id, or channel and external_id of an interaction")
        low, high = SCALES[self.question]
        if not low <= self.score <= high:
            raise ValueError(f"a {self.question} score is {low} to {high}, not {self.score}")
        return self


Question = Literal["csat", "nps", "ces", "fcr"]
SurveyChannel = Literal["email", "chat"]
SurveyLanguage = Literal["en", "pt", "es"]
FeedbackKind = Literal["advice", "feedback", "encouragement"]


class SurveyPolicyWrite(BaseModel):
    """One channel's survey policy; a field left out takes its default."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: SurveyChannel
    enabled: bool = True
    delay_seconds: int | None = Field(
        None, ge=0, le=30 * 86400, description="Seconds after the resolution; default 3600 (e-mail), 300 (chat)."
    )
    sampling_rate: float = Field(1.0, ge=0, le=1, description="Share of resolved conversations surveyed, 0 to 1.")
    questions: list[Question] = Field(["csat", "fcr"], min_length=1, max_length=4)
    link_valid_days: int = Field(7, ge=1, le=90, description="How long a survey link stays valid.")
    once_per_customer_days: int = Field(
        30, ge=0, le=3650, description="At most one survey per customer in this many days (0: no limit)."
    )
    default_language: SurveyLanguage = Field(
        "en", description="For customers whose language is none of the survey's (en, pt, es)."
    )

    @model_validator(mode="after")
    def _distinct(self) -> SurveyPolicyWrite:
        if len(set(self.questions)) != len(self.questions):
            raise ValueError("name each question once")
        return self


class SurveyPoliciesWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policies: list[SurveyPolicyWrite] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _one_each(self) -> SurveyPoliciesWrite:
        channels = [p.channel for p in self.policies]
        if len(set(channels)) != len(channels):
            raise ValueError("name each channel once")
        return self


class SurveyPolicyRead(BaseModel):
    channel: str
    enabled: bool
    delay_seconds: int
    sampling_rate: float
    questions: list[str]
    link_valid_days: int
    once_per_customer_days: int
    default_language: str
    default: bool = Field(description="No policy was set for the channel: these are the defaults.")


class CoachingAcknowledge(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: str | None = Field(
        None, max_length=2000, description="What was done with the feedback; it counts as acted on once given."
    )


class CoachingFeedbackRead(BaseModel):
    id: str
    conversation_id: str
    agent_id: str
    agent_name: str
    organisation_id: str
    kind: str
    text: str = Field(description="The customer's own words ('' once the customer's data was erased).")
    customer_name: str | None = Field(description="As the reader's data policy shows it (masked, hidden or full).")
    scores: dict[str, int] = Field(description="The customer's answers in the same survey, by question.")
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    action_note: str | None
    action_at: dt.datetime | None
