"""Pydantic shapes for brands, organisations, sites, teams, agents."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cxhub.auth.actor import Visibility
from cxhub.auth.schemas import StrictModel

OrganisationKind = Literal["in_house", "insourced", "outsourced"]
LocationBand = Literal["onshore", "nearshore", "offshore"]
Channel = Literal["email", "chat", "voice", "social", "reviews", "commerce"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PersonalField = Literal["name", "email", "phone", "address"]
CostBasis = Literal["base_wage", "billed", "fully_loaded"]
Proficiency = Literal["native", "fluent", "working", "basic"]

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
_ZONES = frozenset(available_timezones())


def _country(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError("must be an ISO 3166-1 alpha-2 code in capitals, e.g. IE")
    return value


def _zone(value: str) -> str:
    if value not in _ZONES:
        raise ValueError("must be an IANA time zone, e.g. Europe/Dublin")
    return value


def _language(value: str) -> str:
    if not _LANGUAGE.fullmatch(value):
        raise ValueError("must be a language tag such as en, pt or pt-BR")
    return value


def _printable(value: str) -> str:
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("must not contain control characters")
    return value


def _interval(value: tuple[str, str]) -> tuple[str, str]:
    start, end = value
    if not (_HHMM.fullmatch(start) and _HHMM.fullmatch(end)):
        raise ValueError("times must be HH:MM")
    if start >= end:
        raise ValueError("an opening interval must end after it starts")
    return value


Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]
TimeZone = Annotated[str, AfterValidator(_zone)]
Language = Annotated[str, AfterValidator(_language)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_printable)]
Skill = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_printable)]
Interval = Annotated[tuple[str, str], AfterValidator(_interval)]
DataPolicy = dict[PersonalField, Visibility]


class BrandCreate(StrictModel):
    name: Name
    home_country: Country
    time_zone: TimeZone


class BrandUpdate(StrictModel):
    name: Name | None = None
    home_country: Country | None = None
    time_zone: TimeZone | None = None


class BrandRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    home_country: str
    time_zone: str
    created_at: dt.datetime


class OrganisationCreate(StrictModel):
    name: Name
    kind: OrganisationKind
    country: Country
    data_policy: DataPolicy | None = Field(
        None, description="Per personal field: full, masked or hidden. Partners default to masked."
    )


class OrganisationUpdate(StrictModel):
    name: Name | None = None
    country: Country | None = None
    data_policy: DataPolicy | None = None


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: OrganisationKind
    country: str
    data_policy: dict[str, str]
    created_at: dt.datetime


class SiteCreate(StrictModel):
    organisation_id: str = Field(min_length=1, max_length=26)
    name: Name
    city: Name
    country: Country
    time_zone: TimeZone
    location_band: LocationBand
    opening_hours: dict[Weekday, list[Interval]] = Field(
        default_factory=dict, description='Local opening intervals per weekday, e.g. {"mon": [["08:00", "18:00"]]}.'
    )
    holidays: list[dt.date] = Field(default_factory=list, max_length=400)


class SiteUpdate(StrictModel):
    name: Name | None = None
    city: Name | None = None
    country: Country | None = None
    time_zone: TimeZone | None = None
    location_band: LocationBand | None = None
    opening_hours: dict[Weekday, list[Interval]] | None = None
    holidays: list[dt.date] | None = Field(None, max_length=400)


class SiteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    organisation_id: str
    name: str
    city: str
    country: str
    time_zone: str
    location_band: LocationBand
    opening_hours: dict[str, list[list[str]]]
    holidays: list[str]
    created_at: dt.datetime


class TeamCreate(StrictModel):
    site_id: str = Field(min_length=1, max_length=26)
    name: Name
    channels: list[Channel] = Field(default_factory=list)
    languages: list[Language] = Field(default_factory=list)
    skills: list[Skill] = Field(default_factory=list)


class TeamUpdate(StrictModel):
    name: Name | None = None
    channels: list[Channel] | None = None
    languages: list[Language] | None = None
    skills: list[Skill] | None = None


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    site_id: str
    organisation_id: str
    name: str
    channels: list[str]
    languages: list[str]
    skills: list[str]
    created_at: dt.datetime


class AgentLanguage(StrictModel):
    code: Language
    proficiency: Proficiency


class AgentSkill(StrictModel):
    name: Skill
    level: int = Field(ge=1, le=5)


class AgentCreate(StrictModel):
    user_id: str = Field(min_length=1, max_length=26)
    team_id: str = Field(min_length=1, max_length=26)
    languages: list[AgentLanguage] = Field(default_factory=list)
    skills: list[AgentSkill] = Field(default_factory=list)
    max_concurrent: dict[Channel, Annotated[int, Field(ge=0, le=50)]] = Field(default_factory=dict)
    hourly_cost: Decimal | None = Field(None, ge=0, le=10_000, decimal_places=2)
    cost_currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    cost_year: int | None = Field(None, ge=2000, le=2100)
    cost_basis: CostBasis | None = None
    hire_date: dt.date | None = None
    leave_date: dt.date | None = None


class AgentUpdate(StrictModel):
    team_id: str | None = Field(None, min_length=1, max_length=26)
    languages: list[AgentLanguage] | None = None
    skills: list[AgentSkill] | None = None
    max_concurrent: dict[Channel, Annotated[int, Field(ge=0, le=50)]] | None = None
    hourly_cost: Decimal | None = Field(None, ge=0, le=10_000, decimal_places=2)
    cost_currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    cost_year: int | None = Field(None, ge=2000, le=2100)
    cost_basis: CostBasis | None = None
    hire_date: dt.date | None = None
    leave_date: dt.date | None = None


class AgentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    team_id: str
    organisation_id: str
    languages: list[dict[str, object]]
    skills: list[dict[str, object]]
    max_concurrent: dict[str, int]
    hourly_cost: Decimal | None
    cost_currency: str | None
    cost_year: int | None
    cost_basis: str | None
    hire_date: dt.date | None
    leave_date: dt.date | None
    created_at: dt.datetime
