"""Every role x every API route x own and another organisation: the exact status, nothing else.

The expectations come from the partner-boundary table of the foundation issue: a partner user
sees their own organisation only (anything else is 404), a user in scope without the permission
gets 403. The test fails when a route exists that the table below does not cover.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth import service as auth_service
from cxhub.auth.models import User
from cxhub.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from cxhub.channels.schemas import ChannelSourceCreate
from cxhub.channels.service import create_source
from cxhub.config import get_settings
from cxhub.conversations.models import Conversation
from cxhub.conversations.schemas import CannedResponseCreate
from cxhub.conversations.service import (
    assign_conversation,
    create_canned_response,
    keep_dead_letter,
    store_attachment,
)
from cxhub.customers.merge import merge_customers
from cxhub.customers.models import Customer, CustomerGroup, CustomerIdentity
from cxhub.demo import DEMO_USERS
from cxhub.jobs.models import Job
from cxhub.journeys.models import ClassificationRule, LifecycleStage, Touchpoint
from cxhub.quality.models import CoachingFeedback, Scorecard, SurveyInvitation
from cxhub.routing.models import Queue, SlaPolicy
from cxhub.workforce.models import Agent, Brand, Organisation, Site, Team
from tests.builders import make_match_candidate, make_qa_records

P = Permission
OWN, OTHER, NONE = "own", "other", "none"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    permission: Permission | None  # None: any authenticated user
    scoped: str | None  # the kind of record whose organisation decides the scope
    success: int
    in_house_only: bool = False  # creating organisations and brands is the brand's own business
    needs_agent: bool = False  # about the caller's own agent profile: 409 for users who have none


ROUTES = [
    Route("GET", "/api/v1/me", None, None, 200),
    Route("GET", "/api/v1/brands", P.BRANDS_READ, None, 200),
    Route("POST", "/api/v1/brands", P.BRANDS_MANAGE, None, 201, in_house_only=True),
    Route("GET", "/api/v1/brands/{brand_id}", P.BRANDS_READ, None, 200),
    Route("PATCH", "/api/v1/brands/{brand_id}", P.BRANDS_MANAGE, None, 200),
    Route("GET", "/api/v1/organisations", P.ORGANISATIONS_READ, None, 200),
    Route("POST", "/api/v1/organisations", P.ORGANISATIONS_MANAGE, None, 201, in_house_only=True),
    Route("GET", "/api/v1/organisations/{organisation_id}", P.ORGANISATIONS_READ, "organisation", 200),
    Route("PATCH", "/api/v1/organisations/{organisation_id}", P.ORGANISATIONS_MANAGE, "organisation", 200),
    Route("GET", "/api/v1/sites", P.ORGANISATIONS_READ, None, 200),
    Route("POST", "/api/v1/sites", P.ORGANISATIONS_MANAGE, "new_site", 201),
    Route("GET", "/api/v1/sites/{site_id}", P.ORGANISATIONS_READ, "site", 200),
    Route("PATCH", "/api/v1/sites/{site_id}", P.ORGANISATIONS_MANAGE, "site", 200),
    Route("DELETE", "/api/v1/sites/{site_id}", P.ORGANISATIONS_MANAGE, "empty_site", 204),
    Route("GET", "/api/v1/teams", P.ORGANISATIONS_READ, None, 200),
    Route("POST", "/api/v1/teams", P.ORGANISATIONS_MANAGE, "new_team", 201),
    Route("GET", "/api/v1/teams/{team_id}", P.ORGANISATIONS_READ, "team", 200),
    Route("PATCH", "/api/v1/teams/{team_id}", P.ORGANISATIONS_MANAGE, "team", 200),
    Route("DELETE", "/api/v1/teams/{team_id}", P.ORGANISATIONS_MANAGE, "empty_team", 204),
    Route("GET", "/api/v1/agents", P.AGENTS_READ, None, 200),
    Route("POST", "/api/v1/agents", P.AGENTS_MANAGE, "new_agent", 201),
    Route("GET", "/api/v1/agents/{agent_id}", P.AGENTS_READ, "agent", 200),
    Route("PATCH", "/api/v1/agents/{agent_id}", P.AGENTS_MANAGE, "agent", 200),
    Route("DELETE", "/api/v1/agents/{agent_id}", P.AGENTS_MANAGE, "empty_agent", 204),
    Route("GET", "/api/v1/users", P.USERS_READ, None, 200),
    Route("POST", "/api/v1/users", P.USERS_MANAGE, "new_user", 201),
    Route("GET", "/api/v1/users/{user_id}", P.USERS_READ, "user", 200),
    Route("PATCH", "/api/v1/users/{user_id}", P.USERS_MANAGE, "user", 200),
    Route("POST", "/api/v1/users/{user_id}/password-reset", P.USERS_MANAGE, "user", 200),
    Route("GET", "/api/v1/tokens", P.TOKENS_MANAGE, None, 200),
    Route("POST", "/api/v1/tokens", P.TOKENS_MANAGE, None, 201),
    Route("DELETE", "/api/v1/tokens/{token_id}", P.TOKENS_MANAGE, "token", 200),
    Route("GET", "/api/v1/audit-events", P.AUDIT_READ, None, 200),
    Route("GET", "/api/v1/jobs", P.JOBS_MANAGE, None, 200),
    Route("POST", "/api/v1/interactions", P.INTERACTIONS_CREATE, None, 201),
    Route("GET", "/api/v1/conversations", P.CONVERSATIONS_READ, None, 200),
    Route("GET", "/api/v1/conversations/{conversation_id}", P.CONVERSATIONS_READ, "conversation", 200),
    Route("PUT", "/api/v1/conversations/{conversation_id}/assignment", P.CONVERSATIONS_ASSIGN, "conversation", 200),
    Route("GET", "/api/v1/conversations/{conversation_id}/interactions", P.CONVERSATIONS_READ, "conversation", 200),
    Route("PATCH", "/api/v1/conversations/{conversation_id}", P.CONVERSATIONS_REPLY, "conversation", 200),
    Route("POST", "/api/v1/conversations/{conversation_id}/notes", P.CONVERSATIONS_REPLY, "conversation", 201),
    Route("POST", "/api/v1/conversations/{conversation_id}/replies", P.CONVERSATIONS_REPLY, "conversation", 201),
    Route("POST", "/api/v1/conversations/{conversation_id}/attachments", P.CONVERSATIONS_REPLY, "conversation", 201),
    Route("GET", "/api/v1/attachments/{attachment_id}", P.CONVERSATIONS_READ, "conversation", 200),
    Route("GET", "/api/v1/search", P.CONVERSATIONS_READ, None, 200),
    Route("GET", "/api/v1/dead-letters", P.DEAD_LETTERS_READ, None, 200),
    Route("POST", "/api/v1/dead-letters/{dead_letter_id}/replay", P.DEAD_LETTERS_REPLAY, None, 200),
    Route("GET", "/api/v1/channel-sources", P.CHANNELS_MANAGE, None, 200),
    Route("POST", "/api/v1/channel-sources", P.CHANNELS_MANAGE, None, 201),
    Route("POST", "/api/v1/webhooks/{source_name}", None, None, 401),  # a token is no signature
    Route("POST", "/api/v1/jobs/{job_id}/requeue", P.JOBS_MANAGE, None, 200),
    Route("GET", "/api/v1/lifecycle-stages", P.JOURNEYS_READ, None, 200),
    Route("POST", "/api/v1/lifecycle-stages", P.JOURNEYS_MANAGE, None, 201, in_house_only=True),
    Route("PATCH", "/api/v1/lifecycle-stages/{stage_id}", P.JOURNEYS_MANAGE, None, 200, in_house_only=True),
    Route("DELETE", "/api/v1/lifecycle-stages/{stage_id}", P.JOURNEYS_MANAGE, None, 204, in_house_only=True),
    Route("GET", "/api/v1/touchpoints", P.JOURNEYS_READ, None, 200),
    Route("POST", "/api/v1/touchpoints", P.JOURNEYS_MANAGE, None, 201, in_house_only=True),
    Route("GET", "/api/v1/touchpoints/{touchpoint_id}", P.JOURNEYS_READ, None, 200),
    Route("PATCH", "/api/v1/touchpoints/{touchpoint_id}", P.JOURNEYS_MANAGE, None, 200, in_house_only=True),
    Route("DELETE", "/api/v1/touchpoints/{touchpoint_id}", P.JOURNEYS_MANAGE, None, 204, in_house_only=True),
    Route("GET", "/api/v1/classification-rules", P.JOURNEYS_READ, None, 200),
    Route("POST", "/api/v1/classification-rules", P.JOURNEYS_MANAGE, None, 201, in_house_only=True),
    Route("DELETE", "/api/v1/classification-rules/{rule_id}", P.JOURNEYS_MANAGE, None, 204, in_house_only=True),
    Route("PUT", "/api/v1/conversations/{conversation_id}/touchpoint", P.CONVERSATIONS_CLASSIFY, "conversation", 200),
    Route("GET", "/api/v1/queues", P.ROUTING_READ, None, 200),
    Route("POST", "/api/v1/queues", P.ROUTING_MANAGE, None, 201, in_house_only=True),
    Route("GET", "/api/v1/queues/{queue_id}", P.ROUTING_READ, None, 200),
    Route("PUT", "/api/v1/queues/{queue_id}", P.ROUTING_MANAGE, None, 200, in_house_only=True),
    Route("DELETE", "/api/v1/queues/{queue_id}", P.ROUTING_MANAGE, None, 204, in_house_only=True),
    Route("PUT", "/api/v1/me/presence", P.ROUTING_WORK, None, 200, needs_agent=True),
    Route("POST", "/api/v1/me/next", P.ROUTING_WORK, None, 200, needs_agent=True),
    Route("GET", "/api/v1/customer-groups", P.ROUTING_READ, None, 200),
    Route("POST", "/api/v1/customer-groups", P.ROUTING_MANAGE, None, 201, in_house_only=True),
    Route("DELETE", "/api/v1/customer-groups/{group_id}", P.ROUTING_MANAGE, None, 204, in_house_only=True),
    Route("GET", "/api/v1/canned-responses", P.CONVERSATIONS_REPLY, None, 200),
    Route("POST", "/api/v1/canned-responses", P.CANNED_RESPONSES_MANAGE, None, 201, in_house_only=True),
    Route(
        "DELETE",
        "/api/v1/canned-responses/{canned_response_id}",
        P.CANNED_RESPONSES_MANAGE,
        None,
        204,
        in_house_only=True,
    ),
    Route("POST", "/api/v1/conversations/{conversation_id}/transfer", P.CONVERSATIONS_REPLY, "conversation", 200),
    Route("GET", "/api/v1/sla-policies", P.ROUTING_READ, None, 200),
    Route("POST", "/api/v1/sla-policies", P.ROUTING_MANAGE, None, 201, in_house_only=True),
    Route("PUT", "/api/v1/sla-policies/{policy_id}", P.ROUTING_MANAGE, None, 200, in_house_only=True),
    Route("DELETE", "/api/v1/sla-policies/{policy_id}", P.ROUTING_MANAGE, None, 204, in_house_only=True),
    Route("POST", "/api/v1/customers/merges", P.CUSTOMERS_MERGE, None, 201, in_house_only=True),
    Route("POST", "/api/v1/customers/merges/{merge_id}/undo", P.CUSTOMERS_MERGE, None, 200, in_house_only=True),
    Route("GET", "/api/v1/customers/{customer_id}/merges", P.CUSTOMERS_MERGE, None, 200, in_house_only=True),
    Route("GET", "/api/v1/customers/match-candidates", P.CUSTOMERS_MERGE, None, 200, in_house_only=True),
    Route(
        "POST",
        "/api/v1/customers/match-candidates/{candidate_id}/accept",
        P.CUSTOMERS_MERGE,
        None,
        200,
        in_house_only=True,
    ),
    Route(
        "POST",
        "/api/v1/customers/match-candidates/{candidate_id}/reject",
        P.CUSTOMERS_MERGE,
        None,
        200,
        in_house_only=True,
    ),
    Route("GET", "/api/v1/customers/match-thresholds", P.CUSTOMERS_MERGE, None, 200, in_house_only=True),
    Route("PUT", "/api/v1/customers/match-thresholds", P.CUSTOMERS_MERGE, None, 200, in_house_only=True),
    Route("GET", "/api/v1/customers/{customer_id}", P.CONVERSATIONS_READ, "conversation", 200),
    Route("GET", "/api/v1/customers/{customer_id}/profile", P.CONVERSATIONS_READ, "conversation", 200),
    Route("GET", "/api/v1/customers/{customer_id}/timeline", P.CONVERSATIONS_READ, "conversation", 200),
    Route("GET", "/api/v1/customers/{customer_id}/export", P.CUSTOMERS_PRIVACY, None, 200, in_house_only=True),
    Route("POST", "/api/v1/customers/{customer_id}/erase", P.CUSTOMERS_PRIVACY, None, 200, in_house_only=True),
    Route("GET", "/api/v1/customers/{customer_id}/consents", P.CUSTOMERS_CONSENTS, None, 200, in_house_only=True),
    Route("PUT", "/api/v1/customers/{customer_id}/consents", P.CUSTOMERS_CONSENTS, None, 200, in_house_only=True),
    Route("GET", "/api/v1/retention-rules", P.CUSTOMERS_PRIVACY, None, 200, in_house_only=True),
    Route("PUT", "/api/v1/retention-rules", P.CUSTOMERS_PRIVACY, None, 200, in_house_only=True),
    Route("GET", "/api/v1/metrics", P.METRICS_READ, None, 200),
    Route("GET", "/api/v1/metrics/service-level-thresholds", P.METRICS_READ, None, 200),
    Route("PUT", "/api/v1/metrics/service-level-thresholds/{channel}", P.METRICS_MANAGE, None, 200, in_house_only=True),
    Route("POST", "/api/v1/survey-answers", P.INTERACTIONS_CREATE, None, 201),
    Route("GET", "/api/v1/metrics/consistency-gap", P.METRICS_READ, None, 200),
    Route("PUT", "/api/v1/metrics/gap-margins/{metric}", P.METRICS_MANAGE, None, 204, in_house_only=True),
    Route("GET", "/api/v1/metrics/gap-alerts", P.METRICS_READ, None, 200),
    Route("GET", "/api/v1/survey-policies", P.SURVEYS_MANAGE, None, 200, in_house_only=True),
    Route("PUT", "/api/v1/survey-policies", P.SURVEYS_MANAGE, None, 200, in_house_only=True),
    Route("GET", "/api/v1/coaching-feedback", P.COACHING_READ, None, 200),
    Route("POST", "/api/v1/coaching-feedback/{feedback_id}/acknowledge", P.COACHING_READ, "coaching", 200),
    Route("GET", "/api/v1/scorecards", None, None, 200),
    Route("POST", "/api/v1/scorecards", P.QA_MANAGE, None, 201, in_house_only=True),
    Route("GET", "/api/v1/scorecards/{scorecard_id}", None, None, 200),
    Route("PUT", "/api/v1/scorecards/{scorecard_id}", P.QA_MANAGE, None, 200, in_house_only=True),
    Route("GET", "/api/v1/evaluations", P.QA_EVALUATE, None, 200),
    Route("PUT", "/api/v1/conversations/{conversation_id}/evaluation", P.QA_EVALUATE, "conversation", 200),
    Route("GET", "/api/v1/evaluations/{evaluation_id}", P.QA_EVALUATE, "evaluation", 200),
    Route("POST", "/api/v1/evaluations/{evaluation_id}/settlement", P.QA_EVALUATE, "evaluation", 200),
    Route("GET", "/api/v1/me/evaluations", P.QA_DISPUTE, None, 200, needs_agent=True),
    Route("GET", "/api/v1/me/evaluations/{evaluation_id}", P.QA_DISPUTE, None, 200, needs_agent=True),
    Route("POST", "/api/v1/me/evaluations/{evaluation_id}/dispute", P.QA_DISPUTE, None, 200, needs_agent=True),
    Route("POST", "/api/v1/evaluation-samples", P.QA_EVALUATE, None, 201),
    Route("GET", "/api/v1/evaluation-queue", P.QA_EVALUATE, None, 200),
    Route("POST", "/api/v1/calibration-sessions", P.QA_MANAGE, None, 201, in_house_only=True),
    Route("GET", "/api/v1/calibration-sessions", P.QA_MANAGE, None, 200, in_house_only=True),
    Route("GET", "/api/v1/calibration-sessions/{session_id}", P.QA_MANAGE, "calibration", 200, in_house_only=True),
    Route(
        "GET", "/api/v1/calibration-sessions/{session_id}/report", P.QA_MANAGE, "calibration", 200, in_house_only=True
    ),
    Route("GET", "/api/v1/me/calibration-sessions", P.QA_EVALUATE, None, 200),
    Route("GET", "/api/v1/me/calibration-sessions/{session_id}", P.QA_EVALUATE, "calibration", 200),
]


def expected(route: Route, role: Role, is_partner: bool, target: str) -> int:
    """The boundary rules, in the order the issue states them."""
    new_record = route.scoped is not None and route.scoped.startswith("new_")
    if route.scoped and not new_record and is_partner and target == OTHER:
        return 404  # not theirs: never a hint that it exists
    if route.scoped == "token" and target == OTHER:
        return 404  # another user's token
    if route.permission is not None and route.permission not in ROLE_PERMISSIONS[role]:
        return 403
    if route.in_house_only and is_partner:
        return 403
    if new_record and is_partner and target == OTHER:
        return 422  # the organisation, site or team named in the body is unknown to them
    if route.needs_agent and role not in (Role.AGENT, Role.TEAM_LEAD):
        return 409  # only agents and team leads have agent profiles in the demo
    if route.scoped == "coaching" and target == OTHER and role in (Role.AGENT, Role.TEAM_LEAD):
        return 404  # a customer's feedback reaches its agent and their coach, no other agent or team
    return route.success


@dataclass
class Records:
    by_org: dict[str, dict[str, str]]  # organisation name -> kind -> id
    brand_id: str
    tokens: dict[str, str]  # user e-mail -> a token id of theirs
    dead_job_id: str
    dead_letter_id: str
    journey: dict[str, str]  # a stage with no touchpoints, a touchpoint no queue serves, a rule, a queue, a group
    feedback: dict[str, str]  # a demo user's e-mail -> coaching feedback for their own agent profile, if any
    evaluations: dict[str, str] = field(default_factory=dict)  # user e-mail -> an evaluation of their own work


@pytest.fixture
def records(world: Session) -> Records:
    by_org: dict[str, dict[str, str]] = {}
    brand = world.scalars(select(Brand)).one()
    for org in world.scalars(select(Organisation)):
        site = world.scalars(select(Site).where(Site.organisation_id == org.id).order_by(Site.id)).first()
        assert site is not None
        team = world.scalars(select(Team).where(Team.organisation_id == org.id)).first()
        agent = world.scalars(select(Agent).where(Agent.organisation_id == org.id)).first()
        user = world.scalars(select(User).where(User.organisation_id == org.id)).first()
        assert team
        assert agent
        assert user
        empty_site = Site(
            organisation_id=org.id,
            name="Spare",
            city="Spare",
            country=org.country,
            time_zone=site.time_zone,
            location_band=site.location_band,
        )
        world.add(empty_site)
        world.flush()
        empty_team = Team(organisation_id=org.id, site_id=site.id, name="Spare team")
        spare_user = User(email=f"spare@{org.id}.example", name="Spare Person", role="agent", organisation_id=org.id)
        idle_user = User(email=f"idle@{org.id}.example", name="Idle Person", role="agent", organisation_id=org.id)
        world.add_all([empty_team, spare_user, idle_user])
        world.flush()
        empty_agent = Agent(user_id=idle_user.id, team_id=team.id, organisation_id=org.id)  # no history: deletable
        world.add(empty_agent)
        world.flush()
        customer = Customer(brand_id=brand.id, name="Jane Doe")
        world.add(customer)
        world.flush()
        world.add(
            CustomerIdentity(
                brand_id=brand.id, customer_id=customer.id, kind="email", value=f"jane@{org.id}.example", source="api"
            )
        )
        conversation = Conversation(brand_id=brand.id, customer_id=customer.id, channel="chat")
        world.add(conversation)
        world.flush()
        assign_conversation(world, conversation=conversation, organisation_id=org.id)
        attachment = store_attachment(
            world,
            conversation=conversation,
            filename="receipt.txt",
            content_type="text/plain",
            data=b"receipt",
            storage=get_settings().file_storage(),
            settings=get_settings(),
        )
        by_org[org.name] = {
            "organisation": org.id,
            "site": site.id,
            "team": team.id,
            "agent": agent.id,
            "user": user.id,
            "empty_site": empty_site.id,
            "empty_team": empty_team.id,
            "spare_user": spare_user.id,
            "empty_agent": empty_agent.id,
            "conversation": conversation.id,
            "attachment": attachment.id,
            "customer": customer.id,
        }
    tokens = {}
    for demo_user in DEMO_USERS:
        user = world.scalar(select(User).where(User.email == demo_user.email))
        assert user is not None
        api_token, _ = auth_service.create_api_token(world, user=user, name="matrix", actor=None)
        tokens[demo_user.email] = api_token.id
    job = Job(name="matrix.example", payload={}, status="dead", attempts=5, max_attempts=5)
    world.add(job)
    dead_letter = keep_dead_letter(
        world, source="api.interactions", content_type="application/json", raw=b"{", reason="x"
    )
    create_source(world, source_create=ChannelSourceCreate(name="matrix", adapter="api"), actor=None)
    world.commit()
    canned = create_canned_response(
        world, canned_response_create=CannedResponseCreate(title="Matrix", text="Hello {customer_name}"), actor=None
    )
    twins = [Customer(brand_id=brand.id, name=f"Twin {n}") for n in (1, 2)]
    world.add_all(twins)
    world.flush()
    merge = merge_customers(world, survivor_id=twins[0].id, merged_id=twins[1].id, decided_by="manual", actor=None)
    world.commit()
    doubtful = [Customer(brand_id=brand.id, name=f"Doubtful {n}") for n in (1, 2)]
    world.add_all(doubtful)
    world.commit()
    candidate = make_match_candidate(world, left=doubtful[0].id, right=doubtful[1].id)
    journey = {
        "merge": merge.id,
        "candidate": candidate.id,
        "canned": canned.id,
        "stage": world.scalars(select(LifecycleStage).where(LifecycleStage.name == "renew")).one().id,
        "touchpoint": world.scalars(select(Touchpoint).where(Touchpoint.name == "pre-sale question")).one().id,
        "fallback": world.scalars(select(Touchpoint).where(Touchpoint.fallback.is_(True))).one().id,
        "rule": world.scalars(select(ClassificationRule).order_by(ClassificationRule.id)).first().id,  # type: ignore[union-attr]
        "queue": world.scalars(select(Queue).where(Queue.name == "E-mail")).one().id,
        "group": world.scalars(select(CustomerGroup)).first().id,  # type: ignore[union-attr]
        "team": world.scalars(select(Team).where(Team.name == "Dublin Care")).one().id,
        "policy": world.scalars(select(SlaPolicy).where(SlaPolicy.name == "Chat: answer within 2 minutes")).one().id,
    }
    qa_by_org, own_evaluations = make_qa_records(world, agents=[u.email for u in DEMO_USERS])
    for name, qa_ids in qa_by_org.items():
        by_org[name].update(qa_ids)
    journey["scorecard"] = world.scalars(select(Scorecard)).one().id
    journey["qa"] = world.scalars(select(User).where(User.email == "qa@lumen.example")).one().id
    journey["lead"] = world.scalars(select(User).where(User.email == "lead@lumen.example")).one().id
    feedback = _feedback(world, brand.id)
    return Records(by_org, brand.id, tokens, job.id, dead_letter.id, journey, feedback, own_evaluations)


def _feedback(world: Session, brand_id: str) -> dict[str, str]:
    """Coaching feedback a customer left for each demo agent and team lead."""
    found = {}
    demo_agents = select(Agent, User.email).join(User, User.id == Agent.user_id)
    for agent, email in world.execute(demo_agents.where(User.email.in_([u.email for u in DEMO_USERS]))):
        customer = Customer(brand_id=brand_id, name="Coached Customer")
        world.add(customer)
        world.flush()
        conversation = Conversation(brand_id=brand_id, customer_id=customer.id, channel="email", status="resolved")
        world.add(conversation)
        world.flush()
        assign_conversation(world, conversation=conversation, organisation_id=agent.organisation_id)
        invitation = SurveyInvitation(
            brand_id=brand_id,
            conversation_id=conversation.id,
            customer_id=customer.id,
            channel="email",
            outcome="answered",
            agent_id=agent.id,
            organisation_id=agent.organisation_id,
        )
        world.add(invitation)
        world.flush()
        feedback = CoachingFeedback(
            brand_id=brand_id,
            conversation_id=conversation.id,
            invitation_id=invitation.id,
            agent_id=agent.id,
            organisation_id=agent.organisation_id,
            kind="encouragement",
            text="Thank you!",
        )
        world.add(feedback)
        world.flush()
        found[email] = feedback.id
    world.commit()
    return found


def _feedback_id(records: Records, email: str, own_org: str, target: str) -> str:
    """Feedback for the user's own agent profile, else for an agent of the organisation (own or the other)."""
    if target == OWN and email in records.feedback:
        return records.feedback[email]
    org_name = own_org if target == OWN else OTHER_ORG[own_org]
    return next(
        records.feedback[u.email] for u in DEMO_USERS if u.organisation == org_name and u.email in records.feedback
    )


OTHER_ORG = {"Lumen Care": "Pacific Contact", "Atlantic CX": "Pacific Contact", "Pacific Contact": "Atlantic CX"}


def _request(route: Route, records: Records, email: str, own_org: str, target: str) -> tuple[str, Any]:
    org_name = own_org if target == OWN else OTHER_ORG[own_org]
    ids = records.by_org[org_name]
    path = route.path.format(
        brand_id=records.brand_id,
        organisation_id=ids["organisation"],
        site_id=ids["empty_site" if route.scoped == "empty_site" else "site"],
        team_id=ids["empty_team" if route.scoped == "empty_team" else "team"],
        agent_id=ids["empty_agent" if route.scoped == "empty_agent" else "agent"],
        user_id=ids["user"],
        conversation_id=ids["conversation"],
        attachment_id=ids["attachment"],
        customer_id=ids["customer"],
        dead_letter_id=records.dead_letter_id,
        source_name="matrix",
        job_id=records.dead_job_id,
        token_id=records.tokens[email if target == OWN else next(e for e in records.tokens if e != email)],
        stage_id=records.journey["stage"],
        touchpoint_id=records.journey["touchpoint"],
        rule_id=records.journey["rule"],
        queue_id=records.journey["queue"],
        group_id=records.journey["group"],
        policy_id=records.journey["policy"],
        canned_response_id=records.journey["canned"],
        merge_id=records.journey["merge"],
        candidate_id=records.journey["candidate"],
        feedback_id=_feedback_id(records, email, own_org, target),
        channel="voice",
        metric="csat",
        scorecard_id=records.journey["scorecard"],
        # an agent's own evaluation, whichever the target: other agents' are simply not theirs (tested apart)
        evaluation_id=records.evaluations.get(email, ids["evaluation"])
        if route.path.startswith(("/api/v1/me/", "/qa/mine/"))
        else ids["evaluation"],
        session_id=ids["calibration"],
    )
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/api/v1/brands"): {"name": "Lumen Outdoor", "home_country": "IE", "time_zone": "Europe/Dublin"},
        ("PATCH", "/api/v1/brands/{brand_id}"): {"time_zone": "Europe/London"},
        ("POST", "/api/v1/organisations"): {"name": "Andes Service", "kind": "outsourced", "country": "CO"},
        ("PATCH", "/api/v1/organisations/{organisation_id}"): {"country": "ES"},
        ("POST", "/api/v1/sites"): {
            "organisation_id": ids["organisation"],
            "name": "New",
            "city": "Porto",
            "country": "PT",
            "time_zone": "Europe/Lisbon",
            "location_band": "nearshore",
        },
        ("PATCH", "/api/v1/sites/{site_id}"): {"city": "Cork"},
        ("POST", "/api/v1/teams"): {"site_id": ids["site"], "name": "New team", "channels": ["chat"]},
        ("PATCH", "/api/v1/teams/{team_id}"): {"skills": ["billing"]},
        ("POST", "/api/v1/agents"): {"user_id": ids["spare_user"], "team_id": ids["team"]},
        ("PATCH", "/api/v1/agents/{agent_id}"): {"max_concurrent": {"chat": 2}},
        ("POST", "/api/v1/users"): {
            "email": "new.person@example.com",
            "name": "New Person",
            "role": "agent",
            "organisation_id": ids["organisation"],
            "password": "a-long-password",
        },
        ("PATCH", "/api/v1/users/{user_id}"): {"name": "Renamed Person"},
        ("POST", "/api/v1/users/{user_id}/password-reset"): {"temporary_password": "temporary-password"},
        ("POST", "/api/v1/tokens"): {"name": "matrix"},
        ("PUT", "/api/v1/conversations/{conversation_id}/assignment"): {"organisation_id": ids["organisation"]},
        ("PATCH", "/api/v1/conversations/{conversation_id}"): {"status": "resolved", "tags": ["vip"]},
        ("POST", "/api/v1/conversations/{conversation_id}/notes"): {"text": "Called the courier."},
        ("POST", "/api/v1/conversations/{conversation_id}/replies"): {"text": "It ships today."},
        ("POST", "/api/v1/channel-sources"): {"name": f"matrix-{target}", "adapter": "voice"},
        ("POST", "/api/v1/lifecycle-stages"): {"name": f"loyalty {target}"},
        ("PATCH", "/api/v1/lifecycle-stages/{stage_id}"): {"position": 9},
        ("POST", "/api/v1/touchpoints"): {"stage_id": records.journey["stage"], "name": f"renewal {target}"},
        ("PATCH", "/api/v1/touchpoints/{touchpoint_id}"): {"touch": "high_tech"},
        ("POST", "/api/v1/classification-rules"): {"touchpoint_id": records.journey["touchpoint"], "pattern": "stock"},
        ("PUT", "/api/v1/conversations/{conversation_id}/touchpoint"): {"touchpoint_id": records.journey["fallback"]},
        ("POST", "/api/v1/queues"): {"name": f"Matrix {target}"},
        ("PUT", "/api/v1/queues/{queue_id}"): {
            "name": "E-mail",
            "channel": "email",
            "teams": [{"team_id": records.journey["team"]}],
        },
        ("PUT", "/api/v1/me/presence"): {"presence": "busy"},
        ("POST", "/api/v1/canned-responses"): {"title": f"Matrix {target}", "text": "Hello"},
        ("POST", "/api/v1/conversations/{conversation_id}/transfer"): {"queue_id": records.journey["queue"]},
        ("POST", "/api/v1/customers/merges"): {
            "survivor_id": records.by_org["Lumen Care"]["customer"],
            "merged_id": records.by_org["Atlantic CX"]["customer"],
            "reason": "the same person",
        },
        ("POST", "/api/v1/customers/merges/{merge_id}/undo"): {"reason": "two people after all"},
        ("PUT", "/api/v1/customers/match-thresholds"): [{"auto_merge": 0.98, "review": 0.7}],
        ("POST", "/api/v1/customers/{customer_id}/erase"): {"reason": "the customer asked"},
        ("PUT", "/api/v1/customers/{customer_id}/consents"): {
            "consents": [{"purpose": "surveys", "granted": False}],
            "source": "phone call",
        },
        ("PUT", "/api/v1/retention-rules"): {"rules": [{"record_type": "notes", "days": 90}]},
        ("POST", "/api/v1/sla-policies"): {"name": f"Matrix {target}", "first_response_seconds": 60},
        ("PUT", "/api/v1/sla-policies/{policy_id}"): {
            "name": "Chat: answer within 2 minutes",
            "first_response_seconds": 90,
        },
        ("POST", "/api/v1/customer-groups"): {
            "name": f"Matrix {target}",
            "countries": ["IE"],
            "owner_team_id": records.journey["team"],
        },
        ("PUT", "/api/v1/metrics/service-level-thresholds/{channel}"): {"seconds": 30},
        ("PUT", "/api/v1/metrics/gap-margins/{metric}"): {"margin": 0.1},
        ("POST", "/api/v1/survey-answers"): {
            "conversation_id": ids["conversation"],
            "question": "csat",
            "score": 5,
            "answered_at": "2026-11-20T10:00:00+00:00",
        },
        ("PUT", "/api/v1/survey-policies"): {"policies": [{"channel": "email", "sampling_rate": 0.5}]},
        ("POST", "/api/v1/coaching-feedback/{feedback_id}/acknowledge"): {"action": "Talked it through."},
        ("POST", "/api/v1/scorecards"): {
            "name": f"Matrix {target}",
            "sections": [{"title": "All", "criteria": [{"label": "Solves it", "weight": 1}]}],
        },
        ("PUT", "/api/v1/scorecards/{scorecard_id}"): {
            "name": "Lumen values",
            "sections": [{"title": "All", "criteria": [{"label": "Solves it", "weight": 1}]}],
        },
        ("PUT", "/api/v1/conversations/{conversation_id}/evaluation"): {"answers": [], "comment": "a start"},
        ("POST", "/api/v1/evaluations/{evaluation_id}/settlement"): {"outcome": "upheld", "reason": "It stands."},
        ("POST", "/api/v1/me/evaluations/{evaluation_id}/dispute"): {"reason": "The customer asked for it."},
        ("POST", "/api/v1/evaluation-samples"): {"first_day": "2026-11-01", "last_day": "2026-11-30", "size": 2},
        ("POST", "/api/v1/calibration-sessions"): {
            "title": f"Matrix {target}",
            "conversation_ids": [ids["conversation"]],
            "evaluator_user_ids": [records.journey["qa"], records.journey["lead"]],
        },
        ("POST", "/api/v1/interactions"): {
            "channel": "chat",
            "external_id": f"matrix-{email}-{target}",
            "occurred_at": "2026-11-20T09:00:00+00:00",
            "direction": "inbound",
            "customer": {"visitor_id": "matrix-visitor"},
        },
    }
    if route.path == "/api/v1/search":
        path += "?q=Jane&kind=customers"
    if route.path == "/api/v1/metrics":
        path += "?from=2026-11-01&to=2026-11-30&by=organisation"
    if route.path == "/api/v1/metrics/consistency-gap":
        path += "?from=2026-11-01&to=2026-11-30"
    return path, bodies.get((route.method, route.path))


def test_the_table_covers_every_api_route(app: FastAPI) -> None:
    documented = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if path.startswith("/api/")
    }
    assert documented == {(r.method, r.path) for r in ROUTES}


CASES = [(u.email, u.role, u.organisation, target) for u in DEMO_USERS for target in (OWN, OTHER)]


@pytest.mark.postgres
@pytest.mark.parametrize(("email", "role", "organisation", "target"), CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_access_matrix(
    client: TestClient,
    connection: Any,
    token_for: Any,
    records: Records,
    email: str,
    role: Role,
    organisation: str,
    target: str,
) -> None:
    headers = token_for(email)
    is_partner = organisation != "Lumen Care"
    mismatches = []
    for route in ROUTES:
        path, body = _request(route, records, email, organisation, target)
        savepoint = connection.begin_nested()  # every request starts from the same world
        if route.path.endswith("/attachments"):
            response = client.post(path, headers=headers, files={"file": ("note.txt", b"hello", "text/plain")})
        else:
            response = client.request(route.method, path, headers=headers, json=body)
        savepoint.rollback()
        want = expected(route, role, is_partner, target)
        if response.status_code != want:
            mismatches.append(f"{route.method} {route.path}: {response.status_code} != {want} {response.text[:160]}")
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
    assert mismatches == []


@pytest.mark.parametrize("email", ["agent@atlantic.example", "lead@atlantic.example", "agent@pacific.example"])
def test_partner_lists_hold_nothing_of_another_organisation(
    client: TestClient, token_for: Any, records: Records, email: str
) -> None:
    headers = token_for(email)
    own = next(u.organisation for u in DEMO_USERS if u.email == email)
    own_id = records.by_org[own]["organisation"]
    for path in ("/api/v1/organisations", "/api/v1/sites", "/api/v1/teams", "/api/v1/agents"):
        items = client.get(path, params={"limit": 200}, headers=headers).json()["items"]
        assert items, path
        assert {i.get("organisation_id", i["id"]) for i in items} == {own_id}, path


PAGES = [
    Route("GET", "/", None, None, 200),
    Route("GET", "/organisations", P.ORGANISATIONS_READ, None, 200),
    Route("GET", "/organisations/{organisation_id}", P.ORGANISATIONS_READ, "organisation", 200),
    Route("GET", "/agents", P.AGENTS_READ, None, 200),
    Route("GET", "/agents/{agent_id}", P.AGENTS_READ, "agent", 200),
    Route("GET", "/users", P.USERS_READ, None, 200),
    Route("GET", "/tokens", P.TOKENS_MANAGE, None, 200),
    Route("GET", "/audit", P.AUDIT_READ, None, 200),
    Route("GET", "/jobs", P.JOBS_MANAGE, None, 200),
    Route("GET", "/conversations", P.CONVERSATIONS_READ, None, 200),
    Route("GET", "/conversations/{conversation_id}", P.CONVERSATIONS_READ, "conversation", 200),
    Route("GET", "/customers/{customer_id}", P.CONVERSATIONS_READ, "conversation", 200),
    Route("GET", "/channels", P.CHANNELS_MANAGE, None, 200),
    Route("GET", "/inbox", P.ROUTING_WORK, None, 200, needs_agent=True),
    Route("GET", "/queues", P.ROUTING_READ, None, 200),
    Route("GET", "/search", P.CONVERSATIONS_READ, None, 200),
    Route("GET", "/customers/{customer_id}/privacy", P.CUSTOMERS_CONSENTS, None, 200, in_house_only=True),
    Route("GET", "/customers/{customer_id}/export.html", P.CUSTOMERS_PRIVACY, None, 200, in_house_only=True),
    Route("GET", "/metrics", P.METRICS_READ, None, 200),
    Route("GET", "/metrics/heatmap", P.METRICS_READ, None, 200),
    Route("GET", "/metrics/surveys", P.METRICS_READ, None, 200),
    Route("GET", "/metrics/coaching", P.METRICS_READ, None, 200),
    Route("GET", "/metrics/agents/{agent_id}", P.METRICS_READ, "agent", 200),
    Route("GET", "/coaching", P.COACHING_READ, None, 200),
    Route("GET", "/settings/surveys", P.SURVEYS_MANAGE, None, 200, in_house_only=True),
    Route("GET", "/qa", P.QA_EVALUATE, None, 200),
    Route("GET", "/qa/evaluations", P.QA_EVALUATE, None, 200),
    Route("GET", "/qa/evaluations/{evaluation_id}", P.QA_EVALUATE, "evaluation", 200),
    Route("GET", "/qa/conversations/{conversation_id}", P.QA_EVALUATE, "conversation", 200),
    Route("GET", "/qa/mine", P.QA_DISPUTE, None, 200, needs_agent=True),
    Route("GET", "/qa/mine/{evaluation_id}", P.QA_DISPUTE, None, 200, needs_agent=True),
    Route("GET", "/qa/scorecards", P.QA_MANAGE, None, 200, in_house_only=True),
    Route("GET", "/qa/scorecards/new", P.QA_MANAGE, None, 200, in_house_only=True),
    Route("GET", "/qa/scorecards/{scorecard_id}", P.QA_MANAGE, None, 200, in_house_only=True),
    Route("GET", "/qa/calibration", P.QA_MANAGE, None, 200, in_house_only=True),
    Route("GET", "/qa/calibration/{session_id}", P.QA_MANAGE, "calibration", 200, in_house_only=True),
    Route("GET", "/qa/calibration/{session_id}/mine", P.QA_EVALUATE, "calibration", 200),
]


@pytest.mark.postgres
@pytest.mark.parametrize(("email", "role", "organisation", "target"), CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_page_access_matrix(
    login: Any, records: Records, email: str, role: Role, organisation: str, target: str
) -> None:
    client = login(email)
    is_partner = organisation != "Lumen Care"
    mismatches = []
    for route in PAGES:
        path, _ = _request(route, records, email, organisation, target)
        response = client.get(path, follow_redirects=False)
        want = expected(route, role, is_partner, target)
        if response.status_code != want:
            mismatches.append(f"GET {route.path}: {response.status_code} != {want}")
        if want == 404:
            other = OTHER_ORG[organisation]
            assert other not in response.text
    assert mismatches == []
