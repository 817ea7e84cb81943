"""Pydantic shapes of the privacy routes: erasure, consents and retention rules."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cxhub.auth.schemas import StrictModel

Purpose = Literal["surveys", "coaching", "marketing"]


class ErasureCreate(StrictModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why: kept in the audit log (no personal data).")


class ErasureRead(BaseModel):
    customer_id: str = Field(description="The customer erased (the end of its merge chain).")
    customers: list[str] = Field(description="It and every customer merged into it: one person.")
    erased_at: dt.datetime
    erased: dict[str, int] = Field(description="Rows erased or anonymised per table.")


class ConsentChoice(StrictModel):
    purpose: Purpose
    granted: bool


class ConsentsUpdate(StrictModel):
    consents: list[ConsentChoice] = Field(min_length=1, max_length=3)
    source: str = Field(min_length=1, max_length=40, description="Where it was given: survey page, e-mail, call ...")


class ConsentRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    purpose: str
    granted: bool
    source: str
    at: dt.datetime
    actor_user_id: str | None


class ConsentState(BaseModel):
    purpose: Purpose
    granted: bool = Field(description="The latest answer, else the default (surveys, coaching: yes; marketing: no).")
    recorded: bool = Field(description="False while the customer never answered: `granted` is the default.")
    source: str | None
    at: dt.datetime | None


class ConsentsRead(BaseModel):
    customer_id: str
    current: list[ConsentState]
    history: list[ConsentRecord] = Field(description="Every answer recorded, oldest first.")


class RetentionRuleItem(StrictModel):
    record_type: str = Field(min_length=1, max_length=40)
    days: int | None = Field(ge=1, le=36_500, description="Days kept; null: no rule (kept until erased).")


class RetentionRuleRead(BaseModel):
    record_type: str
    description: str
    days: int | None


class RetentionRulesUpdate(StrictModel):
    brand_id: str | None = Field(None, max_length=26, description="Default: the only brand in scope.")
    rules: list[RetentionRuleItem] = Field(min_length=1, max_length=50)


class RetentionRulesRead(BaseModel):
    brand_id: str
    rules: list[RetentionRuleRead]
