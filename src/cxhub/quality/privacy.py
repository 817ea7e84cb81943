"""The quality domain's personal-data holder: survey invitations (where they were sent) and the words
customers left for the people who served them.

Erasure keeps what the metrics and the coaching counts need (that a survey was sent and answered, that
feedback of a kind was left for an agent, and what was done about it) and removes the address and the
customer's own words.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cxhub.customers.privacy import Holder, Subject, register_holder, rows_changed
from cxhub.quality.models import CoachingFeedback, SurveyInvitation


def _when(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _invitations(subject: Subject) -> Any:
    return select(SurveyInvitation.id).where(SurveyInvitation.customer_id.in_(subject.customer_ids))


def _export(session: Session, subject: Subject) -> dict[str, Any]:
    invitations = session.scalars(
        select(SurveyInvitation)
        .where(SurveyInvitation.customer_id.in_(subject.customer_ids))
        .order_by(SurveyInvitation.created_at, SurveyInvitation.id)
    ).all()
    feedback = session.scalars(
        select(CoachingFeedback)
        .where(CoachingFeedback.invitation_id.in_(_invitations(subject)))
        .order_by(CoachingFeedback.created_at)
    ).all()
    return {
        "surveys": [
            {
                "id": i.id,
                "conversation_id": i.conversation_id,
                "channel": i.channel,
                "outcome": i.outcome,
                "skip_reason": i.skip_reason,
                "language": i.language,
                "sent_to": i.email,
                "sent_at": _when(i.created_at),
                "expires_at": _when(i.expires_at),
                "answered_at": _when(i.answered_at),
            }
            for i in invitations
        ],
        "coaching_feedback": [
            {
                "id": f.id,
                "conversation_id": f.conversation_id,
                "kind": f.kind,
                "text": f.text,
                "left_at": _when(f.created_at),
            }
            for f in feedback
        ],
    }


def _erase(session: Session, subject: Subject) -> dict[str, int]:
    counts = {
        "survey_invitations": rows_changed(
            session,
            update(SurveyInvitation)
            .where(SurveyInvitation.customer_id.in_(subject.customer_ids), SurveyInvitation.email.is_not(None))
            .values(email=None, delivery_error=None),
        ),
        "coaching_feedback": rows_changed(
            session,
            update(CoachingFeedback)
            .where(CoachingFeedback.invitation_id.in_(_invitations(subject)), CoachingFeedback.text != "")
            .values(text=""),
        ),
    }
    session.flush()
    return counts


register_holder(
    Holder(
        name="surveys",
        tables=(SurveyInvitation.__tablename__, CoachingFeedback.__tablename__),
        export=_export,
        erase=_erase,
    )
)
