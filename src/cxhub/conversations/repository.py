"""Conversation queries scoped by the partner boundaries."""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from cxhub.auth.actor import Actor
from cxhub.conversations.models import Conversation, ConversationHandler


def readable_conversations(actor: Actor) -> Select[Conversation]:
    """In-house: every conversation of the actor's brands. Partner: queued for, assigned to or once handled
    by their organisation."""
    statement = select(Conversation)
    if actor.brand_ids is not None:
        statement = statement.where(Conversation.brand_id.in_(actor.brand_ids))
    if actor.is_partner:
        handled = select(ConversationHandler.conversation_id).where(
            ConversationHandler.organisation_id == actor.organisation_id
        )
        statement = statement.where(
            or_(Conversation.organisation_id == actor.organisation_id, Conversation.id.in_(handled))
        )
    return statement
