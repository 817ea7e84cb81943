"""Typed builders for test data that the API cannot make yet."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.conversations.models import Conversation
from cxhub.conversations.service import assign_conversation
from cxhub.customers.models import Customer, MatchCandidate
from cxhub.workforce.models import Organisation


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
