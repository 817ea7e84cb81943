"""Pydantic shapes for users, tokens and audit events."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from cxhub.auth.permissions import Role
from cxhub.kit.time import AwareTimestamp


class StrictModel(BaseModel):
    """Our own resource APIs reject unknown fields so that typos surface."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UserCreate(StrictModel):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    role: Role
    organisation_id: str = Field(min_length=1, max_length=26)
    password: str | None = Field(None, min_length=10, max_length=200)
    brand_ids: list[str] | None = None


class UserUpdate(StrictModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    role: Role | None = None
    is_active: bool | None = None
    brand_ids: list[str] | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: Role
    organisation_id: str
    is_active: bool
    must_change_password: bool
    brand_ids: list[str] | None
    created_at: dt.datetime
    last_login_at: dt.datetime | None


class PasswordResetByAdmin(StrictModel):
    temporary_password: str = Field(min_length=10, max_length=200)


class TokenCreate(StrictModel):
    name: str = Field(min_length=1, max_length=200)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret itself; shown once and never again.")


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: dt.datetime
    actor_user_id: str | None
    actor_email: str | None
    actor_organisation_id: str | None
    action: str
    target_type: str | None
    target_id: str | None
    address: str | None
    detail: dict[str, object]
    note: str | None


class AuditFilter(BaseModel):
    action: str | None = None
    actor_email: str | None = None
    target_id: str | None = None
    since: AwareTimestamp | None = None
    until: AwareTimestamp | None = None


class Me(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    organisation_id: str
    organisation_name: str
    organisation_kind: str
    permissions: list[str]
    brand_ids: list[str] | None
