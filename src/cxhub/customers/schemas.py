"""Pydantic shapes for customers as staff see them (personal fields per the viewer's data policy)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


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
