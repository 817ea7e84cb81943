"""Pydantic shapes for queues, presence and routing decisions."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from cxhub.auth.schemas import StrictModel
from cxhub.conversations.schemas import InteractionChannel
from cxhub.kit.hours import BusinessHours
from cxhub.kit.time import AwareTimestamp
from cxhub.workforce.schemas import Weekday

Presence = Literal["available", "busy", "away", "offline"]
Mode = Literal["push", "pull"]


class SkillNeedIn(StrictModel):
    name: str = Field(min_length=1, max_length=60)
    level: int = Field(1, ge=1, le=5)


class QueueTeamIn(StrictModel):
    team_id: str = Field(min_length=1, max_length=26)
    stage: int = Field(0, ge=0, le=9, description="0: preferred; 1, 2 ...: overflow, in order.")
    share: float = Field(1.0, ge=0, le=1, description="The team's share of its stage's volume; a stage adds up to 1.")


class QueueFields(StrictModel):
    touchpoint_id: str | None = Field(None, min_length=1, max_length=26, description="None: any touchpoint.")
    channel: str | None = Field(None, min_length=1, max_length=20, description="None: any channel.")
    mode: Mode = Field("push", description="push: assigned automatically; pull: agents take the next item.")
    priority: int = Field(3, ge=1, le=5, description="Its conversations are at least this urgent (1 most).")
    language_required: bool = True
    drop_language_after_seconds: int | None = Field(None, ge=0, le=30 * 86_400, description="None: never.")
    required_skills: list[SkillNeedIn] = Field(default_factory=list, max_length=20)
    drop_local_after_seconds: int | None = Field(300, ge=0, le=30 * 86_400, description="None: never.")
    owner_wait_seconds: int = Field(0, ge=0, le=30 * 86_400, description="How long an item waits for its named owner.")
    sticky_seconds: int = Field(86_400, ge=0, le=365 * 86_400)
    overflow_after_seconds: list[int] = Field(
        default_factory=list, max_length=9, description="Element k: the wait after which stage k+1 opens."
    )
    overflow_when_unavailable: bool = True
    teams: list[QueueTeamIn] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _stages(self) -> QueueFields:
        check_stages(self.teams, self.overflow_after_seconds)
        return self


def check_stages(teams: list[QueueTeamIn], overflow_after_seconds: list[int]) -> None:
    if len({t.team_id for t in teams}) != len(teams):
        raise ValueError("each team appears once")
    stages = sorted({t.stage for t in teams})
    if stages != list(range(len(stages))):
        raise ValueError("stages are numbered 0, 1, 2 ... without gaps")
    for stage in stages:
        total = sum(t.share for t in teams if t.stage == stage)
        if abs(total - 1) > 0.001:
            raise ValueError(f"the shares of stage {stage} must add up to 1")
    if len(overflow_after_seconds) > max(len(stages) - 1, 0):
        raise ValueError("give at most one overflow wait per stage after the first")
    if any(not 0 <= s <= 30 * 86_400 for s in overflow_after_seconds):
        raise ValueError("overflow waits are 0 to 30 days in seconds")


class QueueCreate(QueueFields):
    brand_id: str | None = Field(None, max_length=26, description="Default: the only brand.")
    name: str = Field(min_length=1, max_length=200)


class QueueUpdate(QueueFields):
    """Replaces the queue's configuration as a whole (its name may change)."""

    name: str = Field(min_length=1, max_length=200)


class QueueTeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    team_id: str
    stage: int
    share: float


class QueueRead(BaseModel):
    id: str
    brand_id: str
    name: str
    touchpoint_id: str | None
    channel: str | None
    mode: str
    priority: int
    language_required: bool
    drop_language_after_seconds: int | None
    required_skills: list[SkillNeedIn]
    drop_local_after_seconds: int | None
    owner_wait_seconds: int
    sticky_seconds: int
    overflow_after_seconds: list[int]
    overflow_when_unavailable: bool
    teams: list[QueueTeamRead] = Field(description="A partner sees its own teams only.")
    waiting: int = Field(description="Conversations waiting in the queue now (a partner: those queued at it).")


class PresenceUpdate(StrictModel):
    presence: Presence


class PresenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    agent_id: str
    presence: str
    since: dt.datetime


class NextResult(BaseModel):
    conversation_id: str | None = Field(description="None: nothing waits that you may take.")
    queue_id: str | None


class SlaPolicyFields(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    touchpoint_id: str | None = Field(None, min_length=1, max_length=26, description="None: any touchpoint.")
    channel: str | None = Field(None, min_length=1, max_length=20, description="None: any channel.")
    priority: int | None = Field(None, ge=1, le=5, description="None: any priority.")
    first_response_seconds: int | None = Field(None, ge=1, le=365 * 86_400)
    resolution_seconds: int | None = Field(None, ge=1, le=365 * 86_400)
    business_hours: bool = Field(False, description="Count only the calendar's open time (else every hour counts).")
    time_zone: str = Field("UTC", min_length=1, max_length=64)
    opening_hours: dict[Weekday, list[tuple[str, str]]] = Field(
        default_factory=dict, description='The business hours, e.g. {"mon": [["09:00", "17:00"]]}.'
    )
    holidays: list[dt.date] = Field(default_factory=list, max_length=400)
    warn_fraction: float = Field(0.75, ge=0, le=1, description="Warn when this share of the target is used.")
    escalate_priority: int | None = Field(None, ge=1, le=5, description="A breach raises the priority to this.")
    notify_emails: list[EmailStr] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _targets(self) -> SlaPolicyFields:
        if self.first_response_seconds is None and self.resolution_seconds is None:
            raise ValueError("give first_response_seconds, resolution_seconds or both")
        try:
            BusinessHours(self.time_zone, {k: list(v) for k, v in self.opening_hours.items()}, self.holidays)
        except ValueError as exc:
            raise ValueError(f"business hours: {exc}") from exc
        return self


class SlaPolicyCreate(SlaPolicyFields):
    brand_id: str | None = Field(None, max_length=26, description="Default: the only brand.")


class SlaPolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    brand_id: str
    name: str
    touchpoint_id: str | None
    channel: str | None
    priority: int | None
    first_response_seconds: int | None
    resolution_seconds: int | None
    business_hours: bool
    time_zone: str
    opening_hours: dict[str, list[list[str]]]
    holidays: list[str]
    warn_fraction: float
    escalate_priority: int | None
    notify_emails: list[str]


class TransferCreate(StrictModel):
    queue_id: str | None = Field(None, min_length=1, max_length=26, description="Route it afresh in this queue.")
    team_id: str | None = Field(None, min_length=1, max_length=26, description="It waits for this team.")
    agent_id: str | None = Field(None, min_length=1, max_length=26, description="This agent has it at once.")


class TransferResult(BaseModel):
    conversation_id: str
    routing_status: str


class SimulatedContact(StrictModel):
    """One work item of a `cxhub routing simulate` file: a contact as it would arrive."""

    id: str = Field(min_length=1, max_length=200)
    channel: InteractionChannel
    at: AwareTimestamp = Field(description="When the item arrives.")
    touchpoint: str | None = Field(None, min_length=1, max_length=200, description="A touchpoint name.")
    subject: str | None = Field(None, max_length=2000)
    text: str | None = Field(None, max_length=100_000)
    language: str | None = Field(None, min_length=2, max_length=20)
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$")
    wants_local: bool = False
    priority: int = Field(3, ge=1, le=5)
    customer_ref: str | None = Field(None, min_length=1, max_length=200)
    owner_agent: str | None = Field(None, min_length=3, max_length=320, description="The owner agent's e-mail.")
    handle_seconds: float = Field(600, ge=0, le=7 * 86_400)
