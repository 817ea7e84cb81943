"""Intake: one interaction from any source, attached to a customer and threaded into a conversation.

A retry of the same (brand, channel, external_id) or Idempotency-Key is a no-op that returns the
original ids; the same key with a different body is a conflict. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxhub.auth.actor import IN_HOUSE, Actor
from cxhub.auth.models import User
from cxhub.config import Settings
from cxhub.conversations.models import (
    Attachment,
    CannedResponse,
    Conversation,
    ConversationEvent,
    ConversationHandler,
    ConversationNote,
    DeadLetter,
    Interaction,
    NoteMention,
)
from cxhub.conversations.prepared import NO_IDENTIFIER, Prepared, prepare
from cxhub.conversations.schemas import (
    AssignmentUpdate,
    CannedResponseCreate,
    ConversationUpdate,
    InteractionCreate,
    NoteCreate,
)
from cxhub.customers.service import attach_customer
from cxhub.errors import Conflict, CxhubError, Forbidden
from cxhub.jobs.service import enqueue
from cxhub.kit.ids import new_id
from cxhub.kit.storage import FileStorage
from cxhub.kit.time import utcnow
from cxhub.workforce.models import Agent, Brand, Organisation, Team
from cxhub.workforce.repository import readable_organisations

OPEN_STATUSES = ("new", "open", "pending_customer", "resolved")


class ConversationClock(Protocol):
    """What an interaction moves on its conversation: a `Conversation`, or its columns in a bulk intake."""

    id: str
    status: str
    updated_at: dt.datetime
    first_inbound_at: dt.datetime | None
    last_inbound_at: dt.datetime | None
    last_outbound_at: dt.datetime | None
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    needs_public_answer: bool
    needs_answer: bool
    routing_status: str | None


@dataclass(frozen=True)
class Recorded:
    interaction: Interaction
    duplicate: bool


def resolve_brand(session: Session, key: str | None) -> Brand:
    if key:
        brand = session.get(Brand, key) or session.scalar(select(Brand).where(Brand.name == key))
        if brand is None:
            raise CxhubError("unknown brand", status=422, field="brand")
        return brand
    brands = session.scalars(select(Brand).order_by(Brand.created_at).limit(2)).all()
    if len(brands) != 1:
        raise CxhubError("name the brand: this hub serves several (or none yet)", status=422, field="brand")
    return brands[0]


def _existing(
    session: Session, *, brand_id: str, prepared: Prepared, idempotency_key: str | None
) -> Interaction | None:
    if idempotency_key:
        found = session.scalar(select(Interaction).where(Interaction.idempotency_key == idempotency_key))
        if found is not None:
            return found
    return session.scalar(
        select(Interaction).where(
            Interaction.brand_id == brand_id,
            Interaction.channel == prepared.channel,
            Interaction.external_id == prepared.external_id,
        )
    )


def _conversation_for(session: Session, *, brand_id: str, customer_id: str, prepared: Prepared) -> Conversation:
    statement = select(Conversation).where(
        Conversation.brand_id == brand_id,
        Conversation.channel == prepared.channel,
        Conversation.status.in_(OPEN_STATUSES),
    )
    if prepared.thread_ref:
        statement = statement.where(Conversation.thread_ref == prepared.thread_ref)
    else:
        statement = statement.where(Conversation.customer_id == customer_id, Conversation.thread_ref.is_(None))
    found = session.scalars(statement.order_by(Conversation.updated_at.desc()).limit(1)).first()
    if found is not None:
        return found
    conversation = Conversation(**new_conversation(brand_id=brand_id, customer_id=customer_id, prepared=prepared))
    session.add(conversation)
    session.flush()
    return conversation


def new_conversation(*, brand_id: str, customer_id: str, prepared: Prepared) -> dict[str, Any]:
    """The columns of the conversation an interaction opens when none is open on its thread or for its customer."""
    return {
        "id": new_id(),
        "brand_id": brand_id,
        "customer_id": customer_id,
        "channel": prepared.channel,
        "status": "new",
        "priority": 3,
        "subject": prepared.subject,
        "thread_ref": prepared.thread_ref,
        "language": prepared.customer_language,
        "needs_answer": prepared.opens_needing_answer,
        "needs_public_answer": False,
        "routing_status": "pending" if prepared.direction == "inbound" and prepared.opens_needing_answer else None,
        "tags": [],
        "created_at": prepared.occurred_at,
        "updated_at": prepared.occurred_at,
        "first_inbound_at": None,
        "last_inbound_at": None,
        "first_response_at": None,
        "last_outbound_at": None,
        "resolved_at": None,
        "closed_at": None,
    }


def agents_by_email(session: Session, emails: Collection[str]) -> dict[str, str]:
    """Agent ids by their user's e-mail (lower case), for `handled_by` on imported history."""
    found: dict[str, str] = {}
    if not emails:
        return found
    for email, agent_id in session.execute(
        select(User.email, Agent.id).join(User, User.id == Agent.user_id).where(User.email.in_(list(emails)))
    ):
        found.setdefault(email, agent_id)
    return found


def agent_for(agents: Mapping[str, str], email: str | None) -> str | None:
    if not email:
        return None
    agent_id = agents.get(email.strip().lower())
    if agent_id is None:
        raise CxhubError("no agent has this e-mail", status=422, field="handled_by")
    return agent_id


def _agent_id(session: Session, email: str | None) -> str | None:
    if not email:
        return None
    return agent_for(agents_by_email(session, [email.strip().lower()]), email)


def check_same_body(stored_digest: str, body_digest: str) -> None:
    """A retry repeats the body; the same key with another body is a conflict."""
    if stored_digest != body_digest:
        raise Conflict("this key was already used for a different interaction", field="external_id")


def record_interaction(
    session: Session, *, interaction_create: InteractionCreate, idempotency_key: str | None = None
) -> Recorded:
    return record_prepared(session, prepared=prepare(interaction_create), idempotency_key=idempotency_key)


def record_prepared(session: Session, *, prepared: Prepared, idempotency_key: str | None = None) -> Recorded:
    brand = resolve_brand(session, prepared.brand)
    existing = _existing(session, brand_id=brand.id, prepared=prepared, idempotency_key=idempotency_key)
    if existing is not None:
        check_same_body(existing.body_digest, prepared.digest)
        return Recorded(existing, duplicate=True)
    if not prepared.identifiers:
        raise CxhubError(NO_IDENTIFIER, status=422, field="customer")
    try:
        with session.begin_nested():
            return Recorded(_store(session, brand, prepared, idempotency_key), duplicate=False)
    except IntegrityError:  # the same interaction arrived concurrently and won
        existing = _existing(session, brand_id=brand.id, prepared=prepared, idempotency_key=idempotency_key)
        if existing is None:
            raise
        check_same_body(existing.body_digest, prepared.digest)
        return Recorded(existing, duplicate=True)


def _store(session: Session, brand: Brand, prepared: Prepared, idempotency_key: str | None) -> Interaction:
    customer = attach_customer(
        session,
        brand_id=brand.id,
        identifiers=prepared.identifiers,
        source=prepared.channel,
        name=prepared.customer_name,
        country=prepared.customer_country,
        language=prepared.customer_language,
    )
    agent_id = _agent_id(session, prepared.handled_by)
    conversation = _conversation_for(session, brand_id=brand.id, customer_id=customer.id, prepared=prepared)
    interaction = Interaction(
        **interaction_values(
            prepared,
            brand_id=brand.id,
            conversation_id=conversation.id,
            customer_id=customer.id,
            agent_id=agent_id,
            idempotency_key=idempotency_key,
        )
    )
    session.add(interaction)
    if status := touch_conversation(conversation=conversation, prepared=prepared, agent_id=agent_id):
        record_status(session, conversation=conversation, status=status, at=prepared.occurred_at, user_id=None)
    session.flush()
    return interaction


def interaction_values(
    prepared: Prepared,
    *,
    brand_id: str,
    conversation_id: str,
    customer_id: str,
    agent_id: str | None,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """Every column of the stored interaction, by attribute name (an ORM object or a bulk insert row)."""
    return {
        **prepared.values,
        "id": new_id(),
        "brand_id": brand_id,
        "conversation_id": conversation_id,
        "customer_id": customer_id,
        "idempotency_key": idempotency_key,
        "body_digest": prepared.digest,
        "handled_by_agent_id": agent_id,
        "created_at": utcnow(),
    }


def touch_conversation(*, conversation: ConversationClock, prepared: Prepared, agent_id: str | None) -> str | None:
    """What one interaction moves: the last inbound or outbound time, the first response, the flags.

    Returns the status the interaction moves the conversation to (a reopening, an agent's first
    reply), or None; the caller records the change with its event.
    """
    occurred = prepared.occurred_at
    status = None
    if prepared.direction == "inbound":
        conversation.last_inbound_at = max(filter(None, [conversation.last_inbound_at, occurred]))
        conversation.first_inbound_at = min(filter(None, [conversation.first_inbound_at, occurred]))
        if conversation.status in ("resolved", "pending_customer"):
            status = "open"
            if conversation.routing_status != "assigned":  # nobody holds it: routing finds someone
                conversation.routing_status = "pending"
        if prepared.public:
            conversation.needs_public_answer = True
        if prepared.needs_answer:  # e.g. a return with the customer's comment on an order's thread
            conversation.needs_answer = True
    else:
        conversation.last_outbound_at = max(filter(None, [conversation.last_outbound_at, occurred]))
        if agent_id is not None and (
            conversation.first_response_at is None or occurred < conversation.first_response_at
        ):
            conversation.first_response_at = occurred
        if agent_id is not None and conversation.status == "new":
            status = "open"
    conversation.updated_at = utcnow()
    return status


def record_status(
    session: Session, *, conversation: ConversationClock, status: str, at: dt.datetime, user_id: str | None
) -> None:
    """Change the status and keep the change: resolution and reopening times feed the metrics."""
    event = change_status(conversation=conversation, status=status, at=at, user_id=user_id)
    if event is not None:
        session.add(ConversationEvent(**event))


def record_event(
    session: Session, *, conversation: Conversation, kind: str, after: str, at: dt.datetime, before: str | None = None
) -> None:
    """Keep something that happened to a conversation beside its status changes (an SLA warning, a breach)."""
    session.add(
        ConversationEvent(id=new_id(), conversation_id=conversation.id, kind=kind, before=before, after=after, at=at)
    )


def change_status(
    *, conversation: ConversationClock, status: str, at: dt.datetime, user_id: str | None
) -> dict[str, Any] | None:
    """Move the status; the columns of the event that keeps the change, or None when it does not change."""
    if conversation.status == status:
        return None
    event = {
        "id": new_id(),
        "conversation_id": conversation.id,
        "kind": "status",
        "before": conversation.status,
        "after": status,
        "at": at,
        "user_id": user_id,
    }
    conversation.status = status
    if status == "resolved":
        conversation.resolved_at = at
    elif status == "closed":
        conversation.closed_at = at
    return event


def assign_conversation(session: Session, *, conversation: Conversation, organisation_id: str) -> Conversation:
    """Queue a conversation for an organisation (by hand until routing decides)."""
    conversation.organisation_id = organisation_id
    if session.get(ConversationHandler, (conversation.id, organisation_id)) is None:
        session.add(ConversationHandler(conversation_id=conversation.id, organisation_id=organisation_id))
    session.flush()
    return conversation


def keep_dead_letter(session: Session, *, source: str, content_type: str | None, raw: bytes, reason: str) -> DeadLetter:
    dead_letter = DeadLetter(source=source, content_type=content_type, raw=raw, reason=reason[:4000])
    session.add(dead_letter)
    session.flush()
    return dead_letter


def assign(
    session: Session, *, conversation: Conversation, assignment_update: AssignmentUpdate, actor: Actor
) -> Conversation:
    """Queue for an organisation, optionally a team and an agent of it (by hand until routing decides).

    A partner changes only what is queued for them, and only within their own organisation.
    """
    if actor.is_partner and conversation.organisation_id != actor.organisation_id:
        raise Forbidden("this conversation has left your organisation: you can read it, not change it")
    organisation = session.scalar(
        readable_organisations(actor).where(Organisation.id == assignment_update.organisation_id)
    )
    if organisation is None:
        raise CxhubError("organisation does not exist", status=422, field="organisation_id")
    team = session.get(Team, assignment_update.team_id) if assignment_update.team_id else None
    if assignment_update.team_id and (team is None or team.organisation_id != organisation.id):
        raise CxhubError("no such team in this organisation", status=422, field="team_id")
    agent = session.get(Agent, assignment_update.agent_id) if assignment_update.agent_id else None
    if assignment_update.agent_id and (agent is None or agent.organisation_id != organisation.id):
        raise CxhubError("no such agent in this organisation", status=422, field="agent_id")
    conversation.team_id = team.id if team else None
    conversation.agent_id = agent.id if agent else None
    if conversation.status == "new" and agent is not None:
        record_status(session, conversation=conversation, status="open", at=utcnow(), user_id=actor.user_id)
    return assign_conversation(session, conversation=conversation, organisation_id=organisation.id)


def update_conversation(
    session: Session, *, conversation: Conversation, conversation_update: ConversationUpdate, actor: Actor
) -> Conversation:
    """Status, priority, tags, language; a partner changes only what is queued for them."""
    if actor.is_partner and conversation.organisation_id != actor.organisation_id:
        raise Forbidden("this conversation has left your organisation: you can read it, not change it")
    now = utcnow()
    if conversation_update.status is not None:
        record_status(
            session, conversation=conversation, status=conversation_update.status, at=now, user_id=actor.user_id
        )
    if conversation_update.priority is not None:
        conversation.priority = conversation_update.priority
    if conversation_update.tags is not None:
        conversation.tags = sorted({tag.strip().lower() for tag in conversation_update.tags if tag.strip()})
    if conversation_update.language is not None:
        conversation.language = conversation_update.language
    conversation.updated_at = now
    session.flush()
    return conversation


MENTION = re.compile(r"(?<![\w@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


def add_note(
    session: Session, *, conversation: Conversation, note_create: NoteCreate, actor: Actor
) -> ConversationNote:
    """An internal note: for staff in scope, never sent to the customer.

    A colleague named as `@their.email@example.com` is mentioned: the note reaches their inbox and
    an e-mail tells them. Only a colleague who may read the conversation can be mentioned.
    """
    emails = sorted({m.lower() for m in MENTION.findall(note_create.text)})
    mentioned = _mentionable(session, conversation=conversation, emails=emails)
    note = ConversationNote(conversation_id=conversation.id, author_user_id=actor.user_id, text=note_create.text)
    session.add(note)
    conversation.updated_at = utcnow()
    session.flush()
    for user in mentioned:
        session.add(NoteMention(note_id=note.id, user_id=user.id, conversation_id=conversation.id))
        enqueue(session, name="conversations.notify_mention", payload={"note_id": note.id, "user_id": user.id})
    session.flush()
    return note


def _mentionable(session: Session, *, conversation: Conversation, emails: list[str]) -> list[User]:
    if not emails:
        return []
    users = {u.email.lower(): u for u in session.scalars(select(User).where(func.lower(User.email).in_(emails)))}
    if missing := [e for e in emails if e not in users or not users[e].is_active]:
        raise CxhubError(f"nobody here has the e-mail {missing[0]}", status=422, field="text")
    handlers = set(
        session.scalars(
            select(ConversationHandler.organisation_id).where(ConversationHandler.conversation_id == conversation.id)
        )
    ) | {conversation.organisation_id}
    kinds = dict(
        session.execute(
            select(Organisation.id, Organisation.kind).where(
                Organisation.id.in_({u.organisation_id for u in users.values()})
            )
        ).all()
    )
    for email in emails:
        user = users[email]
        if kinds.get(user.organisation_id) != IN_HOUSE and user.organisation_id not in handlers:
            raise CxhubError(
                f"{email} cannot see this conversation: it was never queued at their organisation",
                status=422,
                field="text",
            )
    return [users[e] for e in emails]


def check_attachment(*, filename: str, content_type: str, data: bytes, settings: Settings) -> tuple[str, str]:
    """(safe file name, content type) of an acceptable file; a clear error otherwise."""
    if not data:
        raise CxhubError("the file is empty", status=422, field="file")
    if len(data) > settings.attachment_max_bytes:
        raise CxhubError(f"the file is larger than {settings.attachment_max_bytes} bytes", status=413, field="file")
    declared = content_type.split(";")[0].strip().lower() or "application/octet-stream"
    if declared not in settings.attachment_content_types:
        raise CxhubError(f"files of type {declared} are not accepted", status=415, field="file")
    sniffed = sniff_content_type(data)
    if sniffed != declared and (sniffed is not None or declared in _MAGIC.values()):
        found = sniffed or "something else"
        raise CxhubError(f"the file says {declared} but its bytes are {found}", status=415, field="file")
    safe = re.sub(r"[^\w.\- ]", "_", filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" .") or "file"
    return safe[:200], declared


_MAGIC = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def sniff_content_type(data: bytes) -> str | None:
    """The type the first bytes prove, for the formats that carry a signature."""
    return next((kind for magic, kind in _MAGIC.items() if data.startswith(magic)), None)


def store_attachment(
    session: Session,
    *,
    conversation: Conversation,
    filename: str,
    content_type: str,
    data: bytes,
    storage: FileStorage,
    settings: Settings,
    interaction_id: str | None = None,
) -> Attachment:
    safe_name, checked_type = check_attachment(
        filename=filename, content_type=content_type, data=data, settings=settings
    )
    attachment = Attachment(
        brand_id=conversation.brand_id,
        conversation_id=conversation.id,
        interaction_id=interaction_id,
        filename=safe_name,
        content_type=checked_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key="",
    )
    session.add(attachment)
    session.flush()
    attachment.storage_key = f"attachments/{attachment.id[:4]}/{attachment.id}"
    storage.write(
        attachment.storage_key, data, content_type=checked_type
    )  # before the commit: never a row without bytes
    session.flush()
    return attachment


def record_bounce(session: Session, *, interaction: Interaction, reason: str) -> None:
    """A reply the recipient's server returned after accepting it: failed, with the reason shown to agents."""
    interaction.delivery_status = "failed"
    interaction.delivery_error = f"bounced: {reason}"[:4000]
    session.flush()


def create_canned_response(
    session: Session, *, canned_response_create: CannedResponseCreate, actor: Actor | None
) -> CannedResponse:
    if actor is not None and actor.is_partner:
        raise Forbidden("only the brand's own organisation writes canned responses")
    brand = resolve_brand(session, canned_response_create.brand_id)
    if actor is not None and actor.brand_ids is not None and brand.id not in actor.brand_ids:
        raise CxhubError("unknown brand", status=422, field="brand_id")
    canned = CannedResponse(brand_id=brand.id, **canned_response_create.model_dump(exclude={"brand_id"}))
    session.add(canned)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("this brand has a canned response with this title", field="title") from exc
    return canned


def delete_canned_response(session: Session, *, canned: CannedResponse, actor: Actor) -> None:
    if actor.is_partner:
        raise Forbidden("only the brand's own organisation writes canned responses")
    session.delete(canned)
    session.flush()


def fill_canned(text: str, *, customer_name: str | None, agent_name: str) -> str:
    """The canned text with the customer's and the agent's first names filled in."""
    return text.replace("{customer_name}", (customer_name or "").split(" ")[0] or "there").replace(
        "{agent_name}", agent_name.split(" ")[0]
    )
