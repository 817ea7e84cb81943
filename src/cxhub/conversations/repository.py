"""Conversation queries scoped by the partner boundaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.conversations.models import Attachment, Conversation, ConversationHandler, Interaction
from cxhub.errors import CxhubError
from cxhub.workforce.models import Agent, Organisation, Team


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


def interactions_page(
    session: Session, *, conversation_id: str, cursor: str | None, limit: int
) -> tuple[Sequence[Interaction], str | None]:
    """A conversation's interactions, newest first by when they happened; the cursor is the last one's id."""
    statement = select(Interaction).where(Interaction.conversation_id == conversation_id)
    rows, next_cursor = _newest_first(session, statement, cursor=cursor, limit=limit)
    return [row[0] for row in rows], next_cursor


def timeline_page(
    session: Session, *, customer_id: str, cursor: str | None, limit: int
) -> tuple[Sequence[tuple[Interaction, str | None]], str | None]:
    """Everything about a customer, newest first, each with the organisation that handled it.

    The handler is the organisation of the agent who handled the interaction, else the one the
    conversation is queued for.
    """
    handler = func.coalesce(Agent.organisation_id, Conversation.organisation_id)
    statement = (
        select(Interaction, handler)
        .join(Conversation, Conversation.id == Interaction.conversation_id)
        .outerjoin(Agent, Agent.id == Interaction.handled_by_agent_id)
        .where(Interaction.customer_id == customer_id)
    )
    rows, next_cursor = _newest_first(session, statement, cursor=cursor, limit=limit)
    return [(row[0], row[1]) for row in rows], next_cursor


def _newest_first(session: Session, statement: Any, *, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """Rows newest first by (occurred_at, id); the cursor is the id of the last interaction shown."""
    if cursor:
        after = session.get(Interaction, cursor)
        if after is None:
            raise CxhubError("cursor is not valid", status=422, field="cursor")
        statement = statement.where(
            or_(
                Interaction.occurred_at < after.occurred_at,
                and_(Interaction.occurred_at == after.occurred_at, Interaction.id < after.id),
            )
        )
    rows: list[Any] = session.execute(
        statement.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit + 1)
    ).all()  # type: ignore[assignment]
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1][0].id
    return rows, None


def attachments_of(session: Session, interaction_ids: Sequence[str]) -> dict[str, list[Attachment]]:
    found: dict[str, list[Attachment]] = {}
    if not interaction_ids:
        return found
    for attachment in session.scalars(
        select(Attachment).where(Attachment.interaction_id.in_(interaction_ids)).order_by(Attachment.id)
    ):
        found.setdefault(attachment.interaction_id or "", []).append(attachment)
    return found


def assignment_names(session: Session, conversations: Sequence[Conversation]) -> dict[str, str]:
    """Names of the organisations, teams and agents the conversations are queued at or assigned to, by id."""
    organisations = {c.organisation_id for c in conversations if c.organisation_id}
    teams = {c.team_id for c in conversations if c.team_id}
    agents = {c.agent_id for c in conversations if c.agent_id}
    found: dict[str, str] = {}
    if organisations:
        found.update(
            session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisations))).all()
        )
    if teams:
        found.update(session.execute(select(Team.id, Team.name).where(Team.id.in_(teams))).all())
    if agents:
        found.update(
            session.execute(
                select(Agent.id, User.name).join(User, User.id == Agent.user_id).where(Agent.id.in_(agents))
            ).all()
        )
    return found
