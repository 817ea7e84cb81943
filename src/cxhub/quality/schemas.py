"""Quality in/out: a survey answer as imported from another survey tool."""

from __future__ import annotations

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
