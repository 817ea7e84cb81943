"""Typed builders for test data that the API cannot make yet."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.conversations.models import Conversation
from cxhub.conversations.service import assign_conversation
from cxhub.workforce.models import Organisation


def queue_for(session: Session, conversation_id: str, organisation: str) -> None:
    """Queue a conversation for the named organisation and commit (routing decides this later)."""
    conversation = session.get(Conversation, conversation_id)
    org = session.scalar(select(Organisation).where(Organisation.name == organisation))
    assert conversation is not None
    assert org is not None
    assign_conversation(session, conversation=conversation, organisation_id=org.id)
    session.commit()
