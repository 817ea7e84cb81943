"""The conversations domain's personal-data holders: threads, interactions, notes, attachments, raw payloads.

Erasure and retention keep what the metrics need (conversation rows with channel, times, status,
provider and tags; interaction rows with kind, direction, times, handling seconds, rating, seller)
and remove what tells about a person: subjects, bodies, e-mail headers, order references, URLs,
notes, attachment files (deleted from storage by a job once the change is committed) and the
unreadable payloads kept as dead letters. The search index follows the rows (PostgreSQL indexes
expressions of them; SQLite's full-text tables are kept in step by triggers and compacted here so
that no deleted word stays behind in them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, String, cast, delete, literal, or_, select, text, update
from sqlalchemy.orm import Session

from cxhub.config import get_settings
from cxhub.conversations.models import (
    Attachment,
    Conversation,
    ConversationNote,
    DeadLetter,
    Interaction,
    NoteMention,
)
from cxhub.customers.privacy import Holder, RecordType, Retained, Subject, register_holder, rows_changed
from cxhub.jobs.service import enqueue, task
from cxhub.workforce.models import Organisation

DELETE_FILES_JOB = "conversations.delete_files"
SEARCH_TABLES = ("search_interactions", "search_conversations", "search_customers")  # SQLite only
RAW_EMAIL = "message/rfc822"
SCAN_BATCH = 500

_HAS_CONTENT = or_(
    Interaction.subject.is_not(None),
    Interaction.text.is_not(None),
    Interaction.html.is_not(None),
    Interaction.order_ref.is_not(None),
    Interaction.url.is_not(None),
)
ANONYMOUS_INTERACTION: dict[Any, Any] = {
    Interaction.subject: None,
    Interaction.text: None,
    Interaction.html: None,
    Interaction.order_ref: None,
    Interaction.url: None,
    Interaction.delivery_error: None,
    Interaction.extra: {},
    Interaction.idempotency_key: None,
    Interaction.body_digest: "",
    # a channel's message id (an e-mail's Message-ID names the sender's host): replaced, still unique
    Interaction.external_id: literal("erased:") + Interaction.id,
}


def _when(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _conversation_ids(session: Session, subject: Subject) -> list[str]:
    """The person's conversations, and others where they wrote (a thread that went back after an un-merge)."""
    ids = subject.customer_ids
    return list(
        session.scalars(
            select(Conversation.id)
            .where(
                or_(
                    Conversation.customer_id.in_(ids),
                    Conversation.id.in_(select(Interaction.conversation_id).where(Interaction.customer_id.in_(ids))),
                )
            )
            .order_by(Conversation.created_at, Conversation.id)
        )
    )


def _owned(subject: Subject) -> Any:
    return select(Conversation.id).where(Conversation.customer_id.in_(subject.customer_ids))


def _theirs(subject: Subject) -> tuple[ColumnElement[bool], ColumnElement[bool], ColumnElement[bool]]:
    """What is the person's: interactions, notes and attachments of their own threads, and what they wrote elsewhere."""
    owned = _owned(subject)
    interactions = or_(Interaction.conversation_id.in_(owned), Interaction.customer_id.in_(subject.customer_ids))
    notes = ConversationNote.conversation_id.in_(owned)
    attachments = or_(
        Attachment.conversation_id.in_(owned),
        Attachment.interaction_id.in_(select(Interaction.id).where(Interaction.customer_id.in_(subject.customer_ids))),
    )
    return interactions, notes, attachments


def _export(session: Session, subject: Subject) -> dict[str, Any]:
    conversation_ids = _conversation_ids(session, subject)
    their_interactions, their_notes, their_attachments = _theirs(subject)
    conversations = list(
        session.scalars(
            select(Conversation).where(Conversation.id.in_(conversation_ids)).order_by(Conversation.created_at)
        )
    )
    organisations = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({c.organisation_id for c in conversations if c.organisation_id})
            )
        ).all()
    )
    interactions: dict[str, list[Interaction]] = {}
    for i in session.scalars(
        select(Interaction)
        .where(Interaction.conversation_id.in_(conversation_ids), their_interactions)
        .order_by(Interaction.occurred_at, Interaction.id)
    ):
        interactions.setdefault(i.conversation_id, []).append(i)
    notes: dict[str, list[ConversationNote]] = {}
    for n in session.scalars(
        select(ConversationNote).where(their_notes).order_by(ConversationNote.created_at, ConversationNote.id)
    ):
        notes.setdefault(n.conversation_id, []).append(n)
    attachments: dict[str, list[Attachment]] = {}
    for a in session.scalars(select(Attachment).where(their_attachments).order_by(Attachment.created_at)):
        attachments.setdefault(a.conversation_id, []).append(a)
    return {
        "conversations": [
            {
                "id": c.id,
                "channel": c.channel,
                "status": c.status,
                "subject": c.subject if c.customer_id in subject.customer_ids else None,
                "language": c.language,
                "tags": c.tags,
                "served_by": organisations.get(c.organisation_id or ""),
                "created_at": _when(c.created_at),
                "resolved_at": _when(c.resolved_at),
                "closed_at": _when(c.closed_at),
                "interactions": [
                    {
                        "id": i.id,
                        "occurred_at": _when(i.occurred_at),
                        "channel": i.channel,
                        "kind": i.kind,
                        "direction": i.direction,
                        "subject": i.subject,
                        "text": i.text,
                        "html": i.html,
                        "seller": i.seller,
                        "order_ref": i.order_ref,
                        "rating": i.rating,
                        "platform": i.platform,
                        "url": i.url,
                        "metadata": i.extra,
                    }
                    for i in interactions.get(c.id, [])
                ],
                "notes": [{"created_at": _when(n.created_at), "text": n.text} for n in notes.get(c.id, [])],
                "attachments": [
                    {
                        "id": a.id,
                        "interaction_id": a.interaction_id,
                        "filename": a.filename,
                        "content_type": a.content_type,
                        "size": a.size,
                        "sha256": a.sha256,
                        "created_at": _when(a.created_at),
                    }
                    for a in attachments.get(c.id, [])
                ],
            }
            for c in conversations
        ]
    }


def _anonymise_interactions(session: Session, where: ColumnElement[bool]) -> int:
    return rows_changed(session, update(Interaction).where(where).values(ANONYMOUS_INTERACTION))


def _delete_notes(session: Session, note_ids: list[str]) -> int:
    if not note_ids:
        return 0
    session.execute(delete(NoteMention).where(NoteMention.note_id.in_(note_ids)))
    return rows_changed(session, delete(ConversationNote).where(ConversationNote.id.in_(note_ids)))


def _delete_attachments(session: Session, attachment_ids: list[str]) -> int:
    """The rows now; the files by a job once this is committed (a rollback keeps both)."""
    if not attachment_ids:
        return 0
    keys = list(session.scalars(select(Attachment.storage_key).where(Attachment.id.in_(attachment_ids))))
    count = rows_changed(session, delete(Attachment).where(Attachment.id.in_(attachment_ids)))
    enqueue(session, name=DELETE_FILES_JOB, payload={"keys": keys})
    return count


def _dead_letters_holding(session: Session, values: list[bytes]) -> list[str]:
    """Dead letters whose raw bytes name one of these identifiers (read in batches, compared as bytes)."""
    found: list[str] = []
    if not values:
        return found
    after = ""
    while True:
        rows = session.execute(
            select(DeadLetter.id, DeadLetter.raw).where(DeadLetter.id > after).order_by(DeadLetter.id).limit(SCAN_BATCH)
        ).all()
        for dead_letter_id, raw in rows:
            lowered = bytes(raw).lower()
            if any(v in lowered for v in values):
                found.append(dead_letter_id)
        if len(rows) < SCAN_BATCH:
            return found
        after = rows[-1][0]


def compact_search(session: Session) -> None:
    """SQLite keeps a deleted word in its full-text segments until they merge: merge them now."""
    if session.get_bind().dialect.name != "sqlite":
        return
    for name in SEARCH_TABLES:
        session.execute(text(f"INSERT INTO {name}({name}) VALUES ('optimize')"))  # noqa: S608 - names are constants


def _erase(session: Session, subject: Subject) -> dict[str, int]:
    their_interactions, their_notes, their_attachments = _theirs(subject)
    note_ids = list(session.scalars(select(ConversationNote.id).where(their_notes)))
    attachment_ids = list(session.scalars(select(Attachment.id).where(their_attachments)))
    raw_values = [v.lower().encode() for k, v in subject.identifiers if k in ("email", "phone")]
    dead_letter_ids = _dead_letters_holding(session, raw_values)
    counts = {
        "interactions": _anonymise_interactions(session, their_interactions),
        "conversations": rows_changed(
            session,
            update(Conversation)
            .where(Conversation.customer_id.in_(subject.customer_ids))
            .values(subject=None, thread_ref=None),
        ),
        "conversation_notes": _delete_notes(session, note_ids),
        "attachments": _delete_attachments(session, attachment_ids),
        "inbound_dead_letters": rows_changed(session, delete(DeadLetter).where(DeadLetter.id.in_(dead_letter_ids))),
    }
    session.flush()
    compact_search(session)
    return counts


@task(DELETE_FILES_JOB)
def delete_files(session: Session, payload: dict[str, Any]) -> None:
    """Delete stored files whose rows are gone (erasure, retention); a missing file is already gone."""
    storage = get_settings().file_storage()
    for key in payload.get("keys", []):
        storage.delete(key)


# -- retention passes: each handles at most `limit` rows and says whether more are past their age ---


def _closed_before(cutoff: dt.datetime) -> Any:
    return select(Conversation.id).where(Conversation.closed_at.is_not(None), Conversation.closed_at < cutoff)


def _interaction_content(session: Session, brand_id: str | None, cutoff: dt.datetime, limit: int) -> Retained:
    ids = list(
        session.scalars(
            select(Interaction.id)
            .where(Interaction.brand_id == brand_id, Interaction.occurred_at < cutoff, _HAS_CONTENT)
            .limit(limit)
        )
    )
    count = _anonymise_interactions(session, Interaction.id.in_(ids)) if ids else 0
    if count:
        compact_search(session)
    return Retained({"interactions": count}, more=len(ids) == limit)


def _raw_emails(session: Session, brand_id: str | None, cutoff: dt.datetime, limit: int) -> Retained:
    ids = list(
        session.scalars(
            select(Interaction.id)
            .where(
                Interaction.brand_id == brand_id,
                Interaction.channel == "email",
                Interaction.occurred_at < cutoff,
                cast(Interaction.extra, String) != "{}",
            )
            .limit(limit)
        )
    )
    count = rows_changed(session, update(Interaction).where(Interaction.id.in_(ids)).values({Interaction.extra: {}}))
    dead = list(
        session.scalars(
            select(DeadLetter.id)
            .where(DeadLetter.content_type == RAW_EMAIL, DeadLetter.received_at < cutoff)
            .limit(limit)
        )
    )
    removed = rows_changed(session, delete(DeadLetter).where(DeadLetter.id.in_(dead))) if dead else 0
    return Retained(
        {"interactions": count, "inbound_dead_letters": removed}, more=len(ids) == limit or len(dead) == limit
    )


def _attachments(session: Session, brand_id: str | None, cutoff: dt.datetime, limit: int) -> Retained:
    ids = list(
        session.scalars(
            select(Attachment.id).where(Attachment.brand_id == brand_id, Attachment.created_at < cutoff).limit(limit)
        )
    )
    return Retained({"attachments": _delete_attachments(session, ids)}, more=len(ids) == limit)


def _notes(session: Session, brand_id: str | None, cutoff: dt.datetime, limit: int) -> Retained:
    ids = list(
        session.scalars(
            select(ConversationNote.id)
            .join(Conversation, Conversation.id == ConversationNote.conversation_id)
            .where(Conversation.brand_id == brand_id, ConversationNote.created_at < cutoff)
            .limit(limit)
        )
    )
    return Retained({"conversation_notes": _delete_notes(session, ids)}, more=len(ids) == limit)


def _closed_conversations(session: Session, brand_id: str | None, cutoff: dt.datetime, limit: int) -> Retained:
    closed = _closed_before(cutoff).where(Conversation.brand_id == brand_id)
    interactions = list(
        session.scalars(
            select(Interaction.id).where(Interaction.conversation_id.in_(closed), _HAS_CONTENT).limit(limit)
        )
    )
    notes = list(
        session.scalars(select(ConversationNote.id).where(ConversationNote.conversation_id.in_(closed)).limit(limit))
    )
    attachments = list(
        session.scalars(select(Attachment.id).where(Attachment.conversation_id.in_(closed)).limit(limit))
    )
    conversations = list(
        session.scalars(
            closed.where(or_(Conversation.subject.is_not(None), Conversation.thread_ref.is_not(None))).limit(limit)
        )
    )
    counts = {
        "interactions": _anonymise_interactions(session, Interaction.id.in_(interactions)) if interactions else 0,
        "conversation_notes": _delete_notes(session, notes),
        "attachments": _delete_attachments(session, attachments),
        "conversations": rows_changed(
            session,
            update(Conversation).where(Conversation.id.in_(conversations)).values(subject=None, thread_ref=None),
        )
        if conversations
        else 0,
    }
    if counts["interactions"] or counts["conversations"]:
        compact_search(session)
    more = limit in (len(interactions), len(notes), len(attachments), len(conversations))
    return Retained(counts, more=more)


def _dead_letters(session: Session, brand_id: str | None, cutoff: dt.datetime, limit: int) -> Retained:
    ids = list(session.scalars(select(DeadLetter.id).where(DeadLetter.received_at < cutoff).limit(limit)))
    count = rows_changed(session, delete(DeadLetter).where(DeadLetter.id.in_(ids))) if ids else 0
    return Retained({"inbound_dead_letters": count}, more=len(ids) == limit)


register_holder(
    Holder(
        name="conversations",
        tables=(
            Conversation.__tablename__,
            Interaction.__tablename__,
            ConversationNote.__tablename__,
            NoteMention.__tablename__,
            Attachment.__tablename__,
            DeadLetter.__tablename__,
        ),
        export=_export,
        erase=_erase,
        record_types=(
            RecordType(
                "interaction_content",
                "Subjects, bodies, e-mail headers, order references and URLs of interactions older than this.",
                _interaction_content,
            ),
            RecordType(
                "raw_emails",
                "E-mail headers (from, to, cc, references) and e-mails kept raw as dead letters, older than this.",
                _raw_emails,
            ),
            RecordType("attachments", "Attachment files and their rows, older than this.", _attachments),
            RecordType("notes", "Internal notes older than this.", _notes),
            RecordType(
                "closed_conversations",
                "Everything personal in conversations closed longer ago than this.",
                _closed_conversations,
            ),
            RecordType(
                "dead_letters",
                "Unreadable inbound payloads older than this (they have no brand: the shortest rule applies).",
                _dead_letters,
                brandless=True,
            ),
        ),
    )
)
