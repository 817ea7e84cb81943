"""The demo world: brand Lumen Home, its in-house team and two partners abroad."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.permissions import Role
from cxhub.models_registry import metadata
from cxhub.workforce import service
from cxhub.workforce.models import Brand
from cxhub.workforce.schemas import (
    AgentCreate,
    AgentLanguage,
    AgentSkill,
    BrandCreate,
    OrganisationCreate,
    SiteCreate,
    TeamCreate,
)

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the published demo login
DEMO_BRAND = "Lumen Home"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    organisation: str


DEMO_USERS = (
    DemoUser("admin@lumen.example", "Aoife Byrne", Role.ADMIN, "Lumen Care"),
    DemoUser("director@lumen.example", "Ciarán O'Brien", Role.CX_DIRECTOR, "Lumen Care"),
    DemoUser("vendors@lumen.example", "Niamh Walsh", Role.PARTNER_MANAGER, "Lumen Care"),
    DemoUser("lead@lumen.example", "Seán Murphy", Role.TEAM_LEAD, "Lumen Care"),
    DemoUser("qa@lumen.example", "Róisín Kelly", Role.QA_ANALYST, "Lumen Care"),
    DemoUser("agent@lumen.example", "Darragh Doyle", Role.AGENT, "Lumen Care"),
    DemoUser("lead@atlantic.example", "Inês Carvalho", Role.TEAM_LEAD, "Atlantic CX"),
    DemoUser("agent@atlantic.example", "Tiago Ferreira", Role.AGENT, "Atlantic CX"),
    DemoUser("agent@pacific.example", "Maria Santos", Role.AGENT, "Pacific Contact"),
)


def _hours(start: str, end: str, days: tuple[str, ...] = WEEKDAYS) -> dict[str, list[tuple[str, str]]]:
    return {day: [(start, end)] for day in days}


def has_demo(session: Session) -> bool:
    return session.scalar(select(Brand.id).where(Brand.name == DEMO_BRAND)) is not None


def reset(session: Session) -> None:
    """Empty every table (children first) so the demo can be rebuilt."""
    for table in reversed(metadata().sorted_tables):
        session.execute(table.delete())


def load(session: Session) -> None:
    """Create the demo world; the caller commits."""
    service.create_brand(
        session,
        brand_create=BrandCreate(name=DEMO_BRAND, home_country="IE", time_zone="Europe/Dublin"),
        actor=None,
    )
    orgs = {
        name: service.create_organisation(
            session, organisation_create=OrganisationCreate(name=name, kind=kind, country=country), actor=None
        )
        for name, kind, country in (
            ("Lumen Care", "in_house", "IE"),
            ("Atlantic CX", "outsourced", "PT"),
            ("Pacific Contact", "outsourced", "PH"),
        )
    }
    sites = {
        "Dublin": SiteCreate(
            organisation_id=orgs["Lumen Care"].id,
            name="Dublin",
            city="Dublin",
            country="IE",
            time_zone="Europe/Dublin",
            location_band="onshore",
            opening_hours=_hours("08:00", "20:00"),
            holidays=[dt.date(2026, 12, 25)],
        ),
        "Lisbon": SiteCreate(
            organisation_id=orgs["Atlantic CX"].id,
            name="Lisbon",
            city="Lisbon",
            country="PT",
            time_zone="Europe/Lisbon",
            location_band="nearshore",
            opening_hours=_hours("08:00", "22:00", (*WEEKDAYS, "sat")),
        ),
        "Manila": SiteCreate(
            organisation_id=orgs["Pacific Contact"].id,
            name="Manila",
            city="Manila",
            country="PH",
            time_zone="Asia/Manila",
            location_band="offshore",
            opening_hours=_hours("00:00", "24:00", (*WEEKDAYS, "sat", "sun")),
        ),
        "Sydney": SiteCreate(
            organisation_id=orgs["Pacific Contact"].id,
            name="Sydney",
            city="Sydney",
            country="AU",
            time_zone="Australia/Sydney",
            location_band="offshore",
            opening_hours=_hours("08:00", "18:00"),
        ),
    }
    site_rows = {name: service.create_site(session, site_create=s, actor=None) for name, s in sites.items()}
    teams = {
        "Lumen Care": service.create_team(
            session,
            team_create=TeamCreate(
                site_id=site_rows["Dublin"].id,
                name="Dublin Care",
                channels=["email", "chat", "voice", "social", "reviews"],
                languages=["en", "ga"],
                skills=["billing", "product_fault", "returns", "complaints"],
            ),
            actor=None,
        ),
        "Atlantic CX": service.create_team(
            session,
            team_create=TeamCreate(
                site_id=site_rows["Lisbon"].id,
                name="Lisbon Multilingual",
                channels=["email", "chat", "voice"],
                languages=["pt", "es", "en"],
                skills=["order_status", "returns"],
            ),
            actor=None,
        ),
        "Pacific Contact": service.create_team(
            session,
            team_create=TeamCreate(
                site_id=site_rows["Manila"].id,
                name="Manila 24/7",
                channels=["email", "chat"],
                languages=["en", "tl"],
                skills=["order_status", "returns", "billing"],
            ),
            actor=None,
        ),
    }
    service.create_team(
        session,
        team_create=TeamCreate(
            site_id=site_rows["Sydney"].id,
            name="Sydney Local",
            channels=["voice", "chat"],
            languages=["en"],
            skills=["order_status", "product_fault"],
        ),
        actor=None,
    )
    costs = {"Lumen Care": ("38.50", "EUR"), "Atlantic CX": ("21.00", "EUR"), "Pacific Contact": ("9.80", "USD")}
    for demo_user in DEMO_USERS:
        user, _ = service.create_user(
            session,
            email=demo_user.email,
            name=demo_user.name,
            role=demo_user.role,
            organisation_id=orgs[demo_user.organisation].id,
            password=DEMO_PASSWORD,
            actor=None,
        )
        if demo_user.role in (Role.AGENT, Role.TEAM_LEAD):
            team = teams[demo_user.organisation]
            rate, currency = costs[demo_user.organisation]
            service.create_agent(
                session,
                agent_create=AgentCreate(
                    user_id=user.id,
                    team_id=team.id,
                    languages=[
                        AgentLanguage(code=code, proficiency="native" if i == 0 else "fluent")
                        for i, code in enumerate(team.languages)
                    ],
                    skills=[AgentSkill(name=skill, level=3) for skill in team.skills],
                    max_concurrent={"chat": 3, "email": 8, "voice": 1},
                    hourly_cost=Decimal(rate),
                    cost_currency=currency,
                    cost_year=2026,
                    cost_basis="fully_loaded",
                    hire_date=dt.date(2024, 3, 1),
                ),
                actor=None,
            )
