"""Pydantic shapes for stages, touchpoints, their sourcing and classification rules."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cxhub.auth.schemas import StrictModel
from cxhub.journeys.classify import compile_pattern

Name = Field(min_length=1, max_length=200)
LocationBand = Literal["onshore", "nearshore", "offshore"]
Touch = Literal["high_touch", "high_tech"]


class StageCreate(StrictModel):
    brand_id: str | None = Field(None, max_length=26, description="Default: the only brand.")
    name: str = Field(min_length=1, max_length=100)
    position: int = Field(0, ge=0, le=1000)


class StageUpdate(StrictModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    position: int | None = Field(None, ge=0, le=1000)


class StageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    brand_id: str
    name: str
    position: int


class SourcingIn(StrictModel):
    organisation_id: str = Field(min_length=1, max_length=26)
    location_band: LocationBand
    share: float = Field(ge=0, le=1, description="Share of the touchpoint's volume, 0-1.")


class TouchpointCreate(StrictModel):
    stage_id: str = Field(min_length=1, max_length=26)
    name: str = Name
    touch: Touch = "high_touch"
    fallback: bool = Field(False, description="Where conversations no rule matches go (one per brand).")
    sourcing: list[SourcingIn] = Field(default_factory=list, max_length=50)

    @field_validator("sourcing")
    @classmethod
    def _shares(cls, sourcing: list[SourcingIn]) -> list[SourcingIn]:
        return checked_sourcing(sourcing)


class TouchpointUpdate(StrictModel):
    stage_id: str | None = Field(None, min_length=1, max_length=26)
    name: str | None = Field(None, min_length=1, max_length=200)
    touch: Touch | None = None
    fallback: bool | None = None
    sourcing: list[SourcingIn] | None = Field(None, max_length=50)

    @field_validator("sourcing")
    @classmethod
    def _shares(cls, sourcing: list[SourcingIn] | None) -> list[SourcingIn] | None:
        return None if sourcing is None else checked_sourcing(sourcing)


def checked_sourcing(sourcing: list[SourcingIn]) -> list[SourcingIn]:
    if len({s.organisation_id for s in sourcing}) != len(sourcing):
        raise ValueError("each organisation appears once")
    if sourcing and abs(sum(s.share for s in sourcing) - 1) > 0.001:
        raise ValueError("the shares must add up to 1")
    return sourcing


class SourcingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    organisation_id: str
    location_band: str
    share: float


class TouchpointRead(BaseModel):
    id: str
    brand_id: str
    stage_id: str
    name: str
    touch: str
    fallback: bool
    sourcing: list[SourcingRead]
    created_at: dt.datetime


class RuleCreate(StrictModel):
    touchpoint_id: str = Field(min_length=1, max_length=26)
    position: int = Field(0, ge=0, le=10_000, description="Rules are tried in this order (then by creation).")
    channel: str | None = Field(None, min_length=1, max_length=20)
    pattern: str | None = Field(None, min_length=1, max_length=500, description="Regex on subject and text.")
    kind: str | None = Field(None, min_length=1, max_length=20, description="An interaction kind: order, return ...")
    field: str | None = Field(None, min_length=1, max_length=100, description="A form field in the metadata.")
    field_value: str | None = Field(None, min_length=1, max_length=200)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            compile_pattern(pattern)
        return pattern


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    brand_id: str
    touchpoint_id: str
    position: int
    channel: str | None
    pattern: str | None
    kind: str | None
    field: str | None
    field_value: str | None


class ConversationTouchpoint(StrictModel):
    touchpoint_id: str = Field(min_length=1, max_length=26)
