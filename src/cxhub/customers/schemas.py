"""Pydantic shapes for customers as staff see them (personal fields per the viewer's data policy)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cxhub.auth.schemas import StrictModel


class IdentityRead(BaseModel):
    kind: str
    value: str | None  # masked or hidden per the viewer's data policy
    source: str
    verified: bool
    undeliverable: bool
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime


class CustomerRead(BaseModel):
    id: str
    brand_id: str
    name: str | None
    country: str | None
    language: str | None
    created_at: dt.datetime
    identities: list[IdentityRead]


class CustomerGroupCreate(StrictModel):
    brand_id: str | None = Field(None, max_length=26, description="Default: the only brand.")
    name: str = Field(min_length=1, max_length=200)
    position: int = Field(0, ge=0, le=10_000, description="The first group a customer belongs to names the owner.")
    countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list, max_length=250)
    sellers: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list, max_length=50)
    min_lifetime_orders: int | None = Field(None, ge=1, le=100_000)
    customer_ids: list[Annotated[str, Field(min_length=1, max_length=26)]] = Field(
        default_factory=list, max_length=10_000, description="Customers listed by name, whatever the rules say."
    )
    owner_agent_id: str | None = Field(None, min_length=1, max_length=26)
    owner_team_id: str | None = Field(None, min_length=1, max_length=26)

    @model_validator(mode="after")
    def _owner(self) -> CustomerGroupCreate:
        if not (self.owner_agent_id or self.owner_team_id):
            raise ValueError("name an owner: owner_agent_id, owner_team_id or both")
        if not (self.countries or self.sellers or self.min_lifetime_orders or self.customer_ids):
            raise ValueError("give a rule (countries, sellers, min_lifetime_orders) or customer_ids")
        return self


class CustomerGroupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    brand_id: str
    name: str
    position: int
    countries: list[str]
    sellers: list[str]
    min_lifetime_orders: int | None
    owner_agent_id: str | None
    owner_team_id: str | None
    customer_ids: list[str]


class MergeCreate(StrictModel):
    survivor_id: str = Field(min_length=1, max_length=26, description="The customer that keeps every record.")
    merged_id: str = Field(min_length=1, max_length=26, description="The customer merged into the survivor.")
    reason: str = Field(min_length=1, max_length=2000, description="Why: kept in the merge and the audit log.")


class MergeUndo(StrictModel):
    reason: str = Field(min_length=1, max_length=2000)


class MergeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    brand_id: str
    survivor_id: str
    merged_id: str
    decided_by: str
    match_probability: float | None
    reason: str | None
    actor_email: str | None
    at: dt.datetime
    moved: dict[str, int]  # rows moved per table
    undone_at: dt.datetime | None
    undo_reason: str | None

    @model_validator(mode="before")
    @classmethod
    def _count_moved(cls, data: object) -> object:
        moved = getattr(data, "moved", None)
        if isinstance(moved, dict) and data is not None and not isinstance(data, dict):
            fields = {name: getattr(data, name) for name in cls.model_fields if name != "moved"}
            return {**fields, "moved": {table: len(keys) for table, keys in moved.items()}}
        return data


class MatchSide(BaseModel):
    """One customer of a candidate pair, as the viewer may see them."""

    id: str
    name: str | None
    source: str | None  # the source of the record the engine scored
    country: str | None
    created_at: dt.datetime
    merged_into_id: str | None
    erased: bool
    identities: list[IdentityRead]


class FieldEvidence(BaseModel):
    field: str
    left: str | None
    right: str | None
    level: int | None  # the comparison level the model put the two values in (-1: a value is missing)
    agreement: Literal["agree", "partial", "disagree", "missing"]
    weight: float | None  # the level's match weight: what it added to (or took from) the score


class MatchCandidateRead(BaseModel):
    id: str
    status: str  # pending | accepted | rejected | stale
    match_probability: float
    match_weight: float
    model_version: int | None
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by_user_id: str | None
    decision_reason: str | None
    merge_id: str | None
    left: MatchSide
    right: MatchSide
    evidence: list[FieldEvidence]


class MatchDecision(StrictModel):
    reason: str | None = Field(None, min_length=1, max_length=2000, description="Why: kept with the decision.")


class MatchThresholdItem(StrictModel):
    source_l: str = Field("*", min_length=1, max_length=40, description="A source, or `*` for any.")
    source_r: str = Field("*", min_length=1, max_length=40, description="A source, or `*` for any.")
    auto_merge: float = Field(ge=0, le=1, description="Merge at this match probability or above.")
    review: float = Field(ge=0, le=1, description="Queue for review from here up to `auto_merge`.")

    @model_validator(mode="after")
    def _ordered(self) -> MatchThresholdItem:
        if self.review > self.auto_merge:
            raise ValueError("review must not be above auto_merge (0 <= review <= auto_merge <= 1)")
        return self


class MatchThresholdsRead(BaseModel):
    brand_id: str
    default: MatchThresholdItem  # the settings CXHUB_MATCH_AUTO_MERGE and CXHUB_MATCH_REVIEW
    items: list[MatchThresholdItem]
