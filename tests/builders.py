"""Typed builders for test data that the API cannot make yet."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.models import User
from cxhub.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from cxhub.conversations.models import Conversation
from cxhub.conversations.service import assign_conversation
from cxhub.customers.models import Customer, MatchCandidate
from cxhub.kit.time import utcnow
from cxhub.quality.models import (
    CalibrationConversation,
    CalibrationEvaluator,
    CalibrationSession,
    Evaluation,
    EvaluationChange,
    Scorecard,
)
from cxhub.workforce.models import Agent, Brand, Organisation


def queue_for(session: Session, conversation_id: str, organisation: str) -> None:
    """Queue a conversation for the named organisation and commit (routing decides this later)."""
    conversation = session.get(Conversation, conversation_id)
    org = session.scalar(select(Organisation).where(Organisation.name == organisation))
    assert conversation is not None
    assert org is not None
    assign_conversation(session, conversation=conversation, organisation_id=org.id)
    session.commit()


EVIDENCE = [  # one field of each kind of agreement
    {"field": "first_name", "left": "ann", "right": "ann", "level": 4, "weight": 2.1},
    {"field": "last_name", "left": "byrne", "right": "byrn", "level": 2, "weight": 1.4},
    {"field": "email", "left": "ann.byrne@example.ie", "right": "ann@byrne-design.ie", "level": 0, "weight": -1.2},
    {"field": "phone", "left": None, "right": None, "level": -1, "weight": 0.0},
]


def make_match_candidate(
    session: Session, *, left: str, right: str, probability: float = 0.93, sources: tuple[str, str] = ("chat", "email")
) -> MatchCandidate:
    """A pair as `cxhub customers resolve` queues it for review (the smaller id on the left), committed."""
    customer = session.get(Customer, left)
    assert customer is not None
    (l_id, l_source), (r_id, r_source) = sorted([(left, sources[0]), (right, sources[1])])
    candidate = MatchCandidate(
        brand_id=customer.brand_id,
        customer_id_l=l_id,
        customer_id_r=r_id,
        source_l=l_source,
        source_r=r_source,
        match_probability=probability,
        match_weight=3.7,
        model_version=1,
        evidence={"fields": EVIDENCE},
    )
    session.add(candidate)
    session.commit()
    return candidate


def make_qa_records(session: Session, *, agents: Collection[str]) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """What the QA routes act on, committed. Per organisation: a disputed evaluation of its work and a calibration
    session on one of its conversations that every in-house evaluator and its own evaluators have scored. Per
    user named in `agents` (e-mails) who has an agent profile: a submitted evaluation of their own work."""
    brand = session.scalars(select(Brand)).one()
    scorecard = session.scalars(select(Scorecard).where(Scorecard.name == "Lumen values")).one()
    organisations = list(session.scalars(select(Organisation).order_by(Organisation.name)))
    users = list(session.scalars(select(User).order_by(User.email)))
    analyst = next(u for u in users if u.email == "qa@lumen.example")
    in_house = {o.id for o in organisations if o.kind == "in_house"}

    def evaluates(user: User) -> bool:
        return Permission.QA_EVALUATE in ROLE_PERMISSIONS[Role(user.role)]

    def conversation(organisation_id: str, agent_id: str | None = None) -> str:
        customer = Customer(brand_id=brand.id, name="QA Customer")
        session.add(customer)
        session.flush()
        row = Conversation(brand_id=brand.id, customer_id=customer.id, channel="email", agent_id=agent_id)
        session.add(row)
        session.flush()
        assign_conversation(session, conversation=row, organisation_id=organisation_id)
        return row.id

    def evaluation(conversation_id: str, organisation_id: str, **values: object) -> Evaluation:
        fields: dict[str, object] = {"evaluator_user_id": analyst.id, "status": "submitted", "score": 80.0, **values}
        made = Evaluation(
            brand_id=brand.id,
            scorecard_id=scorecard.id,
            conversation_id=conversation_id,
            organisation_id=organisation_id,
            submitted_at=utcnow(),
            **fields,
        )
        session.add(made)
        session.flush()
        return made

    by_org: dict[str, dict[str, str]] = {}
    for organisation in organisations:
        disputed = evaluation(conversation(organisation.id), organisation.id, status="disputed")
        session.add(EvaluationChange(evaluation_id=disputed.id, kind="disputed", reason="Please look again."))
        calibrated = conversation(organisation.id)
        calibration = CalibrationSession(
            brand_id=brand.id,
            scorecard_id=scorecard.id,
            title=f"Matrix {organisation.name}",
            created_by_user_id=analyst.id,
        )
        session.add(calibration)
        session.flush()
        session.add(CalibrationConversation(session_id=calibration.id, conversation_id=calibrated, position=0))
        for user in users:
            if evaluates(user) and user.organisation_id in (in_house | {organisation.id}):
                session.add(CalibrationEvaluator(session_id=calibration.id, user_id=user.id))
                evaluation(
                    calibrated, organisation.id, evaluator_user_id=user.id, calibration_session_id=calibration.id
                )
        by_org[organisation.name] = {"evaluation": disputed.id, "calibration": calibration.id}
    mine: dict[str, str] = {}
    for user in users:
        agent = session.scalar(select(Agent).where(Agent.user_id == user.id)) if user.email in agents else None
        if agent is not None:
            own = conversation(agent.organisation_id, agent.id)
            mine[user.email] = evaluation(own, agent.organisation_id, agent_id=agent.id, score=70.0).id
    session.commit()
    return by_org, mine
