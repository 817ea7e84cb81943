"""Quality operations: record survey answers against the conversations they rate."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.conversations.models import Conversation, Interaction
from cxhub.quality.models import SurveyAnswer
from cxhub.quality.schemas import SurveyAnswerImport
from cxhub.workforce.models import Brand


class UnknownConversation(ValueError):
    """The answer names no conversation this hub holds."""


@dataclass(frozen=True)
class Recorded:
    answer: SurveyAnswer
    duplicate: bool


def _brand_ids(session: Session, key: str | None) -> list[str]:
    statement = select(Brand.id)
    if key is not None:
        statement = statement.where((Brand.id == key) | (Brand.name == key))
    return list(session.scalars(statement))


def conversation_of(session: Session, answer_import: SurveyAnswerImport) -> Conversation:
    """The conversation an answer rates: named by id, or found from one of its interactions."""
    brand_ids = _brand_ids(session, answer_import.brand)
    if not brand_ids:
        raise UnknownConversation(f"no brand {answer_import.brand!r}")
    if answer_import.conversation_id is not None:
        conversation = session.get(Conversation, answer_import.conversation_id)
        if conversation is None or conversation.brand_id not in brand_ids:
            raise UnknownConversation(f"no conversation {answer_import.conversation_id!r}")
        return conversation
    found = list(
        session.scalars(
            select(Conversation)
            .join(Interaction, Interaction.conversation_id == Conversation.id)
            .where(
                Interaction.brand_id.in_(brand_ids),
                Interaction.channel == answer_import.channel,
                Interaction.external_id == answer_import.external_id,
            )
        )
    )
    if not found:
        raise UnknownConversation(f"no {answer_import.channel} interaction {answer_import.external_id!r}")
    if len(found) > 1:
        raise UnknownConversation("several brands hold that interaction: name the brand")
    return found[0]


def record_answer(
    session: Session, *, conversation: Conversation, answer_import: SurveyAnswerImport, source: str
) -> Recorded:
    """Keep one answer; the same answer again (same conversation, question and answer id or time) is a no-op."""
    source_ref = answer_import.id or answer_import.answered_at.isoformat()
    existing = session.scalar(
        select(SurveyAnswer).where(
            SurveyAnswer.conversation_id == conversation.id,
            SurveyAnswer.question == answer_import.question,
            SurveyAnswer.source_ref == source_ref,
        )
    )
    if existing is not None:
        return Recorded(existing, duplicate=True)
    answer = SurveyAnswer(
        brand_id=conversation.brand_id,
        conversation_id=conversation.id,
        question=answer_import.question,
        score=answer_import.score,
        answered_at=answer_import.answered_at,
        source=source,
        source_ref=source_ref,
    )
    session.add(answer)
    session.flush()
    return Recorded(answer, duplicate=False)
