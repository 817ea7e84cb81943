"""Personal fields as a partner's data policy says: full, masked or hidden; unmasked reads audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.masking import mask_email, mask_name, mask_phone
from cxhub.auth.models import AuditEvent
from cxhub.auth.permissions import Role
from cxhub.auth.service import reveal_personal_field


def _actor(kind: str, **policy: str) -> Actor:
    return Actor(
        user_id="u1",
        email="agent@atlantic.example",
        name="Tiago Ferreira",
        role=Role.AGENT,
        organisation_id="o1",
        organisation_name="Atlantic CX",
        organisation_kind=kind,
        data_policy=policy,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("J@x.ie", "J***@x.ie"),
        ("not-an-address", "***"),
    ],
)
def test_email_mask(value: str, masked: str) -> None:
    assert mask_email(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+353 87 123 4123", "+*********123"),
        ("0871234567", "*******567"),
        ("12", "**"),
    ],
)
def test_phone_mask(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("Maria Santos", "Maria S."),
        ("Ciarán Ó Briain", "Ciarán B."),
        ("Cher", "Cher"),
    ],
)
def test_name_mask(value: str, masked: str) -> None:
    assert mask_name(value) == masked


def test_partner_sees_fields_as_the_policy_says_and_unmasked_reads_are_audited(session: Session) -> None:
    actor = _actor("outsourced", email="full", phone="hidden")
    common = {"subject_type": "customer", "subject_id": "c1"}
    assert (
        reveal_personal_field(session, actor=actor, value="jane@example.com", personal_field="email", **common)
        == "jane@example.com"
    )
    assert reveal_personal_field(session, actor=actor, value="+353871234567", personal_field="phone", **common) is None
    assert reveal_personal_field(session, actor=actor, value="Jane Doe", personal_field="name", **common) == "Jane D."
    assert (
        reveal_personal_field(
            session,
            actor=actor,
            value="1 Main St, Dublin",
            personal_field="address",
            city="Dublin",
            country="IE",
            **common,
        )
        == "Dublin, IE"
    )
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "personal_data.read")).all()
    assert [(e.target_id, e.detail["field"]) for e in events] == [("c1", "email")]


def test_in_house_sees_everything_without_an_audit_entry(session: Session) -> None:
    actor = _actor("in_house", email="hidden")
    assert (
        reveal_personal_field(
            session,
            actor=actor,
            value="jane@example.com",
            personal_field="email",
            subject_type="customer",
            subject_id="c1",
        )
        == "jane@example.com"
    )
    assert session.scalars(select(AuditEvent)).all() == []
