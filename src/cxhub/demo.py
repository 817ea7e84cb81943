"""The demo world: brand Lumen Home, its in-house team and two partners abroad, and how work reaches them.

Portuguese and Spanish chats go to Atlantic CX in Lisbon, night-time e-mail to Pacific Contact in
Manila, customers in Australia who ask for a local agent to Sydney, and Homeplace Retail's
account customers to their named owner at Lumen Care.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cxhub.auth.models import User
from cxhub.auth.permissions import Role
from cxhub.auth.repository import user_by_email
from cxhub.conversations.models import Conversation, Interaction
from cxhub.customers.schemas import CustomerGroupCreate
from cxhub.customers.service import create_group
from cxhub.jobs.models import Job
from cxhub.journeys.schemas import RuleCreate, SourcingIn, TouchpointCreate
from cxhub.journeys.service import create_default_stages, create_rule, create_touchpoint
from cxhub.models_registry import metadata
from cxhub.quality.evaluations import NOTIFY_JOB, save_evaluation
from cxhub.quality.models import Scorecard
from cxhub.quality.repository import criteria_of
from cxhub.quality.schemas import AnswerIn, CriterionIn, EvaluationSave, ScorecardCreate, SectionIn
from cxhub.quality.scorecards import create_scorecard
from cxhub.routing.schemas import QueueCreate, QueueTeamIn, SlaPolicyCreate
from cxhub.routing.service import create_policy, create_queue, set_presence
from cxhub.workforce import service
from cxhub.workforce.models import Agent, Brand, Organisation, Team
from cxhub.workforce.schemas import (
    AgentCreate,
    AgentLanguage,
    AgentSkill,
    BrandCreate,
    OrganisationCreate,
    SiteCreate,
    TeamCreate,
)
from cxhub.workforce.service import actor_for_user

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the published demo login
DEMO_BRAND = "Lumen Home"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    organisation: str
    team: str | None = None  # default: the organisation's main team


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
    DemoUser("sydney@pacific.example", "Jack Nguyen", Role.AGENT, "Pacific Contact", team="Sydney Local"),
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
                channels=["email", "chat", "voice", "social", "reviews", "commerce"],
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
    sydney = service.create_team(
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
            team = sydney if demo_user.team == sydney.name else teams[demo_user.organisation]
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
    load_routing(session)
    load_scorecard(session)


# touchpoint: (stage, touch, fallback, [(organisation, band, share)])
TOUCHPOINTS = {
    "order status": (
        "get help",
        "high_tech",
        False,
        [("Atlantic CX", "nearshore", 0.6), ("Pacific Contact", "offshore", 0.4)],
    ),
    "return request": (
        "return",
        "high_touch",
        False,
        [("Atlantic CX", "nearshore", 0.6), ("Pacific Contact", "offshore", 0.4)],
    ),
    "product fault": ("get help", "high_touch", False, [("Lumen Care", "onshore", 1.0)]),
    "billing": (
        "get help",
        "high_touch",
        False,
        [("Lumen Care", "onshore", 0.5), ("Pacific Contact", "offshore", 0.5)],
    ),
    "pre-sale question": ("discover", "high_touch", False, [("Lumen Care", "onshore", 1.0)]),
    "review reply": ("advocate", "high_touch", False, [("Lumen Care", "onshore", 1.0)]),
    "general enquiry": (
        "get help",
        "high_touch",
        True,
        [("Lumen Care", "onshore", 0.5), ("Atlantic CX", "nearshore", 0.5)],
    ),
}
# (touchpoint, conditions), tried in this order
RULES = [
    ("review reply", {"channel": "review"}),
    ("return request", {"kind": "return"}),
    ("return request", {"pattern": r"\b(return|refund|devolu|devolver|reembolso)"}),
    ("product fault", {"pattern": r"\b(broken|cracked|faulty|defect|not working|avariad|partid|roto)"}),
    ("billing", {"pattern": r"\b(invoice|bill|charged|payment|fatura|factura)"}),
    ("order status", {"pattern": r"\b(order|where is|tracking|deliver|encomenda|pedido|entrega)"}),
    ("pre-sale question", {"pattern": r"\b(in stock|before i buy|price|available in)"}),
]
# queue: (channel, touchpoint or None, [(team, stage, share)], overflow after seconds)
QUEUES: dict[str, tuple[str, str | None, list[tuple[str, int, float]], list[int]]] = {
    "Chat": (
        "chat",
        None,
        [("Lisbon Multilingual", 0, 0.6), ("Manila 24/7", 0, 0.4), ("Dublin Care", 1, 0.5), ("Sydney Local", 1, 0.5)],
        [120],
    ),
    "E-mail": (
        "email",
        None,
        [("Dublin Care", 0, 1.0), ("Lisbon Multilingual", 1, 0.5), ("Manila 24/7", 1, 0.5)],
        [4 * 3600],
    ),
    "E-mail: order status": (
        "email",
        "order status",
        [("Lisbon Multilingual", 0, 0.6), ("Manila 24/7", 0, 0.4), ("Dublin Care", 1, 1.0)],
        [8 * 3600],
    ),
    "Voice": ("voice", None, [("Dublin Care", 0, 1.0), ("Sydney Local", 1, 1.0)], [60]),
    "Reviews": ("review", None, [("Dublin Care", 0, 1.0)], []),
    "Social": ("social", None, [("Dublin Care", 0, 1.0)], []),
    "Orders and returns": ("commerce", None, [("Dublin Care", 0, 1.0)], []),
}
DUBLIN_DAY = {day: [("08:00", "20:00")] for day in WEEKDAYS}
# policy: (channel, touchpoint, first response seconds, resolution seconds, business hours)
SLA_POLICIES: dict[str, tuple[str | None, str | None, int, int | None, bool]] = {
    "Chat: answer within 2 minutes": ("chat", None, 120, 3600, False),
    "E-mail: answer within 8 business hours": ("email", None, 8 * 3600, 3 * 12 * 3600, True),
    "Order status e-mail: answer within 4 business hours": ("email", "order status", 4 * 3600, 12 * 3600, True),
    "Reviews and posts: answer within a day": (None, "review reply", 86_400, None, False),
}
ACCOUNT_OWNER = "agent@lumen.example"  # Homeplace Retail's account customers


def load_routing(session: Session) -> None:
    """Add the demo's journey and routing to the demo world, and make its agents available."""
    brand = session.scalars(select(Brand)).one()
    organisations = {o.name: o.id for o in session.scalars(select(Organisation))}
    teams = {t.name: t.id for t in session.scalars(select(Team))}
    stages = create_default_stages(session, brand_id=brand.id)
    touchpoints = {}
    for name, (stage, touch, fallback, sourcing) in TOUCHPOINTS.items():
        touchpoints[name] = create_touchpoint(
            session,
            touchpoint_create=TouchpointCreate(
                stage_id=stages[stage].id,
                name=name,
                touch=touch,
                fallback=fallback,
                sourcing=[
                    SourcingIn(organisation_id=organisations[o], location_band=b, share=s) for o, b, s in sourcing
                ],
            ),
            actor=None,
        )
    for position, (touchpoint, conditions) in enumerate(RULES):
        create_rule(
            session,
            rule_create=RuleCreate(touchpoint_id=touchpoints[touchpoint].id, position=position, **conditions),
            actor=None,
        )
    for name, (channel, queue_touchpoint, members, overflow) in QUEUES.items():
        create_queue(
            session,
            queue_create=QueueCreate(
                brand_id=brand.id,
                name=name,
                channel=channel,
                touchpoint_id=touchpoints[queue_touchpoint].id if queue_touchpoint else None,
                overflow_after_seconds=overflow,
                owner_wait_seconds=600 if channel == "email" else 0,
                teams=[QueueTeamIn(team_id=teams[t], stage=stage, share=share) for t, stage, share in members],
            ),
            actor=None,
        )
    owner = session.scalar(select(Agent).join(User, User.id == Agent.user_id).where(User.email == ACCOUNT_OWNER))
    assert owner is not None  # noqa: S101 - a demo user
    create_group(
        session,
        group_create=CustomerGroupCreate(
            brand_id=brand.id,
            name="Homeplace Retail accounts",
            sellers=["Homeplace Retail"],
            owner_agent_id=owner.id,
            owner_team_id=owner.team_id,
        ),
        actor=None,
    )
    for policy_name, (policy_channel, policy_touchpoint, first, resolution, business) in SLA_POLICIES.items():
        create_policy(
            session,
            policy_create=SlaPolicyCreate(
                brand_id=brand.id,
                name=policy_name,
                channel=policy_channel,
                touchpoint_id=touchpoints[policy_touchpoint].id if policy_touchpoint else None,
                first_response_seconds=first,
                resolution_seconds=resolution,
                business_hours=business,
                time_zone="Europe/Dublin",
                opening_hours=DUBLIN_DAY if business else {},
                escalate_priority=1,
                notify_emails=["lead@lumen.example"],
            ),
            actor=None,
        )
    for agent in session.scalars(select(Agent)):
        set_presence(session, agent=agent, presence="available")


# section: [(label, weight, max points or None for yes/no, pass points, class, auto-fail, may not apply)]
LUMEN_VALUES: dict[str, list[tuple[str, float, int | None, int | None, str | None, bool, bool]]] = {
    "Warm": [
        ("Greets the customer by name and thanks them", 1, None, None, None, False, False),
        ("Shows empathy for the customer's situation", 2, 4, 3, "customer", False, False),
    ],
    "Clear": [
        ("Gives a correct and complete answer", 3, None, None, "customer", False, False),
        ("Explains the next steps and when they happen", 2, 4, None, None, False, False),
    ],
    "Right": [
        ("Records the contact reason and outcome in the hub", 1, None, None, "business", False, False),
        ("Offers the remedy the policy allows (refund, replacement)", 2, None, None, "business", False, True),
        ("Verifies the customer's identity before discussing the account", 2, None, None, "compliance", True, True),
        ("Shares no card or personal data in the reply", 1, None, None, "compliance", True, False),
    ],
}
# the demo's evaluations by the QA analyst: (thread or external id of the conversation, points per criterion)
DEMO_EVALUATIONS = (
    ("<c1@example.ie>", (1, 4, 1, 3, 1, 1, None, 1), "Warm and quick; the replacement was right."),
    ("chat-77", (1, 3, 1, 2, 0, None, 1, 1), "Right answer; the contact reason was not recorded."),
    ("call-5521", (0, 2, 1, 2, 1, None, 0, 1), "Discussed the order before checking who was calling."),
)


def load_scorecard(session: Session) -> None:
    """The brand's "Lumen values" scorecard: warm, clear and right, with COPC error classes."""
    create_scorecard(
        session,
        scorecard_create=ScorecardCreate(
            name="Lumen values",
            description="How Lumen Home wants every customer to feel served: warm, clear and right.",
            sections=[
                SectionIn(
                    title=title,
                    criteria=[
                        CriterionIn(
                            label=label,
                            weight=weight,
                            scale="points" if max_points else "yes_no",
                            max_points=max_points,
                            pass_points=pass_points,
                            error_class=error_class,
                            auto_fail=auto_fail,
                            allow_not_applicable=may_not_apply,
                        )
                        for label, weight, max_points, pass_points, error_class, auto_fail, may_not_apply in criteria
                    ],
                )
                for title, criteria in LUMEN_VALUES.items()
            ],
        ),
        actor=None,
    )


def load_evaluations(session: Session) -> int:
    """A few submitted evaluations of the demo's conversations, one per organisation; returns how many."""
    analyst = user_by_email(session, "qa@lumen.example")
    scorecard = session.scalar(select(Scorecard).where(Scorecard.name == "Lumen values"))
    if analyst is None or scorecard is None:
        return 0
    actor = actor_for_user(session, user=analyst)
    criteria = criteria_of(session, scorecard.id)
    made = 0
    for key, points, comment in DEMO_EVALUATIONS:
        conversation = session.scalar(select(Conversation).where(Conversation.thread_ref == key)) or session.scalar(
            select(Conversation)
            .join(Interaction, Interaction.conversation_id == Conversation.id)
            .where(Interaction.external_id == key)
        )
        if conversation is None:
            continue
        answers = [
            AnswerIn(criterion_id=c.id, points=p, not_applicable=p is None)
            for c, p in zip(criteria, points, strict=True)
        ]
        save_evaluation(
            session,
            conversation=conversation,
            evaluation_save=EvaluationSave(answers=answers, comment=comment, submit=True),
            actor=actor,
        )
        made += 1
    session.execute(delete(Job).where(Job.name == NOTIFY_JOB))  # the demo's people have no mailboxes
    return made
