"""Quality in/out: survey answers, policies, coaching feedback; QA scorecards, evaluations, samples, calibration."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from cxhub.auth.schemas import StrictModel
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
# --- QA scorecards ------------------------------------------------------------------------------------

ErrorClass = Literal["customer", "business", "compliance"]
Id = Field(min_length=1, max_length=26)
MAX_POINTS = 10


class CriterionIn(StrictModel):
    label: str = Field(min_length=1, max_length=300)
    guidance: str = Field("", max_length=2000, description="What the evaluator looks for.")
    weight: float = Field(gt=0, le=1000, description="Relative weight in the score; above 0.")
    scale: Literal["yes_no", "points"] = "yes_no"
    max_points: int | None = Field(None, ge=2, le=MAX_POINTS, description="Points scale only: 0 to this.")
    pass_points: int | None = Field(
        None, ge=1, le=MAX_POINTS, description="Points scale only: the least that passes (default: max_points)."
    )
    error_class: ErrorClass | None = Field(None, description="COPC class of the error a failure is; null: none.")
    auto_fail: bool = Field(False, description="A failure scores the whole evaluation 0.")
    allow_not_applicable: bool = False

    @model_validator(mode="after")
    def _scale(self) -> CriterionIn:
        if self.scale == "yes_no":
            if self.max_points is not None or self.pass_points is not None:
                raise ValueError("a yes/no criterion has no max_points or pass_points")
        elif self.max_points is None:
            raise ValueError("a points criterion needs max_points (2 to 10)")
        elif self.pass_points is not None and self.pass_points > self.max_points:
            raise ValueError("pass_points cannot be above max_points")
        return self


class SectionIn(StrictModel):
    title: str = Field(min_length=1, max_length=200)
    criteria: list[CriterionIn] = Field(min_length=1, max_length=60)


class ScorecardUpdate(StrictModel):
    """The whole scorecard again: it replaces the current version, or makes a new one if that has evaluations."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    active: bool = Field(True, description="Offered for new evaluations.")
    sections: list[SectionIn] = Field(min_length=1, max_length=20)

    @field_validator("sections")
    @classmethod
    def _labels(cls, sections: list[SectionIn]) -> list[SectionIn]:
        labels = [c.label.casefold() for s in sections for c in s.criteria]
        if len(labels) != len(set(labels)):
            raise ValueError("each criterion has a label of its own")
        if len(labels) > 100:
            raise ValueError("at most 100 criteria")
        return sections


class ScorecardCreate(ScorecardUpdate):
    brand_id: str | None = Field(None, max_length=26, description="Default: the only brand.")


class CriterionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    label: str
    guidance: str
    weight: float
    scale: str
    max_points: int
    pass_points: int
    error_class: str | None
    auto_fail: bool
    allow_not_applicable: bool


class SectionRead(BaseModel):
    id: str
    title: str
    criteria: list[CriterionRead]


class ScorecardRead(BaseModel):
    id: str
    brand_id: str
    lineage_id: str
    version: int
    current: bool = Field(description="The lineage's current version (older versions keep their evaluations).")
    name: str
    description: str
    active: bool
    created_at: dt.datetime
    sections: list[SectionRead]


# --- evaluations --------------------------------------------------------------------------------------


class AnswerIn(StrictModel):
    criterion_id: str = Id
    points: int | None = Field(None, ge=0, le=MAX_POINTS, description="yes/no: 1 yes, 0 no; points: 0 to max.")
    not_applicable: bool = False
    note: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _one(self) -> AnswerIn:
        if self.not_applicable == (self.points is not None):
            raise ValueError("give points, or not_applicable: true")
        return self


def distinct_answers(answers: list[AnswerIn]) -> list[AnswerIn]:
    if len({a.criterion_id for a in answers}) != len(answers):
        raise ValueError("each criterion is answered once")
    return answers


class EvaluationSave(StrictModel):
    """The evaluator's answers so far (they replace the earlier ones); `submit` ends the draft."""

    scorecard_id: str | None = Field(None, max_length=26, description="Default: the brand's active scorecard.")
    calibration_session_id: str | None = Field(None, max_length=26, description="Score it for a calibration session.")
    answers: list[AnswerIn] = Field(default_factory=list, max_length=100)
    comment: str = Field("", max_length=4000)
    submit: bool = Field(False, description="Submit: every criterion must be answered.")

    @field_validator("answers")
    @classmethod
    def _distinct(cls, answers: list[AnswerIn]) -> list[AnswerIn]:
        return distinct_answers(answers)


class DisputeCreate(StrictModel):
    reason: str = Field(min_length=1, max_length=4000)


class DisputeSettlement(StrictModel):
    outcome: Literal["upheld", "revised"]
    reason: str = Field(min_length=1, max_length=4000, description="Why, for the agent and the record.")
    answers: list[AnswerIn] | None = Field(None, max_length=100, description="Revised: every criterion again.")
    comment: str | None = Field(None, max_length=4000)

    @model_validator(mode="after")
    def _answers(self) -> DisputeSettlement:
        if self.outcome == "revised" and not self.answers:
            raise ValueError("a revision gives the answers")
        if self.outcome == "upheld" and self.answers is not None:
            raise ValueError("upholding keeps the answers: give none")
        if self.answers is not None:
            distinct_answers(self.answers)
        return self


class AnswerRead(BaseModel):
    criterion_id: str
    points: int | None
    not_applicable: bool
    note: str


class ChangeRead(BaseModel):
    kind: str
    user_id: str | None
    user_name: str | None
    reason: str
    score: float | None
    at: dt.datetime


class EvaluationRead(BaseModel):
    id: str
    brand_id: str
    conversation_id: str
    scorecard_id: str
    scorecard_version: int
    agent_id: str | None
    organisation_id: str | None
    evaluator_user_id: str
    evaluator_name: str | None
    calibration_session_id: str | None
    status: str
    score: float | None
    customer_error: bool | None
    business_error: bool | None
    compliance_error: bool | None
    comment: str
    answers: list[AnswerRead]
    history: list[ChangeRead]
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    updated_at: dt.datetime


# --- samples and queues -------------------------------------------------------------------------------


class SampleFilters(StrictModel):
    agent_id: str | None = Field(None, max_length=26)
    organisation_id: str | None = Field(None, max_length=26)
    touchpoint_id: str | None = Field(None, max_length=26)
    channel: str | None = Field(None, max_length=20)
    csat_at_most: int | None = Field(None, ge=1, le=5, description="A CSAT answer this low or lower.")
    handle_seconds_at_least: float | None = Field(None, gt=0, le=86_400 * 30)
    reopened: bool = Field(False, description="Reopened conversations only.")


class SampleCreate(StrictModel):
    first_day: dt.date = Field(description="Conversations whose first inbound message fell on this day or later.")
    last_day: dt.date = Field(description="... and on this day or earlier (the brand's time zone).")
    method: Literal["random", "targeted"] = "random"
    allocation: Literal["equal", "proportional"] = Field(
        "proportional", description="Random: how the size is shared between organisation x touchpoint strata."
    )
    size: int = Field(ge=1, le=500)
    seed: str | None = Field(None, min_length=1, max_length=64, description="The same seed draws the same sample.")
    analyst_user_id: str | None = Field(None, max_length=26, description="Whose queue; default: one's own.")
    filters: SampleFilters | None = Field(None, description="Targeted samples: at least one filter.")
    brand_id: str | None = Field(None, max_length=26)

    @model_validator(mode="after")
    def _check(self) -> SampleCreate:
        if self.last_day < self.first_day:
            raise ValueError("last_day is before first_day")
        if (self.last_day - self.first_day).days > 366:
            raise ValueError("a sample covers at most 367 days")
        if self.method == "targeted" and (self.filters is None or not self.filters.model_dump(exclude_defaults=True)):
            raise ValueError("a targeted sample needs at least one filter")
        if self.method == "random" and self.filters is not None:
            raise ValueError("filters are for targeted samples")
        return self


class SampleRead(BaseModel):
    id: str
    analyst_user_id: str
    first_day: dt.date
    last_day: dt.date
    method: str
    allocation: str | None
    size: int
    seed: str
    filters: dict[str, object]
    frame_size: int = Field(description="Conversations the sample was drawn from.")
    conversation_ids: list[str] = Field(description="Those added to the analyst's queue.")
    created_at: dt.datetime


class QueueItemRead(BaseModel):
    conversation_id: str
    sample_id: str
    queued_at: dt.datetime
    evaluation_id: str | None
    evaluation_status: str | None


# --- calibration sessions -----------------------------------------------------------------------------


class CalibrationSessionCreate(StrictModel):
    title: str = Field(min_length=1, max_length=200)
    scorecard_id: str | None = Field(None, max_length=26, description="Default: the brand's active scorecard.")
    conversation_ids: list[str] = Field(min_length=1, max_length=50)
    evaluator_user_ids: list[str] = Field(min_length=2, max_length=20)

    @field_validator("conversation_ids", "evaluator_user_ids")
    @classmethod
    def _distinct(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("each is named once")
        return ids


class SessionEvaluatorRead(BaseModel):
    user_id: str
    name: str
    submitted: int = Field(description="Conversations this evaluator has submitted.")


class CalibrationSessionRead(BaseModel):
    id: str
    brand_id: str
    title: str
    scorecard_id: str
    conversation_ids: list[str]
    evaluators: list[SessionEvaluatorRead]
    complete: bool = Field(description="Every evaluator has submitted every conversation.")
    created_at: dt.datetime


class ConversationSpreadRead(BaseModel):
    conversation_id: str
    evaluators: int
    consensus: float = Field(description="The evaluators' mean score.")
    range: float
    standard_deviation: float


class EvaluatorDeviationRead(BaseModel):
    user_id: str
    name: str
    conversations: int
    mean_absolute_deviation: float | None
    mean_signed_deviation: float | None = Field(description="Below 0 harsher than consensus, above 0 more lenient.")
    leaning: Literal["harsh", "lenient", "in line"] | None


class AgreementRead(BaseModel):
    method: Literal["cohen", "fleiss"] | None = Field(description="Cohen's kappa for 2 evaluators, Fleiss' for 3+.")
    evaluators: int = Field(description="Evaluators who submitted every conversation: the kappa is theirs.")
    items: int = Field(description="(conversation, critical criterion) pairs rated.")
    kappa: float | None
    by_class: dict[str, float | None]


class CalibrationReportRead(BaseModel):
    session_id: str
    complete: bool
    conversations: list[ConversationSpreadRead]
    evaluators: list[EvaluatorDeviationRead]
    agreement: AgreementRead


class MyCalibrationRead(BaseModel):
    """A participant's view: their own evaluations, and the report once they have submitted them all."""

    session: CalibrationSessionRead
    my_evaluations: dict[str, str] = Field(description="conversation id -> the status of one's own evaluation.")
    report: CalibrationReportRead | None
